"""Time the picture replies of bot/rendering/cards.py: median of 50 renders each, PNG encoding
included.

Wall-clock time, and the rendering thread's CPU time (steadier on a busy machine).

python -m bench.cards            # writes /tmp/certquest-cards/{rank,domains}.png too
python -m bench.cards --runs 200 --out some/dir
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.rendering.cards import (
    DomainBar,
    DomainChartData,
    RankCardData,
    badge,
    render_domain_chart,
    render_rank_card,
)
from seeds.art import asset_path


def sample_card() -> RankCardData:
    """A busy card: legendary avatar, rank, streak, accuracy and five badges."""
    names = ("Perfectionist", "Week Warrior", "Network Expert", "Grandmaster", "First Steps")
    return RankCardData(
        display_name="Ada Lovelace",
        avatar=asset_path("avatars/grandmaster-griffin.png"),
        avatar_rarity="legendary",
        level=42,
        xp_into_level=6_480,
        xp_level_span=11_020,
        total_xp=154_870,
        streak_current=12,
        streak_longest=30,
        rank=3,
        badges=tuple(badge(n) for n in names),
        accuracy=0.87,
    )


def sample_chart() -> DomainChartData:
    """Security+ with five domains, one weakest, one not started."""
    return DomainChartData(
        "CompTIA Security+",
        (
            DomainBar("1.0", "General Security Concepts", 120, 102, 12),
            DomainBar("2.0", "Threats, Vulnerabilities, and Mitigations", 88, 49, 22),
            DomainBar("3.0", "Security Architecture", 64, 47, 18),
            DomainBar("4.0", "Security Operations", 140, 112, 28),
            DomainBar("5.0", "Security Program Management and Oversight", 0, 0, 20),
        ),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "certquest-cards")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    card, chart = sample_card(), sample_chart()
    renders: list[tuple[str, Callable[[], bytes]]] = [
        ("rank", lambda: render_rank_card(card)),
        ("domains", lambda: render_domain_chart(chart)),
    ]
    for name, render in renders:
        start = time.perf_counter()
        png = render()  # the first render loads fonts and images
        first = (time.perf_counter() - start) * 1000
        times, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.thread_time()
            render()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        path = args.out / f"{name}.png"
        path.write_bytes(png)
        sys.stdout.write(
            f"{name:8} first {first:6.1f} ms  median of {args.runs} "
            f"{statistics.median(times):5.1f} ms (CPU {statistics.median(cpu):5.1f} ms)  "
            f"min {min(times):5.1f} ms  "
            f"{len(png):,} bytes  {path}\n"
        )


if __name__ == "__main__":
    main()
