"""The raw floor of the database beside the bot's own answer recording, in the same run.

    python -m bench.db_floor            # ~1 minute
    python -m bench.db_floor --tiny

On a fresh migrated ``bench_floor_*`` database (the real ``user_answers`` table, with its
indexes and foreign keys), one answer row per transaction unless stated:

* asyncpg, one connection, autocommit ``INSERT`` (prepared);
* asyncpg, a pool of 8 connections, 8 inserts in flight;
* SQLAlchemy ORM, one session, ``add`` + ``commit`` per row;
* asyncpg ``executemany`` in batches of 1,000 rows (one transaction per batch);
* asyncpg ``COPY`` (``copy_records_to_table``), 10,000 rows per COPY;
* the bot's answer path without Discord: ``bot.quiz.service.answer`` in its own unit of work
  per click (what ``AnswerButton.handle`` did before batching), 8 clicks in flight, and the
  same clicks through ``bot.quiz.batcher.AnswerBatcher`` with 64 in flight;
* SQLite beside: the SQLAlchemy Core insert per transaction and the bot's two answer paths.

``pg_test_fsync`` (one fdatasync, 8 kB) is run when it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy import insert, text

from bench.common import (
    Stopwatch,
    Table,
    Timings,
    fresh_database,
    out,
    pg_connect,
    prepare_schema,
    run_header,
    tables_markdown,
    write_docs_section,
)
from bot.quiz import service as svc
from bot.quiz.batcher import AnswerBatcher, Click
from db.engine import DatabaseUnavailable, create_engine, create_sessionmaker, unit_of_work
from db.models import UserAnswer

PG_TEST_FSYNC = Path("/usr/lib/postgresql/15/bin/pg_test_fsync")
COLUMNS = (
    "user_id",
    "quiz_attempt_id",
    "question_id",
    "user_answer",
    "correct_answer",
    "is_correct",
    "time_spent_seconds",
    "answered_at",
)


class Keys:
    """Distinct (attempt, question) pairs for the unique constraint."""

    def __init__(self, attempts: list[int], questions: list[int]) -> None:
        self._it = itertools.product(attempts, questions)

    def row(self, user_id: int) -> tuple[object, ...]:
        attempt, question = next(self._it)
        return (user_id, attempt, question, "A", "B", False, 5, dt.datetime.now(dt.UTC))


async def _setup_rows(conn: asyncpg.Connection, attempts: int) -> tuple[int, list[int], list[int]]:
    tag = secrets.token_hex(4)
    user_id = await conn.fetchval(
        "INSERT INTO users (email, username, hashed_password) VALUES ($1, $2, 'x') RETURNING id",
        f"floor-{tag}@bench.invalid",
        f"floor-{tag}",
    )
    await conn.execute(
        "INSERT INTO quiz_attempts (user_id, exam_type, total_questions, correct_answers, "
        "score_percentage, status) SELECT $1, 'security', 50, 0, 0, 'in_progress' "
        "FROM generate_series(1, $2)",
        user_id,
        attempts,
    )
    att = [
        int(r[0])
        for r in await conn.fetch(
            "SELECT id FROM quiz_attempts WHERE user_id = $1 ORDER BY id", user_id
        )
    ]
    qs = [int(r[0]) for r in await conn.fetch("SELECT id FROM questions ORDER BY id")]
    return int(user_id), att, qs


async def _rate(n: int, work: Callable[[int], Awaitable[None]], concurrency: int = 1) -> float:
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < n:
            await work(0)

    watch = Stopwatch()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / watch.s


INSERT_SQL = (
    "INSERT INTO user_answers (" + ", ".join(COLUMNS) + ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
)


async def raw_floor(name: str, url: str, n: int) -> dict[str, float]:
    conn = await pg_connect(name)
    user_id, att, qs = await _setup_rows(conn, max(200, n * 12 // 256 + 10))
    keys = Keys(att, qs)
    results: dict[str, float] = {}
    try:
        stmt = await conn.prepare(INSERT_SQL)

        async def one(_: int) -> None:
            await stmt.fetch(*keys.row(user_id))

        results["asyncpg, 1 connection, autocommit"] = await _rate(n, one)
        pool = await asyncpg.create_pool(
            host="127.0.0.1", user="postgres", database=name, min_size=8, max_size=8
        )
        if pool is None:
            raise RuntimeError("asyncpg made no connection pool")
        try:

            async def pooled(_: int) -> None:
                async with pool.acquire() as c:
                    await c.execute(INSERT_SQL, *keys.row(user_id))

            results["asyncpg, pool of 8, autocommit"] = await _rate(n * 2, pooled, 8)
        finally:
            await pool.close()

        async def many(_: int) -> None:
            async with conn.transaction():
                await conn.executemany(INSERT_SQL, [keys.row(user_id) for _ in range(1000)])

        batches = max(2, n // 500)
        results["asyncpg executemany, 1,000 rows per transaction"] = (
            await _rate(batches, many) * 1000
        )

        async def copy(_: int) -> None:
            await conn.copy_records_to_table(
                "user_answers",
                records=[keys.row(user_id) for _ in range(10_000)],
                columns=list(COLUMNS),
            )

        results["asyncpg COPY, 10,000 rows per COPY"] = (
            await _rate(max(2, n // 2000), copy) * 10_000
        )
    finally:
        await conn.close()

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:

            async def orm(_: int) -> None:
                r = keys.row(user_id)
                session.add(UserAnswer(**dict(zip(COLUMNS, r, strict=True))))
                await session.commit()

            results["SQLAlchemy ORM, one session, commit per row"] = await _rate(n, orm)
    finally:
        await engine.dispose()
    return results


async def sqlalchemy_core(url: str, n: int, keys: Keys, user_id: int) -> float:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:

        async def core(_: int) -> None:
            async with unit_of_work(sessions) as session:
                await session.execute(
                    insert(UserAnswer).values(dict(zip(COLUMNS, keys.row(user_id), strict=True)))
                )

        return await _rate(n, core)
    finally:
        await engine.dispose()


async def bot_paths(url: str, clicks: int, members: int) -> dict[str, float]:
    """The bot's answer recording without Discord: per-click units of work, then batched.

    Every member first joins every quiz on question 1 (through the batcher, not measured);
    then both paths answer question 2, each on its own half of the quizzes."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    results: dict[str, float] = {}

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    try:
        per_half = -(-clicks // members)
        quizzes = []
        for i in range(2 * per_half):
            async with unit_of_work(sessions) as session:
                v = await svc.start_quiz(
                    session,
                    host_discord_id=9,
                    host_name="host",
                    guild_id=1,
                    channel_id=1000 + i,
                    exam_type="security",
                    objective=None,
                    count=50,
                    seconds=120,
                    mode="group",
                    now=now(),
                )
            quizzes.append(v.session_id)
        batcher = AnswerBatcher(sessions)
        await asyncio.gather(
            *(
                batcher.answer(Click(q, 0, "A", 10_000 + m, f"m{m}", now()))
                for q in quizzes
                for m in range(members)
            )
        )
        for q in quizzes:
            async with unit_of_work(sessions) as session:
                await svc.reveal(session, q, 0)
                await svc.next_question(session, q, 0, now())
        half = len(quizzes) // 2
        single = iter([(q, m) for q in quizzes[:half] for m in range(members)])
        batched = iter([(q, m) for q in quizzes[half:] for m in range(members)])

        locked = 0

        async def one_click(_: int) -> None:
            nonlocal locked
            q, m = next(single)
            try:
                await _one_click(q, m)
            except DatabaseUnavailable:  # SQLite: "database is locked" after busy_timeout
                locked += 1

        async def _one_click(q: int, m: int) -> None:
            async with unit_of_work(sessions) as session:
                await svc.answer(
                    session,
                    session_id=q,
                    index=1,
                    letter="B",
                    discord_id=10_000 + m,
                    display_name=f"m{m}",
                    now=now(),
                )

        async def batched_click(_: int) -> None:
            q, m = next(batched)
            await batcher.answer(Click(q, 1, "B", 10_000 + m, f"m{m}", now()))

        results["bot: quiz_service.answer, one unit of work per click, 8 in flight"] = await _rate(
            clicks, one_click, 8
        )
        results["bot: quiz_service.answer: clicks failed (database is locked)"] = locked
        results["bot: AnswerBatcher, 64 in flight"] = await _rate(clicks, batched_click, 64)
        # unloaded latency: one click at a time, on question 3
        for q in quizzes:
            async with unit_of_work(sessions) as session:
                await svc.reveal(session, q, 1)
                await svc.next_question(session, q, 1, now())
        lone = min(members, 100)
        for label, path in (("one unit of work", "single"), ("AnswerBatcher", "batched")):
            timings = Timings()
            for m in range(lone):
                watch = Stopwatch()
                if path == "single":
                    async with unit_of_work(sessions) as session:
                        await svc.answer(
                            session,
                            session_id=quizzes[0],
                            index=2,
                            letter="C",
                            discord_id=10_000 + m,
                            display_name=f"m{m}",
                            now=now(),
                        )
                else:
                    await batcher.answer(Click(quizzes[1], 2, "C", 10_000 + m, f"m{m}", now()))
                timings.add(watch.ms)
            results[f"latency ms, one click at a time, {label} (p50)"] = timings.p50
        await batcher.close()
    finally:
        await engine.dispose()
    return results


def pg_test_fsync() -> str:
    if not PG_TEST_FSYNC.exists():
        return "not installed"
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [str(PG_TEST_FSYNC), "-s", "1", "-f", str(Path(tmp) / "fsync.test")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    m = re.search(r"fdatasync\s+([\d.,]+) ops/sec\s+([\d.,]+) usecs/op", proc.stdout)
    return f"{m[2]} µs per fdatasync ({m[1]} ops/s)" if m else "unparsed"


async def main_async(args: argparse.Namespace) -> None:
    n = 100 if args.tiny else args.rows
    clicks = 60 if args.tiny else args.clicks
    members = 10 if args.tiny else 100
    pg: dict[str, float] = {}
    async with fresh_database("floor") as (name, url):
        pg.update(await raw_floor(name, url, n))
        conn = await pg_connect(name)
        user_id, att, qs = await _setup_rows(conn, 400)
        await conn.close()
        pg["SQLAlchemy Core insert, one unit of work per row"] = await sqlalchemy_core(
            url, n, Keys(att, qs), user_id
        )
    async with fresh_database("floor_bot") as (_, url):
        pg.update(await bot_paths(url, clicks, members))
    lite: dict[str, float] = {}
    if not args.no_sqlite:
        tmp = Path(tempfile.mkdtemp(prefix="bench-floor-"))
        try:
            url = f"sqlite+aiosqlite:///{tmp / 'floor.sqlite3'}"
            await prepare_schema(url)
            engine = create_engine(url)
            try:
                async with engine.begin() as c:
                    await c.execute(
                        text(
                            "INSERT INTO users (id, email, username, hashed_password) "
                            "VALUES (1, 'f@b.invalid', 'f', 'x')"
                        )
                    )
                    await c.execute(
                        text(
                            "INSERT INTO quiz_attempts (user_id, exam_type, total_questions, "
                            "correct_answers, score_percentage, status, completed_at) "
                            "SELECT 1, 'security', 50, 0, 0, 'in_progress', CURRENT_TIMESTAMP "
                            "FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                            "WHERE i < 100) SELECT i FROM s)"
                        )
                    )
                    att = [r[0] for r in await c.execute(text("SELECT id FROM quiz_attempts"))]
                    qs = [r[0] for r in await c.execute(text("SELECT id FROM questions"))]
            finally:
                await engine.dispose()
            lite["SQLAlchemy Core insert, one unit of work per row"] = await sqlalchemy_core(
                url, n, Keys(att, qs), 1
            )
            url2 = f"sqlite+aiosqlite:///{tmp / 'bot.sqlite3'}"
            await prepare_schema(url2)
            lite.update(await bot_paths(url2, clicks, members))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    fsync = "skipped (tiny)" if args.tiny else pg_test_fsync()

    header = await run_header(args.command)
    t = Table(
        "Rows (answers) per second, one per transaction unless stated",
        ["what", "PostgreSQL rows/s", "SQLite rows/s"],
    )
    lat = Table(
        "The bot's answer path without Discord, one click at a time: latency p50, ms",
        ["path", "PostgreSQL", "SQLite"],
    )
    for key in pg:
        if key.startswith("latency"):
            lat.add(
                key.split(", ")[-1].removesuffix(" (p50)"), pg[key], lite.get(key, float("nan"))
            )
        else:
            t.add(key, pg[key], lite.get(key, float("nan")))
    base1 = pg["asyncpg, 1 connection, autocommit"]
    base8 = pg["asyncpg, pool of 8, autocommit"]
    r = Table("Ratios (same run)", ["bot path", "÷ asyncpg 1 connection", "÷ asyncpg pool of 8"])
    for key, value in pg.items():
        if key.startswith("bot:") and "failed" not in key:
            r.add(key, f"{value / base1:.2f}", f"{value / base8:.2f}")
    f = Table("Disk", ["pg_test_fsync (open_datasync/fdatasync, 8 kB)"])
    f.add(fsync)
    out()
    out(header)
    for tb in (t, r, lat, f):
        tb.print()
    if args.write_docs:
        write_docs_section("db_floor", header + "\n\n" + tables_markdown([t, r, lat, f]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.db_floor", description=__doc__)
    parser.add_argument("--rows", type=int, default=5000, help="rows per single-row measure")
    parser.add_argument("--clicks", type=int, default=3000, help="clicks per bot path")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.command = "python -m bench.db_floor " + " ".join(sys.argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
