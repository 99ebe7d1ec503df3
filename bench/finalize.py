"""Quiz finalization at scale: attempt + 50 answers, then finish (streak, XP, achievements,
avatars, reminders, leaderboards), for existing users of a 1 M-user database.

    python -m bench.finalize                                   # generates 1 M users (~10 min)
    python -m bench.finalize --reuse-db bench_boards_1000000   # after bench.boards --keep
    python -m bench.finalize --tiny

Each iteration picks another random user with quiz history and runs, as the bot does, two
units of work: (1) ``start_attempt`` + ``record_answers_bulk`` of 50 answers; (2)
``finish_attempt`` (claim, totals, profile lock, streak, XP, ``award_achievements``, level,
``on_study``, ``record_progress`` on 18 board rows and their histograms). The finalization
latency is (2) including its commit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event

from bench.common import (
    Stopwatch,
    Table,
    Timings,
    create_database,
    database_exists,
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
from bot.quiz.records import AnswerInput, finish_attempt, record_answers_bulk, start_attempt
from db.engine import create_engine, create_sessionmaker, unit_of_work

TARGET_MS = 20.0


class StatementTimer:
    """Time of each SQL statement (first line) while ``on``: where finalization goes."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.times: dict[str, list[float]] = defaultdict(list)
        self._t0: dict[int, float] = {}
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._t0[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        t0 = self._t0.pop(id(cursor), None)
        if self.on and t0 is not None:
            key = " ".join(statement.split())[:90]
            self.times[key].append((time.perf_counter() - t0) * 1000)

    def table(self, iterations: int) -> Table:
        t = Table(
            "Where finalization goes: SQL statements (driver time) per finish, ms",
            ["statement", "calls per finish", "ms per finish (mean)", "p99 of one call"],
        )
        ranked = sorted(self.times.items(), key=lambda kv: -sum(kv[1]))
        for key, values in ranked[:14]:
            t.add(
                f"`{key}`", len(values) / iterations, sum(values) / iterations, Timings(values).p99
            )
        return t


async def measure(
    url: str, iterations: int, answers: int, seed: int = 3, *, profile: bool = False
) -> dict[str, object]:
    rng = random.Random(seed)
    name = url.rsplit("/", 1)[-1]
    conn = await pg_connect(name)
    try:
        top = int(await conn.fetchval("SELECT max(id) FROM users"))
        sample = rng.sample(range(1, top + 1), min(top, iterations * 6))
        users = [
            (int(r[0]), r[1])
            for r in await conn.fetch(
                """SELECT p.user_id,
                          (SELECT guild_id FROM quiz_attempts a WHERE a.user_id = p.user_id
                           ORDER BY completed_at DESC LIMIT 1)
                   FROM user_profiles p
                   WHERE p.user_id = ANY($1::int[]) AND p.total_exams_taken > 0""",
                sample,
            )
        ]
        bank = {
            e: [
                (int(i), str(c))
                for i, c in await conn.fetch(
                    "SELECT id, correct_answer FROM questions WHERE exam_type = $1", e
                )
            ]
            for e in ("a1101", "a1102", "network", "security")
        }
        users_total = int(await conn.fetchval("SELECT count(*) FROM users"))
    finally:
        await conn.close()
    rng.shuffle(users)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    statements = StatementTimer(engine) if profile else None
    record, finish, total = Timings(), Timings(), Timings()
    unlocked = 0
    leveled = 0
    warmup = min(20, iterations)
    try:
        for i in range(warmup + iterations):
            user_id, guild_id = users[i % len(users)]
            exam = rng.choice(list(bank))
            questions = bank[exam]
            asked = [questions[k % len(questions)] for k in range(answers)]
            now = dt.datetime.now(dt.UTC)
            whole = Stopwatch()
            async with unit_of_work(sessions) as session:
                attempt_id = await start_attempt(session, user_id, exam, answers, guild_id, now)
                await record_answers_bulk(
                    session,
                    [
                        AnswerInput(
                            attempt_id,
                            user_id,
                            qid,
                            right if rng.random() < 0.7 else "ABCD"[("ABCD".index(right) + 1) % 4],
                            right,
                            rng.randint(3, 30),
                            now,
                        )
                        for qid, right in asked
                    ],
                )
            record_ms = whole.ms
            watch = Stopwatch()
            if statements is not None:
                statements.on = i >= warmup
            async with unit_of_work(sessions) as session:
                result = await finish_attempt(session, attempt_id, now)
            if statements is not None:
                statements.on = False
            if i >= warmup:
                finish.add(watch.ms)
                record.add(record_ms)
                total.add(whole.ms)
                unlocked += len(result.achievements)
                leveled += int(result.leveled_up)
    finally:
        await engine.dispose()
    result: dict[str, object] = {
        "record": record,
        "finish": finish,
        "total": total,
        "unlocked": unlocked,
        "leveled": leveled,
        "users": users_total,
    }
    if statements is not None:
        result["statements"] = statements.table(iterations)
    return result


async def main_async(args: argparse.Namespace) -> None:
    iterations = 30 if args.tiny else args.iterations
    users = 2000 if args.tiny else args.users
    drop = None
    if args.reuse_db:
        if not await database_exists(args.reuse_db):
            raise SystemExit(f"no database {args.reuse_db}: run python -m bench.boards --keep")
        url = args.reuse_db
        from bench.common import db_url

        url = db_url(args.reuse_db)
        gen_note = f"reused {args.reuse_db}"
    else:
        drop = f"bench_finalize_{users}" if args.keep else unique_name(f"finalize_{users}")
        url = await create_database(drop)
        await prepare_schema(url)
        report = await generate(url, Spec(users=users), log=out)
        gen_note = f"generated in {report.total_seconds:.0f} s"
    try:
        res = await measure(url, iterations, args.answers, profile=args.statements)
    finally:
        if drop and not args.keep:
            await drop_database(drop)
    header = await run_header(args.command)
    t = Table(
        f"Quiz finalization, ms ({iterations} quizzes of {args.answers} answers, "
        f"{res['users']:,} users, {gen_note})",
        ["unit of work", "p50", "p99", "max", "mean"],
    )
    for label, key in (
        ("attempt + 50 answers (record_answers_bulk)", "record"),
        ("finish_attempt (finalization)", "finish"),
        ("both", "total"),
    ):
        tm = res[key]
        if not isinstance(tm, Timings):
            raise TypeError(f"{key}: expected Timings, got {tm!r}")
        t.add(label, tm.p50, tm.p99, tm.max, tm.mean)
    fin = res["finish"]
    if not isinstance(fin, Timings):
        raise TypeError(f"finish: expected Timings, got {fin!r}")
    v = Table("Target", ["target", "measured p99", "met", "achievements unlocked", "level-ups"])
    v.add(
        f"finalization p99 ≤ {TARGET_MS:g} ms",
        fin.p99,
        "yes" if fin.p99 <= TARGET_MS else "NO",
        res["unlocked"],
        res["leveled"],
    )
    ts = [t, v]
    if isinstance(res.get("statements"), Table):
        ts.append(res["statements"])  # type: ignore[arg-type]
    out()
    out(header)
    for tb in ts:
        tb.print()
    if args.write_docs:
        write_docs_section("finalize", header + "\n\n" + tables_markdown(ts))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.finalize", description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--reuse-db", help="a database generated by bench.boards --keep")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--answers", type=int, default=50)
    parser.add_argument(
        "--statements", action="store_true", help="also time each SQL statement of finish_attempt"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.command = "python -m bench.finalize " + " ".join(sys.argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
