"""The minute tick: one sweep a minute on the shared scheduler; the database holds the schedule.

There is exactly one job (never one per user): ``ReminderScheduler.tick`` at second 0 of
every minute, on ``bot.core.scheduler.Scheduler`` (coalesced, one instance at a time, a
misfire grace). Create and ``start()`` it in ``setup_hook`` (it needs the running event loop);
``await shutdown(grace)`` in ``close()``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import utcnow
from bot.core.scheduler import Scheduler
from bot.reminders.service import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_LEASE,
    CircuitBreaker,
    ReminderSender,
    Sleep,
    SweepReport,
    sweep,
)

log = logging.getLogger(__name__)

JOB_ID = "reminders.sweep"
Clock = Callable[[], dt.datetime]




class ReminderScheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: ReminderSender,
        *,
        clock: Clock = utcnow,
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease: dt.timedelta = DEFAULT_LEASE,
        concurrency: int = DEFAULT_CONCURRENCY,
        misfire_grace_time: int = 30,
        breaker: CircuitBreaker | None = None,
        sleep: Sleep = asyncio.sleep,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.concurrency = concurrency
        self.breaker = breaker or CircuitBreaker()
        self.sleep = sleep
        self.last_report: SweepReport | None = None
        self.scheduler = scheduler or Scheduler(misfire_grace_time=misfire_grace_time)

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def job(self) -> Any:
        return self.scheduler.job(JOB_ID)

    def start(self, *, paused: bool = False) -> None:
        """Schedule the tick (second 0 of every minute) and start; needs a running loop."""
        self.scheduler.add_cron(JOB_ID, "daily streak reminders", self.tick, second=0)
        self.scheduler.start(paused=paused)
        log.info("reminder sweep scheduled (one a minute)")

    async def shutdown(self, grace: float = 0.0) -> None:
        """Stop ticking; a sweep in progress gets ``grace`` seconds to finish, then it is
        cancelled with its task (its unsent claims come back when their lease expires)."""
        await self.scheduler.shutdown(grace)

    async def tick(self) -> SweepReport | None:
        """One sweep at ``clock()``; never raises (a failed sweep is logged, the next minute
        tries again)."""
        if self.breaker.is_open:
            log.error("reminder sweep skipped: circuit breaker open (cooling down)")
            return None
        now = self.clock()
        try:
            with self.scheduler.tracking():
                report = await sweep(
                    self.sessions,
                    self.sender,
                    now=now,
                    batch_size=self.batch_size,
                    lease=self.lease,
                    concurrency=self.concurrency,
                    sleep=self.sleep,
                    clock=self.clock,
                    breaker=self.breaker,
                )
        except Exception:
            log.exception("reminder sweep failed", extra={"at": now.isoformat()})
            return None
        self.last_report = report
        return report
