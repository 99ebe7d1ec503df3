"""Review deck at scale (issue [3/8]): due-card selection, a quiz's finish with its card
updates, and /readiness, on the 1 M-user benchmark database with one card per answer.

    python -m bench.boards --users 1000000 --keep      # once: bench_boards_1000000
    python -m bench.review [--reuse-db bench_boards_1000000] [--iterations 500] [--write-docs]

The first run fills ``review_cards`` from ``user_answers`` (one card per member and answered
question, about 20 M) with FSRS-like states; later runs reuse them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
from typing import Any

from bench.common import (
    Stopwatch,
    Table,
    Timings,
    database_exists,
    db_url,
    out,
    pg_connect,
    run_header,
    tables_markdown,
    write_docs_section,
)
from bot.core.events import FinalAnswer
from bot.features import register
from bot.quiz.records import AnswerInput, finish_attempt, record_answers_bulk, start_attempt
from bot.review import service as review
from bot.review.rules import end_of_day
from db.engine import create_engine, create_sessionmaker, unit_of_work
from db.review import queries as cards_db

DUE_TARGET_MS = 10.0
FINISH_TARGET_MS = 20.0
READINESS_TARGET_MS = 25.0

FILL = """
INSERT INTO review_cards (user_id, question_id, exam_type, objective, state, stability,
                          difficulty, due, last_review, interval_days, reps, lapses,
                          last_correct)
SELECT ua.user_id, ua.question_id, q.exam_type, q.domain, 2,
       CASE WHEN ua.is_correct THEN 3.0 + (ua.id % 40) ELSE 0.4 END,
       5.0,
       date_trunc('day', ua.answered_at)
         + make_interval(days => CASE WHEN ua.is_correct THEN 2 + (ua.id % 60) ELSE 1 END),
       ua.answered_at,
       CASE WHEN ua.is_correct THEN 2 + (ua.id % 60) ELSE 1 END,
       1, CASE WHEN ua.is_correct THEN 0 ELSE 1 END, ua.is_correct
FROM user_answers ua JOIN questions q ON q.id = ua.question_id
WHERE ua.user_id IS NOT NULL AND ua.question_id IS NOT NULL
ON CONFLICT (user_id, question_id) DO NOTHING
"""


async def fill_cards(name: str) -> tuple[int, float]:
    conn = await pg_connect(name)
    try:
        have = int(await conn.fetchval("SELECT count(*) FROM review_cards"))
        if have:
            return have, 0.0
        watch = Stopwatch()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(FILL)
        await conn.execute("ANALYZE review_cards")
        return int(await conn.fetchval("SELECT count(*) FROM review_cards")), watch.ms / 1000
    finally:
        await conn.close()


async def sample_users(name: str, n: int, rng: random.Random) -> list[tuple[int, str, str]]:
    """(user id, time zone, an exam they have cards of) of ``n`` members with cards."""
    conn = await pg_connect(name)
    try:
        top = int(await conn.fetchval("SELECT max(id) FROM users"))
        ids = rng.sample(range(1, top + 1), min(top, n * 3))
        rows = await conn.fetch(
            """SELECT p.user_id, p.timezone,
                      (SELECT c.exam_type FROM review_cards c WHERE c.user_id = p.user_id
                       LIMIT 1) AS exam
               FROM user_profiles p WHERE p.user_id = ANY($1::int[])""",
            ids,
        )
        return [(int(r[0]), str(r[1] or "UTC"), str(r[2])) for r in rows if r[2]][:n]
    finally:
        await conn.close()


async def measure(url: str, name: str, iterations: int, rng: random.Random) -> dict[str, Any]:
    register()
    users = await sample_users(name, iterations + 20, rng)
    conn = await pg_connect(name)
    try:
        bank: dict[str, list[tuple[int, str, str]]] = {}
        for exam in ("network", "security", "a1101", "a1102"):
            bank[exam] = [
                (int(i), str(c), str(d or ""))
                for i, c, d in await conn.fetch(
                    "SELECT id, correct_answer, domain FROM questions WHERE exam_type = $1",
                    exam,
                )
            ]
    finally:
        await conn.close()
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    due_t, finish_t, readiness_t = Timings(), Timings(), Timings()
    served = 0
    try:
        for i, (user_id, tz, exam) in enumerate(users):
            now = dt.datetime.now(dt.UTC)
            today_end = end_of_day(now.date(), tz)
            watch = Stopwatch()
            async with unit_of_work(sessions) as session:
                due = await cards_db.due_cards(session, user_id, today_end, limit=10)
                await cards_db.count_due(
                    session, user_id, before=[today_end, today_end + dt.timedelta(days=1)]
                )
            if i >= 20:
                due_t.add(watch.ms)
                served += len(due)

            questions = bank.get(exam) or bank["network"]
            asked = rng.sample(questions, min(50, len(questions)))
            async with unit_of_work(sessions) as session:
                attempt = await start_attempt(session, user_id, exam, len(asked), None, now)
                await record_answers_bulk(
                    session,
                    [
                        AnswerInput(
                            attempt, user_id, qid, key if rng.random() < 0.7 else "A", key, 5, now
                        )
                        for qid, key, _ in asked
                    ],
                )
            watch = Stopwatch()
            async with unit_of_work(sessions) as session:
                await finish_attempt(session, attempt, now)
                await review.record_final_answers(
                    session,
                    [
                        FinalAnswer(user_id, qid, exam, objective, rng.random() < 0.7, now, tz)
                        for qid, _, objective in asked
                    ],
                    now,
                )
            if i >= 20:
                finish_t.add(watch.ms)

            readiness = await _readiness(sessions, user_id, exam, now)
            if readiness is not None and i >= 20:
                readiness_t.add(readiness)
    finally:
        await engine.dispose()
    return {"due": due_t, "finish": finish_t, "readiness": readiness_t, "served": served}


async def _readiness(sessions: Any, user_id: int, exam: str, now: dt.datetime) -> float | None:
    """One /readiness unit of work in ms, or None while the readiness feature is absent."""
    try:
        from bot.readiness import service as readiness
    except ImportError:
        return None
    from db.readiness import queries as readiness_db

    watch = Stopwatch()
    async with unit_of_work(sessions) as session:
        discord_id = await _discord_id(session, user_id)
        if discord_id is None:
            return None
        await readiness.readiness(
            session, discord_id=discord_id, display_name="bench", exam_type=exam, now=now
        )
    del readiness_db
    return watch.ms


async def _discord_id(session: Any, user_id: int) -> int | None:
    from sqlalchemy import select

    from db.models import User

    value = (await session.execute(select(User.discord_id).where(User.id == user_id))).scalar()
    return None if value is None else int(value)


async def main_async(args: argparse.Namespace) -> None:
    if not await database_exists(args.reuse_db):
        raise SystemExit(f"no database {args.reuse_db}: run python -m bench.boards --keep")
    cards, seconds = await fill_cards(args.reuse_db)
    out(f"review_cards: {cards:,} rows" + (f" (filled in {seconds:.0f} s)" if seconds else ""))
    res = await measure(db_url(args.reuse_db), args.reuse_db, args.iterations, random.Random(5))
    header = await run_header("python -m bench.review " + " ".join(args.argv))
    t = Table(
        f"Review deck at 1 M users, {cards:,} cards, ms ({args.iterations} members)",
        ["unit of work", "p50", "p99", "max", "target p99", "met"],
    )
    for label, key, target in (
        (
            "/review due-card selection (10 most overdue + today/tomorrow counts)",
            "due",
            DUE_TARGET_MS,
        ),
        ("finish of a 50-answer quiz + its 50 card updates", "finish", FINISH_TARGET_MS),
        (
            "/readiness (answers, estimate, suggestions, due count)",
            "readiness",
            READINESS_TARGET_MS,
        ),
    ):
        tm: Timings = res[key]
        if not tm.values:
            t.add(label, "-", "-", "-", target, "not measured")
            continue
        t.add(label, tm.p50, tm.p99, tm.max, target, "yes" if tm.p99 <= target else "NO")
    out()
    out(header)
    t.print()
    if args.write_docs:
        write_docs_section("review", header + "\n\n" + tables_markdown([t]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reuse-db", default="bench_boards_1000000")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.argv = [a for a in ("--reuse-db", args.reuse_db, "--iterations", str(args.iterations))]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
