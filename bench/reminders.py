"""Reminder sweep: due-user selection at 1 M profiles, then DMs from two processes at once.

    python -m bench.reminders                                   # generates 1 M users (~3 min)
    python -m bench.reminders --reuse-db bench_boards_1000000   # after bench.boards --keep
    python -m bench.reminders --tiny

1. Selection: ``--due`` profiles (100 k) become due within the last hour (reminders on,
   streak alive from yesterday, not reminded today), 200 k more are on but due later today;
   then ``db.reminders.queries.claim_batch`` runs batch after batch (100 users, each in its own
   committed transaction, as the sweep does) until the due set is empty. Latency per batch.
2. Delivery: ``--dm-users`` of them are made due again with a DM channel in the emulator and
   two ``python -m bench.reminder_worker`` processes sweep at the same time, each with its
   sender's rate limit at ``--rate`` DMs/s. Counted in the emulator: DMs per user
   (duplicates), sends, and the rate each process achieved.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from bench.common import (
    Stopwatch,
    Table,
    Timings,
    create_database,
    database_exists,
    db_url,
    drop_database,
    out,
    pg_connect,
    prepare_schema,
    run_header,
    tables_markdown,
    unique_name,
    write_docs_section,
)
from bench.emu import BenchEmulator
from bench.gen import Spec, generate
from bot.reminders import store
from db.engine import create_engine, create_sessionmaker, unit_of_work
from tests.emulator import BotProcess, User

TARGET_MS = 100.0
RESET = """UPDATE user_profiles SET remind_enabled = false, remind_next_at = NULL,
           reminded_on = NULL, remind_lease_until = NULL, dm_channel_id = NULL
           WHERE remind_enabled OR remind_next_at IS NOT NULL OR dm_channel_id IS NOT NULL"""


async def setup_due(name: str, due: int, later: int, now: dt.datetime) -> int:
    """Make ``due`` random users with quiz history due within the last hour and ``later``
    more enabled but due later today; returns the number of profiles."""
    conn = await pg_connect(name)
    try:
        await conn.execute(RESET)
        total = int(await conn.fetchval("SELECT count(*) FROM user_profiles"))
        await conn.execute(
            """WITH picked AS (
                 SELECT user_id, row_number() OVER () AS n FROM (
                   SELECT user_id FROM user_profiles WHERE total_exams_taken > 0
                   ORDER BY random() LIMIT $1::int + $2::int) s)
               UPDATE user_profiles p SET
                 remind_enabled = true, timezone = 'UTC', remind_unanswered = 0,
                 remind_disabled_reason = NULL, reminded_on = NULL, remind_lease_until = NULL,
                 remind_hour = CASE WHEN picked.n <= $1::int THEN 0 ELSE 23 END,
                 study_streak_current = greatest(p.study_streak_current, 1),
                 last_activity_date = ($3::timestamptz AT TIME ZONE 'UTC')::date - 1,
                 remind_next_at = CASE WHEN picked.n <= $1::int
                   THEN $3::timestamptz - random() * interval '1 hour'
                   ELSE $3::timestamptz + interval '1 minute' + random() * interval '20 hours'
                 END
               FROM picked WHERE p.user_id = picked.user_id""",
            due,
            later,
            now,
        )
        await conn.execute("ANALYZE user_profiles")
        return total
    finally:
        await conn.close()


async def selection(url: str, now: dt.datetime, batch: int) -> tuple[Timings, int, int]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    timings = Timings()
    claimed = examined = 0
    try:
        while True:
            watch = Stopwatch()
            async with unit_of_work(sessions) as session:
                result = await store.claim_batch(
                    session, now=now, limit=batch, lease=dt.timedelta(minutes=30)
                )
            if result.examined == 0:
                break
            timings.add(watch.ms)
            examined += result.examined
            claimed += len(result.claims)
    finally:
        await engine.dispose()
    return timings, examined, claimed


async def delivery(
    name: str, users: int, rate: float, batch: int, workdir: Path
) -> dict[str, object]:
    emu = await BenchEmulator.start()
    conn = await pg_connect(name)
    try:
        await conn.execute(RESET)
        rows = await conn.fetch(
            """SELECT u.id, u.discord_id FROM users u JOIN user_profiles p ON p.user_id = u.id
               WHERE p.total_exams_taken > 0 AND u.discord_id IS NOT NULL
               ORDER BY random() LIMIT $1""",
            users,
        )
        channels: dict[int, int] = {}
        for uid, did in rows:
            user = User(int(did), f"bu{uid}")
            emu.users[user.id] = user
            channels[int(uid)] = emu.dm_channel(user).id
        now = dt.datetime.now(dt.UTC)
        await conn.executemany(
            """UPDATE user_profiles SET remind_enabled = true, remind_hour = 0, timezone = 'UTC',
                 study_streak_current = greatest(study_streak_current, 1),
                 last_activity_date = ($2::timestamptz AT TIME ZONE 'UTC')::date - 1,
                 reminded_on = NULL, remind_lease_until = NULL, remind_unanswered = 0,
                 remind_next_at = $2::timestamptz - interval '1 minute', dm_channel_id = $3
               WHERE user_id = $1""",
            [(uid, now, ch) for uid, ch in channels.items()],
        )
    finally:
        await conn.close()
    procs = [
        BotProcess.module(
            "bench.reminder_worker",
            "--rate",
            str(rate),
            "--batch",
            str(batch),
            env={"DATABASE_URL": db_url(name), "LOG_LEVEL": "WARNING"},
            log_path=workdir / f"worker-{i}.log",
            cwd=workdir,
        )
        for i in range(2)
    ]
    try:
        watch = Stopwatch()
        for p in procs:
            await p.start(emu)
        codes = [await p.wait_exit(timeout=max(120.0, 3 * users / rate)) for p in procs]
        wall = watch.s
        results = []
        for p, code in zip(procs, codes, strict=True):
            line = next((ln for ln in p.log_text().splitlines() if ln.startswith("RESULT ")), None)
            if code != 0 or line is None:
                raise RuntimeError(f"reminder worker failed ({code}):\n{p.log_tail()}")
            results.append(json.loads(line[len("RESULT ") :]))
        per_channel = {ch: len(emu.messages_in(emu.channels[ch])) for ch in channels.values()}
        posts = emu.calls.filter("POST", "/channels/{channel_id}/messages")
        times = sorted(c.at for c in posts)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return {
            "users": len(channels),
            "workers": results,
            "wall": wall,
            "posts": len(posts),
            "duplicates": sum(max(0, n - 1) for n in per_channel.values()),
            "missed": sum(1 for n in per_channel.values() if n == 0),
            "nonce_hits": getattr(emu, "nonce_hits", 0),
            "aggregate_rate": (len(times) - 1) / span if span else 0.0,
            "both_sent_to": len(set(results[0]["user_ids"]) & set(results[1]["user_ids"])),
        }
    finally:
        for p in procs:
            await p.stop()
        await emu.close()


async def main_async(args: argparse.Namespace) -> None:
    users = 2000 if args.tiny else args.users
    due = 200 if args.tiny else args.due
    dm_users = 20 if args.tiny else args.dm_users
    drop = None
    if args.reuse_db:
        if not await database_exists(args.reuse_db):
            raise SystemExit(f"no database {args.reuse_db}: run python -m bench.boards --keep")
        name, note = args.reuse_db, f"reused {args.reuse_db}"
    else:
        name = drop = f"bench_reminders_{users}" if args.keep else unique_name(f"reminders_{users}")
        url = await create_database(name)
        await prepare_schema(url)
        report = await generate(url, Spec(users=users, answers=False, boards=False), log=out)
        note = f"generated in {report.total_seconds:.0f} s"
    workdir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    try:
        now = dt.datetime.now(dt.UTC)
        total = await setup_due(name, due, 2 * due, now)
        timings, examined, claimed = await selection(db_url(name), now, args.batch)
        dm = await delivery(
            name, dm_users, args.rate, 5 if args.tiny else args.worker_batch, workdir
        )
    finally:
        if drop and not args.keep:
            await drop_database(drop)
    header = await run_header(args.command)
    sel = Table(
        f"Due-user selection: claim_batch of {args.batch}, one committed transaction each "
        f"({total:,} profiles, {due:,} due in the last hour, {2 * due:,} due later; {note})",
        ["batches", "examined", "claimed", "p50 ms", "p99 ms", "max ms", "total s"],
    )
    sel.add(
        timings.n,
        examined,
        claimed,
        timings.p50,
        timings.p99,
        timings.max,
        sum(timings.values) / 1000,
    )
    workers = dm["workers"]
    if not isinstance(workers, list):
        raise TypeError(f"expected a list of workers, got {workers!r}")
    dmt = Table(
        f"DMs through the emulator: two sweep processes at once, each limited to {args.rate:g}/s",
        ["process", "sent", "batches", "DMs/s", "of the limit"],
    )
    for i, w in enumerate(workers):
        dmt.add(
            f"worker {i + 1}",
            w["sent"],
            w["batches"],
            w["rate"],
            f"{w['rate'] / args.rate * 100:.0f} %",
        )
    dmt.add(
        "both",
        sum(w["sent"] for w in workers),
        "",
        dm["aggregate_rate"],
        f"{float(dm['aggregate_rate']) / (2 * args.rate) * 100:.0f} %",
    )
    v = Table("Targets", ["target", "measured", "met"])
    v.add(
        f"selection ≤ {TARGET_MS:g} ms per batch (p99)",
        timings.p99,
        "yes" if timings.p99 <= TARGET_MS else "NO",
    )
    low = min(float(w["rate"]) for w in workers)
    v.add(
        "each process ≥ 90 % of its rate limit",
        f"{low / args.rate * 100:.0f} %",
        "yes" if low >= 0.9 * args.rate else "NO",
    )
    v.add(
        "zero duplicates across the two processes",
        f"{dm['duplicates']} duplicate DMs, {dm['both_sent_to']} users sent by both, "
        f"{dm['missed']} missed of {dm['users']}, {dm['posts']} sends",
        "yes" if dm["duplicates"] == 0 and dm["both_sent_to"] == 0 and dm["missed"] == 0 else "NO",
    )
    out()
    out(header)
    for t in (sel, dmt, v):
        t.print()
    if args.write_docs:
        write_docs_section("reminders", header + "\n\n" + tables_markdown([sel, dmt, v]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--dm-users", type=int, default=1000)
    parser.add_argument("--worker-batch", type=int, default=50, help="claim size per sweep")
    parser.add_argument("--rate", type=float, default=20.0, help="DMs/s per process")
    parser.add_argument("--reuse-db", help="a database generated by bench.boards --keep")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.command = "python -m bench.reminders " + " ".join(sys.argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
