"""Memory of the bot with many live group quizzes.

    python -m bench.memory                # 1,000 quizzes in 1,000 channels
    python -m bench.memory --tiny         # 5

Starts the real bot (``python -m bot run``) against the emulator on a fresh database, then
``/quiz start`` (group, 10 questions, 120 s each) in ``--quizzes`` channels, 8 at a time, and
reads the bot's RSS (``/proc``/psutil): after it is ready, once every quiz is live (its
question posted, its runner waiting for the deadline), and 5 s later; VmHWM is the peak.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil

from bench.common import (
    Stopwatch,
    Table,
    create_database,
    drop_database,
    out,
    prepare_schema,
    run_header,
    tables_markdown,
    unique_name,
    write_docs_section,
)
from bench.emu import BenchEmulator, CpuMeter, rss_mb, start_bot, start_group_quiz
from tests.emulator import Message

TARGET_MB = 200.0


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _answer_all(
    emu: BenchEmulator, members: list[Any], msgs: list[Message], concurrency: int = 64
) -> int:
    """Every member answers the open question of every quiz (closed loop); returns clicks."""
    work = [(m, msg) for msg in msgs for m in members]
    it = iter(work)

    async def worker() -> None:
        for actor, msg in it:
            handle = await actor.click(msg, "A", wait=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(emu.expect_callback(handle), 10)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(work)


async def run(quizzes: int, players: int, workdir: Path) -> dict[str, float]:
    name = unique_name("memory")
    url = await create_database(name)
    emu = await BenchEmulator.start()
    proc = None
    try:
        await prepare_schema(url)
        channels = [emu.channel(f"quiz-{i}") for i in range(quizzes)]
        host = emu.member("host")
        proc = await start_bot(
            emu,
            "bot",
            "run",
            env={
                "DATABASE_URL": url,
                "DEV_GUILD_ID": str(emu.default_guild.id),
                "LOG_LEVEL": "INFO",
                "QUIZ_REVEAL_PAUSE_SECONDS": "0.2",
            },
            log_path=workdir / "bot.log",
        )
        if proc.pid is None:
            raise RuntimeError("the bot process has no pid")
        await asyncio.sleep(2.5)  # past on_ready (guild_ready_timeout)
        ready = rss_mb(proc.pid)
        sem = asyncio.Semaphore(8)
        meter = CpuMeter(bot=proc.pid)
        meter.start()
        watch = Stopwatch()

        msgs: list[Message] = [None] * quizzes  # type: ignore[list-item]

        async def start(i: int) -> None:
            async with sem:
                _, msgs[i] = await start_group_quiz(host, channels[i], questions=10, seconds=120)

        await asyncio.gather(*(start(i) for i in range(quizzes)))
        started_s = watch.s
        cpu = meter.stop()["bot"]
        live = rss_mb(proc.pid)
        await asyncio.sleep(5)
        settled = rss_mb(proc.pid)
        members = [emu.member(f"p{i}") for i in range(players)]
        clicks = await _answer_all(emu, members, msgs)
        await asyncio.sleep(2)
        answered = rss_mb(proc.pid)
        children = sum(float(c.memory_info().rss) for c in psutil.Process(proc.pid).children())
        return {
            "ready": ready,
            "live": live,
            "settled": settled,
            "answered": answered,
            "clicks": float(clicks),
            "peak": peak_mb(proc.pid),
            "start_seconds": started_s,
            "cpu": cpu,
            "children_mb": children / 1024 / 1024,
            "tracebacks": float(proc.log_text().count("Traceback")),
        }
    finally:
        if proc is not None:
            await proc.stop()
        await emu.close()
        await drop_database(name)


async def main_async(args: argparse.Namespace) -> None:
    quizzes = 5 if args.tiny else args.quizzes
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    players = 2 if args.tiny else args.players
    r = await run(quizzes, players, workdir)
    header = await run_header(args.command)
    t = Table(
        f"Bot RSS with {quizzes:,} live group quizzes (MB)",
        [
            "ready (no quiz)",
            "all quizzes live",
            "5 s later",
            f"after {int(r['clicks']):,} answers ({players} players x {quizzes:,} quizzes)",
            "peak (VmHWM)",
            "seconds to start them",
            "bot CPU % meanwhile",
        ],
    )
    t.add(
        r["ready"], r["live"], r["settled"], r["answered"], r["peak"], r["start_seconds"], r["cpu"]
    )
    worst = max(r["live"], r["settled"], r["answered"])
    v = Table("Target", ["target", "measured", "met"])
    v.add(
        f"RSS ≤ {TARGET_MB:g} MB with {quizzes:,} live quizzes (largest reading)",
        f"{worst:.0f} MB",
        "yes" if worst <= TARGET_MB else "NO",
    )
    out()
    out(header)
    out(f"(bot log: {workdir / 'bot.log'}; tracebacks: {r['tracebacks']:.0f})")
    t.print()
    v.print()
    if args.write_docs:
        write_docs_section("memory", header + "\n\n" + tables_markdown([t, v]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--quizzes", type=int, default=1000)
    parser.add_argument(
        "--players", type=int, default=20, help="members who then answer in every quiz"
    )
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.command = "python -m bench.memory " + " ".join(sys.argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
