"""Leaderboards and stats at scale: generate, then time the three hot reads, at each size.

    python -m bench.boards                          # 10 k, 100 k and 1 M users (~15 min)
    python -m bench.boards --users 1000000 --keep   # keep the 1 M database for other benches
    python -m bench.boards --tiny                   # 2,000 users, a few seconds

For each size a fresh ``bench_boards_*`` database is migrated, seeded and filled by
bench/gen.py (5 quizzes and ~20 answers per user, 1,000 guilds), then each read runs
``--iterations`` times (after a warm-up) in its own unit of work, as the bot does:

* global top 10 + own rank: ``bot.leaderboards.service.leaderboard(board="xp", period="all")`` for a
  random user who is on the board (page 1 + their line, neighbours and rank);
* server weekly board: the same for ``period="week"`` in a user's guild, viewer on the board;
* per-domain stats: ``bot.profile.stats.user_stats(user, None)`` for a random user with answers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import (
    Stopwatch,
    Table,
    Timings,
    create_database,
    drop_database,
    out,
    pg_connect,
    prepare_schema,
    run_header,
    tables_markdown,
    unique_name,
    write_docs_section,
)
from bench.gen import Spec, generate
from bot.leaderboards.service import leaderboard
from bot.profile.stats import user_stats
from db.engine import create_engine, create_sessionmaker, unit_of_work
from db.leaderboards.queries import period_start

TARGETS = {"top10": 10.0, "weekly": 25.0, "stats": 20.0}


@dataclass
class SizeResult:
    users: int
    gen_seconds: float
    rows: dict[str, int]
    timings: dict[str, Timings] = field(default_factory=dict)
    db_size: str = ""


async def _time(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession, int], Awaitable[object]],
    args: list[int],
    iterations: int,
    warmup: int,
) -> Timings:
    timings = Timings()
    for i in range(warmup + iterations):
        arg = args[i % len(args)]
        watch = Stopwatch()
        async with unit_of_work(sessions) as session:
            await work(session, arg)
        if i >= warmup:
            timings.add(watch.ms)
    return timings


async def measure(url: str, iterations: int, *, seed: int = 7) -> dict[str, Timings]:
    """Time the three reads on a generated database."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    week = period_start("week", now)
    name = url.rsplit("/", 1)[-1]
    conn = await pg_connect(name)
    try:
        n = iterations + 50
        global_viewers = [
            int(r[0])
            for r in await conn.fetch(
                "SELECT user_id FROM board_scores TABLESAMPLE SYSTEM (10) WHERE board = 'xp' "
                "AND scope_id = 0 AND period = 'all' AND value IS NOT NULL LIMIT $1",
                n * 4,
            )
        ]
        weekly = [
            (int(r[0]), int(r[1]))
            for r in await conn.fetch(
                "SELECT user_id, scope_id FROM board_scores WHERE board = 'xp' AND scope_id <> 0 "
                "AND period = 'week' AND period_start = $1 AND value IS NOT NULL "
                "ORDER BY random() LIMIT $2",
                week,
                n,
            )
        ]
        stat_users = [
            int(r[0])
            for r in await conn.fetch(
                "SELECT DISTINCT user_id FROM user_objective_stats TABLESAMPLE SYSTEM (10) "
                "LIMIT $1",
                n * 4,
            )
        ]
    finally:
        await conn.close()
    rng.shuffle(global_viewers)
    rng.shuffle(stat_users)
    guild_of = dict(weekly)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)

    async def top10(session: AsyncSession, user_id: int) -> object:
        return await leaderboard(
            session,
            board="xp",
            scope_guild_id=None,
            period="all",
            exam_type=None,
            page=1,
            viewer_user_id=user_id,
            now=now,
        )

    async def weekly_board(session: AsyncSession, user_id: int) -> object:
        return await leaderboard(
            session,
            board="xp",
            scope_guild_id=guild_of[user_id],
            period="week",
            exam_type=None,
            page=1,
            viewer_user_id=user_id,
            now=now,
        )

    async def stats(session: AsyncSession, user_id: int) -> object:
        return await user_stats(session, user_id, None)

    try:
        warm = min(50, iterations)
        result = {
            "top10": await _time(sessions, top10, global_viewers or [1], iterations, warm),
            "weekly": await _time(
                sessions, weekly_board, [u for u, _ in weekly] or [1], iterations, warm
            )
            if weekly
            else Timings(),
            "stats": await _time(sessions, stats, stat_users or [1], iterations, warm),
        }
    finally:
        await engine.dispose()
    return result


async def run_size(users: int, iterations: int, *, keep: bool) -> SizeResult:
    name = f"bench_boards_{users}" if keep else unique_name(f"boards_{users}")
    url = await create_database(name)
    try:
        await prepare_schema(url)
        out(f"generating {users:,} users into {name} ...")
        report = await generate(url, Spec(users=users), log=out)
        conn = await pg_connect(name)
        try:
            size = str(await conn.fetchval("SELECT pg_size_pretty(pg_database_size($1))", name))
        finally:
            await conn.close()
        out(f"generated in {report.total_seconds:.1f} s ({size}); measuring ...")
        timings = await measure(url, iterations)
        return SizeResult(users, report.total_seconds, report.rows, timings, size)
    finally:
        if not keep:
            await drop_database(name)


def tables(results: list[SizeResult], iterations: int) -> list[Table]:
    gen = Table(
        "Generated data (binary COPY + SQL aggregates, indexes rebuilt, VACUUM ANALYZE)",
        [
            "users",
            "attempts",
            "answers",
            "board_scores rows",
            "objective-stats rows",
            "database size",
            "generation time (s)",
        ],
    )
    for r in results:
        gen.add(
            r.users,
            r.rows.get("quiz_attempts", 0),
            r.rows.get("user_answers", 0),
            r.rows.get("board_scores", 0),
            r.rows.get("user_objective_stats", 0),
            r.db_size,
            r.gen_seconds,
        )
    lat = Table(
        f"Read latency, ms ({iterations} runs each after warm-up, one unit of work per read)",
        [
            "users",
            "global top 10 + own rank p50",
            "p99",
            "server weekly board p50",
            "p99",
            "per-domain stats p50",
            "p99",
        ],
    )
    for r in results:
        t = r.timings
        lat.add(
            r.users,
            t["top10"].p50,
            t["top10"].p99,
            t["weekly"].p50,
            t["weekly"].p99,
            t["stats"].p50,
            t["stats"].p99,
        )
    verdict = Table("Targets (largest size)", ["read", "target p99", "measured p99", "met"])
    if results:
        big = results[-1]
        labels = {
            "top10": "global top 10 + own rank",
            "weekly": "server weekly board",
            "stats": "per-domain stats",
        }
        for key, target in TARGETS.items():
            p99 = big.timings[key].p99
            verdict.add(labels[key], f"≤ {target:g} ms", p99, "yes" if p99 <= target else "NO")
        if len(results) > 1:
            small = results[0]
            for key in TARGETS:
                growth = big.timings[key].p50 / small.timings[key].p50
                verdict.add(
                    f"{labels[key]}: p50 growth {small.users:,} → {big.users:,} users",
                    "",
                    f"× {growth:.2f}",
                    "",
                )
    return [gen, lat, verdict]


async def main_async(args: argparse.Namespace) -> None:
    sizes = [2000] if args.tiny else [int(s) for s in args.users.split(",")]
    iterations = 40 if args.tiny else args.iterations
    results = []
    for i, users in enumerate(sizes):
        results.append(await run_size(users, iterations, keep=args.keep and i == len(sizes) - 1))
    header = await run_header(args.command)
    out()
    out(header)
    ts = tables(results, iterations)
    for t in ts:
        t.print()
    if args.write_docs:
        write_docs_section("boards", header + "\n\n" + tables_markdown(ts))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.boards", description=__doc__)
    parser.add_argument("--users", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--tiny", action="store_true", help="2,000 users, 40 runs")
    parser.add_argument(
        "--keep", action="store_true", help="keep the largest database (bench_boards_<users>)"
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.command = "python -m bench.boards " + " ".join(a for a in __import__("sys").argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
