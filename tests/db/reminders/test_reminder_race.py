"""PostgreSQL only: concurrent sweeps (two engines, two OS processes) send each due reminder
exactly once; locked rows are skipped, not waited for; an expired lease is re-claimed.

These tests commit real rows (concurrency needs separate transactions) and delete them at
the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import sys
import textwrap
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.reminders import store
from bot.reminders.rules import ReminderMessage, SendOutcome, reminder_instant
from bot.reminders.service import sweep
from db.engine import create_engine, create_sessionmaker
from db.models import User, UserProfile
from db.reminders import queries as q
from tests.db.factories import make_user

pytestmark = pytest.mark.postgres_only

UTC = dt.UTC
NOW = dt.datetime(2032, 2, 14, 20, 0, tzinfo=UTC)
TODAY = NOW.date()
LEASE = dt.timedelta(minutes=5)
ROOT = Path(__file__).resolve().parents[3]


class RecordingSender:
    def __init__(self, name: str, log: list[tuple[str, int]]) -> None:
        self.name = name
        self.log = log

    async def send(self, reminder: ReminderMessage) -> SendOutcome:
        for _ in range(random.randint(0, 3)):  # interleave with the other sweeps
            await asyncio.sleep(0)
        self.log.append((self.name, reminder.user_id))
        return SendOutcome.sent()


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def engines(
    pg_url: str, pg_engine: AsyncEngine
) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two independent engines (pools) on the migrated test database."""
    a, b = create_engine(pg_url), create_engine(pg_url)
    try:
        yield a, b
    finally:
        await a.dispose()
        await b.dispose()


@pytest.fixture
async def users(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> AsyncIterator[list[int]]:
    """Created (committed) user ids; deleted with everything that cascades at the end."""
    created: list[int] = []
    yield created
    if created:
        async with engines[0].begin() as conn:
            await conn.execute(delete(User).where(User.id.in_(created)))


async def add_users(
    sessions: async_sessionmaker[AsyncSession],
    created: list[int],
    count: int,
    *,
    due: bool = True,
) -> list[int]:
    ids = []
    async with sessions() as s, s.begin():
        for _ in range(count):
            uid = await make_user(s, discord_id=random.randint(10**17, 10**18))
            await s.execute(
                update(UserProfile)
                .where(UserProfile.user_id == uid)
                .values(
                    remind_enabled=True,
                    remind_hour=20,
                    timezone="UTC",
                    study_streak_current=5,
                    last_activity_date=TODAY - dt.timedelta(days=1 if due else 0),
                    remind_next_at=reminder_instant(TODAY, "UTC", 20),
                )
            )
            ids.append(uid)
    created.extend(ids)
    return ids


async def reminded(sessions: async_sessionmaker[AsyncSession], ids: list[int]) -> list[tuple]:
    p = UserProfile
    async with sessions() as s:
        rows = await s.execute(
            select(p.reminded_on, p.remind_lease_until, p.remind_unanswered).where(
                p.user_id.in_(ids)
            )
        )
        return [tuple(r) for r in rows]


async def test_racing_sweeps_on_two_engines_send_each_reminder_once(
    engines: tuple[AsyncEngine, AsyncEngine], users: list[int]
) -> None:
    sa, sb = create_sessionmaker(engines[0]), create_sessionmaker(engines[1])
    due = await add_users(sa, users, 150)
    not_due = await add_users(sb, users, 30, due=False)
    log: list[tuple[str, int]] = []
    reports = await asyncio.gather(
        *(
            sweep(
                sessions,
                RecordingSender(name, log),
                now=NOW,
                batch_size=7,
                concurrency=4,
                lease=LEASE,
                sleep=_no_sleep,
            )
            for name, sessions in (("a1", sa), ("b1", sb), ("a2", sa), ("b2", sb))
        )
    )
    sent = Counter(uid for _, uid in log)
    assert set(sent) == set(due)
    assert all(n == 1 for n in sent.values()), [u for u, n in sent.items() if n > 1]
    assert sum(r.sent for r in reports) == len(due)
    assert sum(r.claimed for r in reports) == len(due)
    assert sum(r.examined for r in reports) == len(due) + len(not_due)
    assert len({name for name, _ in log}) > 1  # the work really was shared
    assert set(await reminded(sa, due)) == {(TODAY, None, 1)}
    assert set(await reminded(sa, not_due)) == {(None, None, 0)}


async def test_a_locked_batch_is_skipped_not_waited_for(
    engines: tuple[AsyncEngine, AsyncEngine], users: list[int]
) -> None:
    sa, sb = create_sessionmaker(engines[0]), create_sessionmaker(engines[1])
    await add_users(sa, users, 10)
    async with sa() as first, first.begin():
        held = await store.claim_batch(first, now=NOW, limit=6, lease=LEASE)
        assert len(held.claims) == 6
        # The first transaction is still open and holds its rows' locks.
        async with sb() as second, second.begin():
            other = await asyncio.wait_for(
                store.claim_batch(second, now=NOW, limit=6, lease=LEASE), timeout=10
            )
    mine = {c.message.user_id for c in held.claims}
    theirs = {c.message.user_id for c in other.claims}
    assert len(theirs) == 4 and not mine & theirs


async def test_expired_lease_is_reclaimed_by_another_engine(
    engines: tuple[AsyncEngine, AsyncEngine], users: list[int]
) -> None:
    sa, sb = create_sessionmaker(engines[0]), create_sessionmaker(engines[1])
    due = await add_users(sa, users, 5)
    # Process A claims and dies before sending.
    async with sa() as s, s.begin():
        dead = (await store.claim_batch(s, now=NOW, limit=100, lease=LEASE)).claims
    assert {c.message.user_id for c in dead} == set(due)
    log: list[tuple[str, int]] = []
    b = RecordingSender("b", log)
    early = await sweep(sb, b, now=NOW + dt.timedelta(minutes=2), lease=LEASE, sleep=_no_sleep)
    assert early.examined == 0 and log == []
    late = await sweep(sb, b, now=NOW + LEASE, lease=LEASE, sleep=_no_sleep)
    assert late.sent == 5 and sorted(uid for _, uid in log) == sorted(due)
    again = await sweep(sb, b, now=NOW + LEASE + dt.timedelta(minutes=1), lease=LEASE)
    assert again.examined == 0 and len(log) == 5
    # A's late outcome is fenced off.
    async with sa() as s, s.begin():
        assert not await q.mark_sent(s, dead[0])
    assert set(await reminded(sa, due)) == {(TODAY, None, 1)}


_PROCESS_SCRIPT = textwrap.dedent(
    """
    import asyncio, datetime as dt, json, sys
    from bot.reminders.service import sweep
    from bot.reminders.rules import SendOutcome
    from db.engine import create_engine, create_sessionmaker

    class Sender:
        def __init__(self):
            self.sent = []

        async def send(self, reminder):
            await asyncio.sleep(0.001)
            self.sent.append(reminder.user_id)
            return SendOutcome.sent()

    async def main(url, now):
        engine = create_engine(url)
        sender = Sender()
        sys.stdout.write("ready\\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        report = await sweep(
            create_sessionmaker(engine), sender, now=now, batch_size=5, concurrency=4
        )
        await engine.dispose()
        sys.stdout.write(json.dumps({"sent": sender.sent, "claimed": report.claimed}) + "\\n")

    asyncio.run(main(sys.argv[1], dt.datetime.fromisoformat(sys.argv[2])))
    """
)


async def test_two_processes_send_each_reminder_once(
    pg_url: str, engines: tuple[AsyncEngine, AsyncEngine], users: list[int]
) -> None:
    sa = create_sessionmaker(engines[0])
    due = await add_users(sa, users, 120)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _PROCESS_SCRIPT,
            pg_url,
            NOW.isoformat(),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for proc in procs:  # both are connected and waiting: start them together
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert line.strip() == b"ready", line
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    results = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    sent = Counter(uid for r in results for uid in r["sent"])
    assert set(sent) == set(due) and set(sent.values()) == {1}
    assert sum(r["claimed"] for r in results) == len(due)
    assert set(await reminded(sa, due)) == {(TODAY, None, 1)}
