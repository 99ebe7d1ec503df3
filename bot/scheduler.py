"""The minute tick: APScheduler 3 runs one sweep a minute; the database holds the schedule.

There is exactly one job (never one per user): ``ReminderScheduler.tick`` at second 0 of
every minute, in an in-memory job store, ``coalesce=True`` (missed ticks collapse into one),
``max_instances=1`` (a sweep still running when the next minute comes makes APScheduler skip
that tick) and a ``misfire_grace_time``. Create and ``start()`` it in ``setup_hook`` (it
needs the running event loop); ``await shutdown(grace)`` in ``close()``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.reminder_service import (
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


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
        self._sweeping: asyncio.Task[Any] | None = None
        self._scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": misfire_grace_time,
            },
            timezone=dt.UTC,
        )

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def job(self) -> Any:
        return self._scheduler.get_job(JOB_ID)

    def start(self, *, paused: bool = False) -> None:
        """Schedule the tick (second 0 of every minute) and start; needs a running loop."""
        self._scheduler.add_job(
            self.tick,
            CronTrigger(second=0, timezone=dt.UTC),
            id=JOB_ID,
            name="daily streak reminders",
            replace_existing=True,
        )
        self._scheduler.start(paused=paused)
        log.info("reminder scheduler started (one sweep a minute)")

    async def shutdown(self, grace: float = 0.0) -> None:
        """Stop ticking; a sweep in progress gets ``grace`` seconds to finish, then it is
        cancelled with its task (its unsent claims come back when their lease expires)."""
        if not self._scheduler.running:
            return
        self._scheduler.pause()  # no new tick while the current one finishes
        sweeping = self._sweeping
        if sweeping is not None and not sweeping.done() and grace > 0:
            await asyncio.wait({sweeping}, timeout=grace)
        self._scheduler.shutdown(wait=False)
        log.info("reminder scheduler stopped")

    async def tick(self) -> SweepReport | None:
        """One sweep at ``clock()``; never raises (a failed sweep is logged, the next minute
        tries again)."""
        if self.breaker.is_open:
            log.error("reminder sweep skipped: circuit breaker open (cooling down)")
            return None
        now = self.clock()
        self._sweeping = asyncio.current_task()
        try:
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
            log.exception("reminder sweep at %s failed", now.isoformat())
            return None
        finally:
            self._sweeping = None
        self.last_report = report
        return report
