"""Reminder queries and the sweep, on PostgreSQL and SQLite (per-test rollback).

Every test drives the sweep with an injected ``now`` and a fake sender: nothing sleeps and
nothing talks to Discord.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.errors import InvalidInput, NotFound
from bot.reminders import store
from bot.reminders.cli import parse_now, run_sweep_cli
from bot.reminders.delivery import ReminderOptInButton
from bot.reminders.rules import (
    REASON_DM_CLOSED,
    REASON_NO_DISCORD_ACCOUNT,
    REASON_PAUSED,
    ReminderMessage,
    SendOutcome,
    SendStatus,
    format_status,
    local_date,
    nonce,
    reminder_instant,
)
from bot.reminders.scheduler import JOB_ID, ReminderScheduler
from bot.reminders.service import CircuitBreaker, sweep
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade_to_head
from db.models import User, UserProfile
from db.reminders import queries as q
from tests.db.factories import make_attempt, make_user

UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
LEASE = dt.timedelta(minutes=5)
NOW = dt.datetime(2031, 5, 10, 20, 0, tzinfo=UTC)  # 20:00 UTC, a Saturday
TODAY = NOW.date()

_discord_ids = itertools.count(700_000_000_000_000_001)


# --- helpers --------------------------------------------------------------------------------


class FakeSender:
    """Records every call; answers from a per-Discord-id script (default: sent)."""

    def __init__(self, script: dict[int, list[SendOutcome]] | None = None) -> None:
        self.script = script or {}
        self.default: SendOutcome = SendOutcome.sent()
        self.calls: list[ReminderMessage] = []
        self.sent: list[ReminderMessage] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def send(self, reminder: ReminderMessage) -> SendOutcome:
        self.calls.append(reminder)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            queue = self.script.get(reminder.discord_id)
            outcome = queue.pop(0) if queue else self.default
            if outcome.status is SendStatus.SENT:
                self.sent.append(reminder)
            return outcome
        finally:
            self.in_flight -= 1

    def sent_ids(self) -> list[int]:
        return [m.user_id for m in self.sent]


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def sessions(session: AsyncSession) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's connection: each transaction is a savepoint, rolled back with
    the test. Never use the ``session`` fixture itself alongside (savepoint order).

    pysqlite emits no ``BEGIN`` for the fixture's outer transaction, so the first SAVEPOINT
    would become the outermost transaction and its RELEASE would commit for good. A no-op
    UPDATE makes pysqlite open the real outer transaction first.
    """
    conn = session.bind
    assert isinstance(conn, AsyncConnection)
    if conn.dialect.name == "sqlite":
        await conn.execute(text("UPDATE user_profiles SET user_id = user_id WHERE 0 = 1"))
    yield async_sessionmaker(
        bind=session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


async def add_user(
    sessions: async_sessionmaker[AsyncSession],
    *,
    at: dt.datetime = NOW,
    tz: str = "UTC",
    hour: int | None = 20,
    streak: int = 3,
    studied: int | None = -1,
    reminded: int | None = None,
    enabled: bool = True,
    next_at: dt.datetime | None = None,
    discord: bool = True,
    dm_channel_id: int | None = None,
    unanswered: int = 0,
    exam: str | None = None,
) -> int:
    """A user with reminders as ``enable`` leaves them. ``studied``/``reminded`` are days
    relative to the local date at ``at`` (-1 = yesterday); ``next_at`` defaults to today's
    reminder instant."""
    today = local_date(at, tz)
    async with sessions() as s, s.begin():
        uid = await make_user(s, discord_id=next(_discord_ids) if discord else None)
        if exam:
            await make_attempt(s, uid, exam_type=exam)
        if next_at is None and enabled and hour is not None:
            next_at = reminder_instant(today, tz, hour)
        await s.execute(
            update(UserProfile)
            .where(UserProfile.user_id == uid)
            .values(
                timezone=tz,
                remind_enabled=enabled,
                remind_hour=hour,
                study_streak_current=streak,
                last_activity_date=None if studied is None else today + studied * ONE_DAY,
                reminded_on=None if reminded is None else today + reminded * ONE_DAY,
                remind_next_at=next_at,
                remind_unanswered=unanswered,
                dm_channel_id=dm_channel_id,
            )
        )
    return uid


def _aware(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def profile(sessions: async_sessionmaker[AsyncSession], uid: int) -> dict[str, Any]:
    p = UserProfile
    cols = (
        p.remind_enabled,
        p.remind_hour,
        p.remind_next_at,
        p.reminded_on,
        p.remind_lease_until,
        p.remind_unanswered,
        p.remind_disabled_reason,
        p.remind_prompted,
        p.dm_channel_id,
        p.timezone,
    )
    async with sessions() as s:
        row = (await s.execute(select(*cols).where(p.user_id == uid))).one()
    return {c.key: _aware(v) for c, v in zip(cols, row, strict=True)}


async def study(
    sessions: async_sessionmaker[AsyncSession], uid: int, day: dt.date, *, at: dt.datetime
) -> None:
    """What the quiz finalizer does: update the streak day, then call ``on_study``."""
    async with sessions() as s, s.begin():
        await s.execute(
            update(UserProfile)
            .where(UserProfile.user_id == uid)
            .values(
                last_activity_date=day, study_streak_current=UserProfile.study_streak_current + 1
            )
        )
        await store.on_study(s, uid, day, now=at)


async def run(
    sessions: async_sessionmaker[AsyncSession], sender: FakeSender, now: dt.datetime, **kw: Any
) -> Any:
    kw.setdefault("lease", LEASE)
    kw.setdefault("sleep", FakeSleep())
    return await sweep(sessions, sender, now=now, **kw)


# --- the sweep ------------------------------------------------------------------------------


async def test_sweep_sends_each_due_reminder_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    due = await add_user(sessions, exam="security", streak=12)
    due_ny = await add_user(
        sessions, tz="America/New_York", hour=16, at=NOW
    )  # 20:00 UTC = 16:00 EDT
    studied = await add_user(sessions, studied=0)
    no_streak = await add_user(sessions, streak=0)
    lapsed = await add_user(sessions, studied=-2)
    reminded = await add_user(sessions, reminded=0, next_at=NOW - dt.timedelta(hours=1))
    off = await add_user(sessions, enabled=False, next_at=NOW - dt.timedelta(hours=1))
    later_today = await add_user(sessions, tz="Asia/Kolkata", hour=23, at=NOW)  # 01:30 IST
    not_yet = await add_user(sessions, hour=21)

    sender = FakeSender()
    report = await run(sessions, sender, NOW)

    assert sorted(sender.sent_ids()) == sorted([due, due_ny])
    assert report.sent == 2 and report.claimed == 2
    message = next(m for m in sender.sent if m.user_id == due)
    assert "Your 12-day Security+ (SY0-701) streak ends at midnight" in message.content
    assert message.nonce == nonce(due, TODAY) and message.exam_type == "security"
    assert message.button_exam == "security" and not message.final
    ny = next(m for m in sender.sent if m.user_id == due_ny)
    assert "3-day study streak" in ny.content and ny.button_exam == "any"

    p = await profile(sessions, due)
    assert p["reminded_on"] == TODAY and p["remind_lease_until"] is None
    assert p["remind_unanswered"] == 1
    assert p["remind_next_at"] == NOW + ONE_DAY
    p = await profile(sessions, due_ny)
    assert p["remind_next_at"] == reminder_instant(TODAY + ONE_DAY, "America/New_York", 16)

    # Not due: pushed past now (tomorrow's instant), never claimed.
    for uid in (studied, no_streak, lapsed):
        p = await profile(sessions, uid)
        assert p["reminded_on"] is None and p["remind_next_at"] == NOW + ONE_DAY
    assert (await profile(sessions, reminded))["remind_next_at"] == NOW + ONE_DAY
    assert (await profile(sessions, off))["remind_next_at"] == NOW - dt.timedelta(hours=1)
    kolkata = await profile(sessions, later_today)
    assert kolkata["remind_next_at"] == reminder_instant(
        local_date(NOW, "Asia/Kolkata"), "Asia/Kolkata", 23
    )
    assert (await profile(sessions, not_yet))["remind_next_at"] == NOW + dt.timedelta(hours=1)
    assert report.skipped == Counter(
        {"studied today": 1, "no streak to keep": 2, "already reminded today": 1}
    )

    # A second sweep (a restart, another process) at the same instant finds nothing.
    again = FakeSender()
    second = await run(sessions, again, NOW)
    assert again.calls == [] and second.examined == 0
    # An hour later only the 21:00 user is due.
    third = FakeSender()
    await run(sessions, third, NOW + dt.timedelta(hours=1))
    assert third.sent_ids() == [not_yet]


async def test_claim_is_conditional_on_reminded_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    async with sessions() as s, s.begin():
        first = await store.claim_batch(s, now=NOW, limit=10, lease=LEASE)
    assert [c.message.user_id for c in first.claims] == [uid]
    async with sessions() as s, s.begin():
        assert (await store.claim_batch(s, now=NOW, limit=10, lease=LEASE)).examined == 0
    # Mark sent, then force the row back into the due set: reminded_on = today stops it.
    async with sessions() as s, s.begin():
        assert await q.mark_sent(s, first.claims[0])
        await s.execute(
            update(UserProfile).where(UserProfile.user_id == uid).values(remind_next_at=NOW)
        )
    async with sessions() as s, s.begin():
        batch = await store.claim_batch(s, now=NOW, limit=10, lease=LEASE)
    assert batch.examined == 1 and batch.claims == []
    assert batch.skipped == Counter({"already reminded today": 1})


async def test_catch_up_same_day_never_a_past_day(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # The bot was down from before 20:00 until 23:30: the reminder still goes out today.
    late = await add_user(sessions)
    sender = FakeSender()
    await run(sessions, sender, NOW + dt.timedelta(hours=3, minutes=30))
    assert sender.sent_ids() == [late]

    # Down from yesterday 19:00 to today 10:00: yesterday's reminder is never sent, and the
    # streak it was about has ended, so none tonight either.
    yesterday = NOW - ONE_DAY
    missed = await add_user(sessions, at=yesterday)  # due yesterday 20:00, studied the day before
    sender = FakeSender()
    report = await run(sessions, sender, NOW - dt.timedelta(hours=10))
    assert sender.calls == [] and report.skipped["before the reminder hour"] == 1
    assert (await profile(sessions, missed))["remind_next_at"] == NOW
    report = await run(sessions, sender, NOW)
    assert sender.calls == [] and report.skipped["no streak to keep"] == 1


async def test_dst_day_in_new_york(sessions: async_sessionmaker[AsyncSession]) -> None:
    # 2031-03-09 is the spring-forward day in New York; 02:00 does not exist: fires 07:00 UTC.
    at = dt.datetime(2031, 3, 9, 12, tzinfo=UTC)
    uid = await add_user(sessions, tz="America/New_York", hour=2, at=at)
    assert (await profile(sessions, uid))["remind_next_at"] == dt.datetime(
        2031, 3, 9, 7, tzinfo=UTC
    )
    sender = FakeSender()
    await run(sessions, sender, dt.datetime(2031, 3, 9, 6, 59, tzinfo=UTC))
    assert sender.calls == []
    await run(sessions, sender, dt.datetime(2031, 3, 9, 7, tzinfo=UTC))
    assert sender.sent_ids() == [uid]
    assert sender.sent[0].local_date == dt.date(2031, 3, 9)
    # Next: 02:00 EDT on 10 March = 06:00 UTC.
    assert (await profile(sessions, uid))["remind_next_at"] == dt.datetime(
        2031, 3, 10, 6, tzinfo=UTC
    )


async def test_batches_stream_with_bounded_concurrency(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = [await add_user(sessions) for _ in range(23)]
    sender = FakeSender()
    report = await run(sessions, sender, NOW, batch_size=5, concurrency=3)
    assert sorted(sender.sent_ids()) == sorted(users)
    assert report.batches == 5 and report.examined == 23 and report.sent == 23
    assert 1 < sender.max_in_flight <= 3


async def test_etiquette_pauses_after_five_ignored_reminders(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    sender = FakeSender()
    for day in range(5):
        at = NOW + day * 2 * ONE_DAY
        if day:
            # Studied yesterday without a reminder (keeps the streak; not an answer).
            await study(sessions, uid, at.date() - ONE_DAY, at=at - ONE_DAY)
        await run(sessions, sender, at)
    assert len(sender.sent) == 5
    assert [m.final for m in sender.sent] == [False, False, False, False, True]
    assert "I'll stop reminding you; `/remind on` brings me back" in sender.sent[-1].content
    p = await profile(sessions, uid)
    assert p["remind_enabled"] is False and p["remind_disabled_reason"] == REASON_PAUSED
    assert p["remind_next_at"] is None

    at = NOW + 10 * ONE_DAY
    await study(sessions, uid, at.date() - ONE_DAY, at=at - ONE_DAY)
    await run(sessions, sender, at)
    assert len(sender.sent) == 5  # paused: studying does not bring reminders back
    async with sessions() as s:
        status = await store.get_status(s, uid)
    assert "5 reminders in a row" in format_status(status, at)
    async with sessions() as s, s.begin():
        await store.enable(s, uid, now=at)
    p = await profile(sessions, uid)
    assert p["remind_enabled"] and p["remind_unanswered"] == 0
    assert p["remind_disabled_reason"] is None


async def test_studying_on_the_reminded_day_resets_the_counter(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions, unanswered=3)
    sender = FakeSender()
    await run(sessions, sender, NOW)
    assert (await profile(sessions, uid))["remind_unanswered"] == 4
    await study(sessions, uid, TODAY, at=NOW + dt.timedelta(minutes=30))
    p = await profile(sessions, uid)
    assert p["remind_unanswered"] == 0 and p["remind_next_at"] == NOW + ONE_DAY
    # Studying on a day without a reminder changes nothing.
    await add_user(sessions)  # unrelated
    async with sessions() as s, s.begin():
        await s.execute(
            update(UserProfile).where(UserProfile.user_id == uid).values(remind_unanswered=2)
        )
    await study(sessions, uid, TODAY + ONE_DAY, at=NOW + ONE_DAY - dt.timedelta(hours=5))
    assert (await profile(sessions, uid))["remind_unanswered"] == 2


async def test_final_reminder_answered_before_it_is_recorded_does_not_pause(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions, unanswered=4)
    async with sessions() as s, s.begin():
        claim = (await store.claim_batch(s, now=NOW, limit=5, lease=LEASE)).claims[0]
    assert claim.message.final
    await study(sessions, uid, TODAY, at=NOW)  # finished a quiz while the DM was in flight
    async with sessions() as s, s.begin():
        assert await q.mark_sent(s, claim)
    p = await profile(sessions, uid)
    assert p["remind_enabled"] and p["remind_unanswered"] == 0


async def test_permanent_failure_switches_off_with_reason(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    other = await add_user(sessions)
    async with sessions() as s:
        discord_id = (await q.due_candidates(s, now=NOW, limit=5))[0].discord_id
    assert discord_id is not None
    sender = FakeSender({discord_id: [SendOutcome.permanent(REASON_DM_CLOSED, forbidden=True)]})
    report = await run(sessions, sender, NOW)
    assert report.disabled == Counter({REASON_DM_CLOSED: 1}) and report.sent == 1
    assert len(sender.calls) == 2  # a 403 is never retried
    p = await profile(sessions, uid)
    assert p["remind_enabled"] is False and p["remind_disabled_reason"] == REASON_DM_CLOSED
    assert p["remind_next_at"] is None and p["reminded_on"] == TODAY
    async with sessions() as s:
        text_ = format_status(await store.get_status(s, uid), NOW)
    assert "50007" in text_ and "**off**" in text_
    assert sender.sent_ids() == [other]


async def test_transient_failures_retry_with_backoff_then_give_up_for_the_day(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    async with sessions() as s:
        discord_id = (await q.due_candidates(s, now=NOW, limit=5))[0].discord_id
    assert discord_id is not None
    flaky = [SendOutcome.transient("HTTP 503")] * 3
    sender = FakeSender({discord_id: list(flaky)})
    sleep = FakeSleep()
    report = await run(sessions, sender, NOW, sleep=sleep, max_attempts=3)
    assert len(sender.calls) == 3 and sleep.delays == [1.0, 2.0]
    assert {m.nonce for m in sender.calls} == {nonce(uid, TODAY)}
    assert report.gave_up == 1 and report.retries == 2 and report.sent == 0
    p = await profile(sessions, uid)
    assert p["reminded_on"] == TODAY and p["remind_enabled"]
    assert p["remind_next_at"] == NOW + ONE_DAY and p["remind_unanswered"] == 0
    # Given up for today: nothing more today; tomorrow is a new day.
    await run(sessions, sender, NOW + dt.timedelta(hours=2))
    assert len(sender.calls) == 3
    await study(sessions, uid, TODAY, at=NOW + dt.timedelta(hours=3))
    tomorrow = NOW + ONE_DAY
    await run(sessions, sender, tomorrow)
    assert sender.sent_ids() == [uid] and sender.sent[0].local_date == TODAY + ONE_DAY


async def test_transient_then_sent_and_dm_channel_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    async with sessions() as s:
        discord_id = (await q.due_candidates(s, now=NOW, limit=5))[0].discord_id
    assert discord_id is not None
    script = [
        SendOutcome.transient("timeout", dm_channel_id=555, retry_after=4.0),
        SendOutcome.sent(),
    ]
    sender = FakeSender({discord_id: script})
    sleep = FakeSleep()
    await run(sessions, sender, NOW, sleep=sleep)
    assert sleep.delays == [4.0]
    assert [m.dm_channel_id for m in sender.calls] == [None, 555]
    assert (await profile(sessions, uid))["dm_channel_id"] == 555
    await study(sessions, uid, TODAY, at=NOW + dt.timedelta(hours=1))
    await run(sessions, sender, NOW + ONE_DAY)
    assert sender.calls[-1].dm_channel_id == 555


async def test_sender_exception_is_transient(sessions: async_sessionmaker[AsyncSession]) -> None:
    uid = await add_user(sessions)

    class Boom(FakeSender):
        async def send(self, reminder: ReminderMessage) -> SendOutcome:
            self.calls.append(reminder)
            if len(self.calls) == 1:
                raise RuntimeError("boom")
            return SendOutcome.sent()

    sender = Boom()
    report = await run(sessions, sender, NOW)
    assert len(sender.calls) == 2 and report.retries == 1
    assert (await profile(sessions, uid))["remind_unanswered"] == 1


async def test_circuit_breaker_stops_the_sweep_and_releases_claims(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = [await add_user(sessions) for _ in range(12)]
    sender = FakeSender()
    sender.default = SendOutcome.failed("403 code 40002", forbidden=True)
    breaker = CircuitBreaker(window=10, max_in_window=4, cooldown=60, clock=lambda: 0.0)
    report = await run(sessions, sender, NOW, breaker=breaker, concurrency=1, batch_size=8)
    assert report.circuit_open and breaker.is_open
    assert len(sender.calls) == 4 and report.gave_up == 4
    assert report.released == 4 and report.batches == 1  # the rest were never claimed
    # Released: due again on the same day (their lease expired now).
    released = [u for u in users if u not in {m.user_id for m in sender.calls}]
    states = [await profile(sessions, u) for u in released]
    claimed = [p for p in states if p["reminded_on"] is not None]
    assert len(claimed) == 4  # claimed in the batch, never sent: released
    assert all(p["reminded_on"] == TODAY and p["remind_lease_until"] == NOW for p in claimed)
    assert all(p["remind_lease_until"] is None for p in states if p["reminded_on"] is None)
    # While open, the sweep does nothing.
    blocked = await run(sessions, FakeSender(), NOW, breaker=breaker)
    assert blocked.circuit_open and blocked.examined == 0
    # A fresh sweep (breaker closed) sends the 8 untouched users; the 4 failed ones wait.
    ok = FakeSender()
    later = NOW + dt.timedelta(minutes=1)
    await run(sessions, ok, later)
    assert sorted(ok.sent_ids()) == sorted(released)


async def test_expired_lease_is_reclaimed_and_fenced(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    # A process claims, commits, and dies before sending.
    async with sessions() as s, s.begin():
        dead = (await store.claim_batch(s, now=NOW, limit=10, lease=LEASE)).claims
    assert [c.message.user_id for c in dead] == [uid]
    sender = FakeSender()
    await run(sessions, sender, NOW + dt.timedelta(minutes=1))
    assert sender.calls == []  # the lease holds
    await run(sessions, sender, NOW + LEASE + dt.timedelta(seconds=1))
    assert sender.sent_ids() == [uid]
    assert sender.sent[0].nonce == dead[0].message.nonce  # Discord can drop a duplicate
    # The dead process's late outcome cannot overwrite the newer claim's result.
    async with sessions() as s, s.begin():
        assert not await q.mark_sent(s, dead[0])
        assert not await q.release(s, dead[0], now=NOW)
    p = await profile(sessions, uid)
    assert p["remind_unanswered"] == 1 and p["remind_lease_until"] is None


async def test_lease_running_out_mid_sweep_skips_the_send(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_user(sessions)
    # Claimed at NOW; by the time of the send the lease has less than its safety margin left.
    almost_over = NOW + LEASE - dt.timedelta(seconds=10)
    ticks = iter([NOW])

    def clock() -> dt.datetime:
        return next(ticks, almost_over)

    sender = FakeSender()
    report = await run(sessions, sender, NOW, clock=clock)
    assert sender.calls == [] and report.lease_lost == 1


async def test_no_discord_account_switches_off(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions, discord=False)
    report = await run(sessions, FakeSender(), NOW)
    assert report.disabled == Counter({REASON_NO_DISCORD_ACCOUNT: 1})
    assert (await profile(sessions, uid))["remind_disabled_reason"] == REASON_NO_DISCORD_ACCOUNT


async def test_dry_run_lists_who_and_why_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    due = await add_user(sessions, exam="network", streak=7)
    studied = await add_user(sessions, studied=0)
    await add_user(sessions, hour=21)  # not in the due set
    before = await profile(sessions, due)
    report = await sweep(sessions, None, now=NOW, dry_run=True, batch_size=1)
    assert report.dry_run and report.examined == 2 and report.would_send == 1
    lines = report.lines()
    assert any(
        f"remind user {due} " in ln and "7-day Network+ (N10-009) streak" in ln for ln in lines
    )
    assert any(f"skip user {studied}: studied today" in ln for ln in lines)
    assert "1 would be reminded" in lines[-1]
    assert await profile(sessions, due) == before


# --- settings -------------------------------------------------------------------------------


async def test_enable_disable_status(sessions: async_sessionmaker[AsyncSession]) -> None:
    uid = await add_user(sessions, enabled=False, hour=None, next_at=None)
    async with sessions() as s, s.begin():
        status = await store.enable(s, uid, hour=8, timezone="asia/kolkata", now=NOW)
    assert status.enabled and status.hour == 8 and status.timezone == "Asia/Kolkata"
    # 20:00 UTC is 01:30 on 11 May in Kolkata: next is 08:00 IST that day.
    assert status.next_at == dt.datetime(2031, 5, 11, 2, 30, tzinfo=UTC)
    p = await profile(sessions, uid)
    assert p["remind_prompted"] and p["timezone"] == "Asia/Kolkata"

    async with sessions() as s, s.begin():
        status = await store.enable(s, uid, now=NOW)  # keeps hour and zone
    assert (status.hour, status.timezone) == (8, "Asia/Kolkata")

    async with sessions() as s, s.begin():
        with pytest.raises(InvalidInput):
            await store.enable(s, uid, timezone="Mars/Base", now=NOW)
        with pytest.raises(InvalidInput):
            await store.enable(s, uid, hour=24, now=NOW)
        with pytest.raises(NotFound):
            await store.enable(s, 10**9, now=NOW)

    async with sessions() as s, s.begin():
        status = await store.disable(s, uid)
    assert not status.enabled and status.disabled_reason is None and status.next_at is None
    assert "`/remind on` turns them on" in format_status(status, NOW)
    async with sessions() as s, s.begin():
        with pytest.raises(NotFound):
            await store.disable(s, 10**9)
        with pytest.raises(NotFound):
            await store.get_status(s, 10**9)


async def test_enable_after_the_hour_is_due_now(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions, enabled=False, hour=None, next_at=None)
    async with sessions() as s, s.begin():
        await store.enable(s, uid, hour=18, timezone="UTC", now=NOW)
    sender = FakeSender()
    await run(sessions, sender, NOW + dt.timedelta(minutes=1))
    assert sender.sent_ids() == [uid]


async def test_on_study_reschedules(sessions: async_sessionmaker[AsyncSession]) -> None:
    uid = await add_user(sessions, hour=21)
    await study(sessions, uid, TODAY, at=NOW)
    assert (await profile(sessions, uid))["remind_next_at"] == NOW + ONE_DAY + dt.timedelta(hours=1)
    async with sessions() as s, s.begin():
        await store.on_study(s, 10**9, TODAY, now=NOW)  # no profile: a no-op


async def test_opt_in_prompt_is_claimed_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    uid = await add_user(sessions, enabled=False)
    async with sessions() as s, s.begin():
        assert await q.claim_opt_in_prompt(s, uid)
        assert not await q.claim_opt_in_prompt(s, uid)
    other = await add_user(sessions, enabled=False)
    async with sessions() as s, s.begin():
        await store.disable(s, other)  # answering "no"/"off" also counts as asked
        assert not await q.claim_opt_in_prompt(s, other)
        assert await q.user_id_for_discord(s, 1) is None
        await q.store_dm_channel(s, uid, 42)
    assert (await profile(sessions, uid))["dm_channel_id"] == 42


# --- the scheduler --------------------------------------------------------------------------


async def test_scheduler_ticks_with_the_injected_clock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    sender = FakeSender()
    now = [NOW - dt.timedelta(minutes=1)]
    scheduler = ReminderScheduler(sessions, sender, clock=lambda: now[0], sleep=FakeSleep())
    assert (await scheduler.tick()) is not None and sender.calls == []
    now[0] = NOW
    report = await scheduler.tick()
    assert report is not None and report.sent == 1 and sender.sent_ids() == [uid]
    assert scheduler.last_report is report

    scheduler.start(paused=True)
    try:
        job = scheduler.job()
        assert job.id == JOB_ID and job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == 30 and scheduler.running
        assert "second='0'" in str(job.trigger)
    finally:
        await scheduler.shutdown()
    await asyncio.sleep(0)  # APScheduler's asyncio shutdown runs on the next loop iteration
    assert not scheduler.running


async def test_stopping_the_scheduler_lets_the_sweep_in_progress_finish_its_dms(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    uid = await add_user(sessions)
    arrived, gate = asyncio.Event(), asyncio.Event()

    class SlowSender(FakeSender):
        async def send(self, reminder: ReminderMessage) -> SendOutcome:
            arrived.set()
            await gate.wait()  # Discord is slow today
            return await super().send(reminder)

    sender = SlowSender()
    scheduler = ReminderScheduler(sessions, sender, clock=lambda: NOW, sleep=FakeSleep())
    scheduler.start(paused=True)
    sweep = asyncio.create_task(scheduler.tick())  # the minute's tick, mid-sweep
    await asyncio.wait_for(arrived.wait(), timeout=5)
    stopping = asyncio.create_task(scheduler.shutdown(grace=5))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the sweep, not cutting it
    gate.set()
    await stopping
    report = sweep.result()
    assert report is not None and report.sent == 1 and sender.sent_ids() == [uid]
    await asyncio.sleep(0)
    assert not scheduler.running


async def test_scheduler_tick_survives_a_failing_sweep() -> None:
    class Broken:
        def __call__(self) -> Any:
            raise RuntimeError("database down")

    scheduler = ReminderScheduler(Broken(), FakeSender(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert await scheduler.tick() is None


# --- the opt-in button and the CLI ---------------------------------------------------------


async def test_opt_in_yes_enables_reminders(sessions: async_sessionmaker[AsyncSession]) -> None:
    uid = await add_user(sessions, enabled=False, hour=None, next_at=None)
    async with sessions() as s:
        discord_id = (await s.execute(select(User.discord_id).where(User.id == uid))).scalar_one()
    edits: list[dict[str, Any]] = []

    async def edit_message(**kw: Any) -> None:
        edits.append(kw)

    interaction = SimpleNamespace(
        client=SimpleNamespace(sessions=sessions, clock=lambda: NOW),
        user=SimpleNamespace(id=discord_id),
        response=SimpleNamespace(edit_message=edit_message),
    )
    await ReminderOptInButton("yes", discord_id).callback(interaction)  # type: ignore[arg-type]
    p = await profile(sessions, uid)
    assert p["remind_enabled"] and p["remind_hour"] == 19 and p["remind_prompted"]
    assert "**on**" in edits[0]["content"] and edits[0]["view"] is None


async def test_cli_dry_run_and_missing_token(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        due = await add_user(sessions, exam="a1101")
        lines: list[str] = []
        code = await run_sweep_cli(
            url, None, "https://discord.com/api/v10", NOW, True, out=lines.append
        )
        assert code == 0
        assert any(f"remind user {due} " in ln and "A+ Core 1" in ln for ln in lines)
        assert "1 would be reminded" in lines[-1]
        assert (await profile(sessions, due))["reminded_on"] is None  # nothing changed
        lines.clear()
        code = await run_sweep_cli(
            url, None, "https://discord.com/api/v10", NOW, False, out=lines.append
        )
        assert code == 2 and "DISCORD_TOKEN" in lines[0]
    finally:
        await engine.dispose()
    assert parse_now("2031-05-10T20:00") == NOW
    assert parse_now("2031-05-10T22:00:00+02:00") == NOW
    assert parse_now("2031-05-10T20:00:00Z") == NOW


# --- PostgreSQL: the due query uses its index ----------------------------------------------


async def test_due_query_uses_the_index(pg_engine: AsyncEngine) -> None:
    async with pg_engine.connect() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = await conn.execute(
            text(
                "EXPLAIN SELECT user_id FROM user_profiles WHERE remind_enabled = true "
                "AND remind_next_at <= now() ORDER BY remind_next_at LIMIT 100 "
                "FOR UPDATE SKIP LOCKED"
            )
        )
        assert "ix_user_profiles_remind_due" in "\n".join(r[0] for r in plan)
        await conn.rollback()
