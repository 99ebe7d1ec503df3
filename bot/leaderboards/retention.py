"""Retention of period boards: week and month boards are kept for a while, then pruned.

Rule: keep the current period and the ``weeks - 1`` (``months - 1``) before it; with the
defaults (8 weeks, 3 months) the boards of this week and the 7 weeks before it, and of this
month and the 2 months before it, stay. The all-time boards are never pruned. Pruning is a
daily job on the shared scheduler; deleting what is already gone deletes nothing, so two
processes running it, or a run repeated after a restart, change nothing more
(docs/queries.md, "Retention").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import to_utc
from bot.core.scheduler import Scheduler
from db.leaderboards import queries as boards

log = logging.getLogger(__name__)

JOB_ID = "leaderboards.prune"
DEFAULT_WEEKS = 8
DEFAULT_MONTHS = 3


def cutoffs(now: dt.datetime, *, weeks: int, months: int) -> tuple[dt.date, dt.date]:
    """The first week start and the first month start that are kept, at ``now``."""
    if weeks < 1 or months < 1:
        raise ValueError("retention keeps at least the current week and month")
    week = boards.period_start("week", to_utc(now)) - dt.timedelta(weeks=weeks - 1)
    month = boards.period_start("month", to_utc(now))
    for _ in range(months - 1):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return week, month


async def prune(
    session: AsyncSession, now: dt.datetime, *, weeks: int, months: int
) -> int:
    """Delete the period boards older than the retention; returns the rows deleted."""
    weeks_before, months_before = cutoffs(now, weeks=weeks, months=months)
    return await boards.prune_periods(
        session, weeks_before=weeks_before, months_before=months_before
    )


def schedule(
    scheduler: Scheduler,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], dt.datetime],
    *,
    weeks: int = DEFAULT_WEEKS,
    months: int = DEFAULT_MONTHS,
) -> None:
    """Prune once a day (00:17 UTC, off the hour the reminders and boards are busiest)."""

    async def job() -> None:
        try:
            async with sessions.begin() as session:
                deleted = await prune(session, clock(), weeks=weeks, months=months)
        except Exception:
            log.exception("pruning old leaderboard periods failed; the next day tries again")
            return
        log.info("pruned old leaderboard periods", extra={"rows": deleted})

    scheduler.add_cron(JOB_ID, "prune old leaderboard periods", job, hour=0, minute=17)
