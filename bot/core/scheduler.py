"""The process's one job scheduler (APScheduler 3), shared by every feature.

Features register their periodic jobs at start (``add_cron``); the database holds what each
job claims, so a job that runs in several processes, or again after a restart, does its work
once. Jobs use an in-memory job store, ``coalesce=True`` (missed runs collapse into one),
``max_instances=1`` (a run still going when the next is due makes APScheduler skip that one)
and a ``misfire_grace_time``. Create it before ``start()`` in ``setup_hook`` (it needs the
running event loop); ``await shutdown(grace)`` in ``close()`` lets runs in progress finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self, *, misfire_grace_time: int = 30) -> None:
        self._running: set[asyncio.Task[Any]] = set()
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

    def job(self, job_id: str) -> Any:
        return self._scheduler.get_job(job_id)

    def add_cron(self, job_id: str, name: str, func: Job, **cron: Any) -> None:
        """Run ``func`` on a UTC cron schedule (``second=0`` = every minute)."""

        async def run() -> Any:
            with self.tracking():
                return await func()

        self._scheduler.add_job(
            run,
            CronTrigger(timezone=dt.UTC, **cron),
            id=job_id,
            name=name,
            replace_existing=True,
        )

    def add_interval(self, job_id: str, name: str, func: Job, *, seconds: float) -> None:
        """Run ``func`` every ``seconds`` (the first run one interval after start)."""

        async def run() -> Any:
            with self.tracking():
                return await func()

        self._scheduler.add_job(
            run,
            IntervalTrigger(seconds=seconds, timezone=dt.UTC),
            id=job_id,
            name=name,
            replace_existing=True,
        )

    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        """Count the current task as a run in progress (``shutdown`` waits for it)."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    def start(self, *, paused: bool = False) -> None:
        if not self._scheduler.running:
            self._scheduler.start(paused=paused)
            log.info("scheduler started", extra={"jobs": len(self._scheduler.get_jobs())})

    async def shutdown(self, grace: float = 0.0) -> None:
        """Stop; runs in progress get ``grace`` seconds to finish, then they are cancelled
        with their tasks (what they claimed comes back when its lease expires)."""
        if not self._scheduler.running:
            return
        self._scheduler.pause()  # nothing new starts while the current runs finish
        running = {t for t in self._running if not t.done()}
        if running and grace > 0:
            await asyncio.wait(running, timeout=grace)
        self._scheduler.shutdown(wait=False)
        log.info("scheduler stopped")
