"""The reminder sweep: claim due users in batches, send after the claim commits, record.

One sweep = repeat { claim a batch (one transaction, committed) → send it with bounded
concurrency → record each outcome in its own short transaction } until the due set is empty.
Only one batch is in memory at a time. Transient send failures are retried with exponential
backoff (injectable ``sleep``) and then given up for the day; permanent ones switch the user's
reminders off with the reason. A circuit breaker stops the sweep when HTTP 403s pile up
(they count toward Discord's invalid-request limit); claims not yet sent are released.
The clock is injectable (``now``/``clock``); nothing here reads the wall clock by itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import require_aware
from bot.reminders import store
from bot.reminders.rules import (
    Reason,
    ReminderMessage,
    SendOutcome,
    SendStatus,
    backoff_delay,
    exam_name,
    is_due,
)
from db.reminders import queries as q

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
DEFAULT_LEASE = dt.timedelta(minutes=5)
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ATTEMPTS = 3

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], dt.datetime]
T = TypeVar("T")


class ReminderSender(Protocol):
    """Delivers one reminder. Must not raise for delivery failures: it returns the outcome
    (an exception is treated as a transient failure and logged)."""

    async def send(self, reminder: ReminderMessage) -> SendOutcome: ...


class CircuitBreaker:
    """Opens when HTTP 403s pile up, so a systemic failure (bot removed from every server,
    DMs blocked platform-wide) cannot burn Discord's 10,000-invalid-requests-per-10-minutes
    budget or switch off everyone's reminders.

    Trips when ``max_in_window`` of the last ``window`` sends were 403s, or when
    ``max_per_period`` 403s happened within ``period`` seconds. Stays open ``cooldown``
    seconds (``clock`` is monotonic seconds, injectable), then closes with fresh counts.
    Keep one breaker across sweeps (``ReminderScheduler`` does).
    """

    def __init__(
        self,
        *,
        window: int = 50,
        max_in_window: int = 20,
        max_per_period: int = 1000,
        period: float = 600.0,
        cooldown: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.max_in_window = max_in_window
        self.max_per_period = max_per_period
        self.period = period
        self.cooldown = cooldown
        self._clock = clock
        self._recent: deque[bool] = deque(maxlen=window)
        self._forbidden_at: deque[float] = deque()
        self._opened_at: float | None = None
        self.trips = 0

    @property
    def is_open(self) -> bool:
        if self._opened_at is None:
            return False
        if self._clock() - self._opened_at >= self.cooldown:
            log.warning("reminder circuit breaker closes after its cooldown")
            self.reset()
            return False
        return True

    def reset(self) -> None:
        self._opened_at = None
        self._recent.clear()
        self._forbidden_at.clear()

    def record(self, *, forbidden: bool) -> None:
        self._recent.append(forbidden)
        if not forbidden:
            return
        now = self._clock()
        self._forbidden_at.append(now)
        while self._forbidden_at and now - self._forbidden_at[0] > self.period:
            self._forbidden_at.popleft()
        in_window = sum(self._recent)
        if self._opened_at is None and (
            in_window >= self.max_in_window or len(self._forbidden_at) >= self.max_per_period
        ):
            self._opened_at = now
            self.trips += 1
            log.critical(
                "REMINDER CIRCUIT BREAKER OPEN: too many sends were HTTP 403; reminders stop "
                "for the cooldown. Check the bot's servers and token: 403s count toward "
                "Discord's invalid-request ban.",
                extra={
                    "forbidden_of_recent": in_window,
                    "recent_sends": len(self._recent),
                    "forbidden_in_period": len(self._forbidden_at),
                    "period_seconds": self.period,
                    "cooldown_seconds": self.cooldown,
                },
            )


@dataclass(frozen=True, slots=True)
class DryRunEntry:
    user_id: int
    discord_id: int | None
    due: bool
    reason: str
    local_date: dt.date
    timezone: str
    hour: int | None
    streak: int
    exam_type: str | None

    def line(self) -> str:
        hour = "--" if self.hour is None else f"{self.hour:02d}"
        where = f"{hour}:00 {self.timezone}, local date {self.local_date.isoformat()}"
        if self.due and self.discord_id is None:
            return f"skip user {self.user_id}: no Discord account linked ({where})"
        if self.due:
            exam = exam_name(self.exam_type)
            streak = f"{self.streak}-day {exam} streak" if exam else f"{self.streak}-day streak"
            return (
                f"remind user {self.user_id} (discord {self.discord_id}): {streak} at risk; "
                f"past {where}; not studied or reminded today"
            )
        return f"skip user {self.user_id}: {self.reason} ({where})"


@dataclass(slots=True)
class SweepReport:
    now: dt.datetime
    dry_run: bool = False
    batches: int = 0
    examined: int = 0
    claimed: int = 0
    sent: int = 0
    paused: int = 0
    """Sent DMs that were the etiquette limit's last (reminders now paused)."""
    gave_up: int = 0
    retries: int = 0
    released: int = 0
    lease_lost: int = 0
    circuit_open: bool = False
    disabled: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    entries: list[DryRunEntry] = field(default_factory=list)
    sent_user_ids: list[int] = field(default_factory=list)

    @property
    def would_send(self) -> int:
        return sum(1 for e in self.entries if e.due and e.discord_id is not None)

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"dry run at {self.now.isoformat()}: {self.examined} in the due set, "
                f"{self.would_send} would be reminded, "
                f"{self.examined - self.would_send} skipped"
                + (f" ({_counts(self.skipped)})" if self.skipped else "")
            )
        parts = [
            f"sweep at {self.now.isoformat()}: {self.batches} batches, {self.examined} examined",
            f"{self.claimed} claimed",
            f"{self.sent} sent ({self.paused} pausing)",
            f"{self.retries} retries",
            f"{self.gave_up} given up for today",
            f"{sum(self.disabled.values())} switched off"
            + (f" ({_counts(self.disabled)})" if self.disabled else ""),
            f"{sum(self.skipped.values())} not due"
            + (f" ({_counts(self.skipped)})" if self.skipped else ""),
        ]
        if self.released:
            parts.append(f"{self.released} released")
        if self.lease_lost:
            parts.append(f"{self.lease_lost} leases lost")
        if self.circuit_open:
            parts.append("CIRCUIT BREAKER OPEN")
        return ", ".join(parts)

    def lines(self) -> list[str]:
        return [*(e.line() for e in self.entries), self.summary()]


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items()))


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    sender: ReminderSender | None,
    *,
    now: dt.datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    lease: dt.timedelta = DEFAULT_LEASE,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff_base: float = 1.0,
    backoff_cap: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    breaker: CircuitBreaker | None = None,
) -> SweepReport:
    """Send every reminder due at ``now`` exactly once (see the module doc).

    ``now`` is the sweep's time. ``clock`` (optional) is read before each batch and before
    each send so a long sweep claims with fresh leases and never sends on an expired lease;
    without it every batch uses ``now`` (tests, ``--now``). ``dry_run`` changes nothing and
    fills ``report.entries`` with who would be reminded and why; it needs no sender.
    """
    require_aware(now)
    if batch_size < 1 or concurrency < 1 or max_attempts < 1:
        raise ValueError("batch_size, concurrency and max_attempts must be at least 1")
    report = SweepReport(now=now, dry_run=dry_run)
    if dry_run:
        await _dry_run(sessions, now=now, batch_size=batch_size, report=report)
        return report
    if sender is None:
        raise ValueError("a sender is required unless dry_run is set")
    run = _Sweep(
        sessions,
        sender,
        now=now,
        lease=lease,
        concurrency=concurrency,
        max_attempts=max_attempts,
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        sleep=sleep,
        clock=clock,
        breaker=breaker or CircuitBreaker(),
        report=report,
    )
    await run.run(batch_size)
    log.info("%s", report.summary())
    return report


async def _dry_run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: dt.datetime,
    batch_size: int,
    report: SweepReport,
) -> None:
    after: tuple[dt.datetime, int] | None = None
    while True:
        async with sessions() as session:
            page = await q.due_candidates(session, now=now, limit=batch_size, after=after)
        if not page:
            return
        report.batches += 1
        report.examined += len(page)
        for c in page:
            decision = is_due(c.state, now)
            if not decision.due:
                report.skipped[decision.reason.value] += 1
            elif c.discord_id is None:
                report.skipped["no Discord account"] += 1
            report.entries.append(
                DryRunEntry(
                    user_id=c.user_id,
                    discord_id=c.discord_id,
                    due=decision.due,
                    reason=decision.reason.value,
                    local_date=decision.local_date,
                    timezone=c.state.timezone,
                    hour=c.state.hour,
                    streak=decision.streak,
                    exam_type=c.last_exam,
                )
            )
        last = page[-1]
        if last.next_at is None:
            raise RuntimeError(f"reminder candidate {last.user_id} has no next time")
        after = (last.next_at, last.user_id)


class _Sweep:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: ReminderSender,
        *,
        now: dt.datetime,
        lease: dt.timedelta,
        concurrency: int,
        max_attempts: int,
        backoff_base: float,
        backoff_cap: float,
        sleep: Sleep,
        clock: Clock | None,
        breaker: CircuitBreaker,
        report: SweepReport,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.now = now
        self.lease = lease
        self.margin = min(lease / 10, dt.timedelta(seconds=30))
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.clock = clock
        self.breaker = breaker
        self.report = report
        # Database work is serialized within a sweep: sends run concurrently, but each sweep
        # uses one connection at a time (and SQLite has one writer anyway).
        self._db = asyncio.Lock()

    def _time(self) -> dt.datetime:
        return self.clock() if self.clock is not None else self.now

    async def _tx(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._db, self.sessions() as session, session.begin():
            return await work(session)

    async def run(self, batch_size: int) -> None:
        report = self.report
        if self.breaker.is_open:
            report.circuit_open = True
            log.error("reminder sweep skipped: the circuit breaker is open")
            return
        while True:
            batch_now = self._time()

            async def claim(s: AsyncSession, when: dt.datetime = batch_now) -> q.ClaimBatch:
                return await store.claim_batch(s, now=when, limit=batch_size, lease=self.lease)

            batch = await self._tx(claim)
            if batch.examined == 0:
                return
            report.batches += 1
            report.examined += batch.examined
            report.claimed += len(batch.claims)
            report.skipped.update(batch.skipped)
            report.disabled.update(batch.disabled)
            log.debug(
                "reminder batch",
                extra={
                    "batch": report.batches,
                    "examined": batch.examined,
                    "claimed": len(batch.claims),
                },
            )
            await self._send_all(batch.claims)
            if self.breaker.is_open:
                report.circuit_open = True
                return

    async def _send_all(self, claims: list[q.Claim]) -> None:
        pending = deque(claims)

        async def worker() -> None:
            while pending and not self.breaker.is_open:
                await self._deliver(pending.popleft())

        async with asyncio.TaskGroup() as tg:
            for _ in range(min(self.concurrency, len(pending))):
                tg.create_task(worker())
        while pending:
            await self._release(pending.popleft(), None)

    async def _release(self, claim: q.Claim, channel: int | None) -> None:
        when = self._time()
        await self._tx(lambda s: q.release(s, claim, now=when, dm_channel_id=channel))
        self.report.released += 1

    async def _deliver(self, claim: q.Claim) -> None:
        report = self.report
        user_id = claim.message.user_id
        attempted = await self._attempt(claim)
        if attempted is None:
            return
        outcome, attempts, channel = attempted
        if outcome.status is SendStatus.SENT:
            await self._tx(lambda s: q.mark_sent(s, claim, dm_channel_id=channel))
            report.sent += 1
            report.sent_user_ids.append(user_id)
            if claim.message.final:
                report.paused += 1
                log.info("reminders paused (etiquette limit)", extra={"user_id": user_id})
        elif outcome.status is SendStatus.PERMANENT:
            reason = outcome.reason or "unreachable"
            await self._tx(
                lambda s: q.mark_failed_permanent(s, claim, reason, dm_channel_id=channel)
            )
            report.disabled[reason] += 1
            log.info("reminders switched off", extra={"user_id": user_id, "reason": reason})
        else:
            await self._tx(lambda s: q.mark_gave_up(s, claim, dm_channel_id=channel))
            report.gave_up += 1
            log.warning(
                "reminder given up for today",
                extra={"user_id": user_id, "attempts": attempts, "reason": outcome.reason},
            )

    async def _attempt(self, claim: q.Claim) -> tuple[SendOutcome, int, int | None] | None:
        """Send with retries: the final outcome, the attempts made and any DM channel opened;
        None when the claim was released or its lease ran out (nothing to record)."""
        message = claim.message
        channel: int | None = None
        attempt = 0
        while True:
            attempt += 1
            if self.clock is not None and self.clock() >= claim.lease_until - self.margin:
                self.report.lease_lost += 1
                log.warning(
                    "reminder not sent: its lease ran out (another sweep may re-claim it)",
                    extra={"user_id": message.user_id},
                )
                return None
            if self.breaker.is_open:
                await self._release(claim, channel)
                return None
            try:
                outcome = await self.sender.send(message)
            except Exception:
                log.exception("reminder sender failed", extra={"user_id": message.user_id})
                outcome = SendOutcome.transient("sender raised")
            if outcome.dm_channel_id is not None:
                channel = outcome.dm_channel_id
                message = dataclasses.replace(message, dm_channel_id=channel)
            self.breaker.record(forbidden=outcome.forbidden)
            if outcome.status is not SendStatus.TRANSIENT or attempt >= self.max_attempts:
                return outcome, attempt, channel
            self.report.retries += 1
            delay = backoff_delay(
                attempt,
                base=self.backoff_base,
                cap=self.backoff_cap,
                retry_after=outcome.retry_after,
            )
            log.info(
                "reminder failed; retrying",
                extra={
                    "user_id": message.user_id,
                    "reason": outcome.reason,
                    "attempt": attempt,
                    "delay_seconds": round(delay, 1),
                },
            )
            await self.sleep(delay)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "CircuitBreaker",
    "DryRunEntry",
    "Reason",
    "ReminderSender",
    "SweepReport",
    "sweep",
]
