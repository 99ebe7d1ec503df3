"""Nothing grows without bound: week and month boards older than the retention are pruned
by the scheduled job (8 weeks and 3 months by default); this period's boards and the
all-time boards stay, with the same ranks."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.scheduler import Scheduler
from bot.leaderboards import retention
from db.leaderboards.models import BoardHistogram, BoardScore
from tests.db.leaderboards.test_leaderboards import Players, lines
from tests.db.leaderboards.test_leaderboards import players as players  # the fixture

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)  # a Wednesday


class OneSession:
    """The scheduled job's session factory, over the test's rolled-back session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        yield self.session
        await self.session.flush()


async def periods(session: AsyncSession, model: Any) -> set[tuple[str, dt.date]]:
    rows = await session.execute(select(model.period, model.period_start).distinct())
    return {(str(p), s) for p, s in rows}


def test_the_cutoffs_keep_this_period_and_the_ones_before_it() -> None:
    weeks, months = retention.cutoffs(NOW, weeks=8, months=3)
    assert weeks == dt.date(2026, 11, 30) - dt.timedelta(weeks=7)  # this Monday, 7 weeks back
    assert months == dt.date(2026, 10, 1)  # December, November, October stay
    assert retention.cutoffs(NOW, weeks=1, months=1) == (dt.date(2026, 11, 30), dt.date(2026, 12,
    1))
    with pytest.raises(ValueError):
        retention.cutoffs(NOW, weeks=0, months=3)
    with pytest.raises(ValueError):
        retention.cutoffs(dt.datetime(2026, 12, 2), weeks=8, months=3)  # noqa: DTZ001  - refused


async def test_the_scheduled_job_prunes_old_periods_and_keeps_current_and_all_time(
    session: AsyncSession, players: Players
) -> None:
    ada = await players.join("ada")
    bob = await players.join("bob")
    # a year of study: one finish every week, the last one this week
    for weeks_ago in range(52, -1, -1):
        when = NOW - dt.timedelta(weeks=weeks_ago)
        await players.finish(ada, xp=10, when=when)
        if weeks_ago % 2 == 0:
            await players.finish(bob, xp=15, when=when)
    all_time_before = lines(await players.board("xp", period="all", now=NOW))
    week_before = lines(await players.board("xp", period="week", now=NOW))
    month_before = lines(await players.board("xp", period="month", now=NOW))
    assert len(await periods(session, BoardScore)) > 8 + 3 + 1

    scheduler = Scheduler()
    retention.schedule(scheduler, OneSession(session), lambda: NOW)  # type: ignore[arg-type]
    job = scheduler.job(retention.JOB_ID)
    assert job is not None and str(job.trigger).startswith("cron")
    await job.func()  # what APScheduler runs once a day

    weeks_kept, _ = retention.cutoffs(NOW, weeks=8, months=3)
    for model in (BoardScore, BoardHistogram):
        left = await periods(session, model)
        assert {s for p, s in left if p == "week"} == {
            weeks_kept + dt.timedelta(weeks=n) for n in range(8)
        }
        assert {s for p, s in left if p == "month"} == {
            dt.date(2026, 10, 1),
            dt.date(2026, 11, 1),
            dt.date(2026, 12, 1),
        }
        assert any(p == "all" for p, _ in left)
    assert lines(await players.board("xp", period="all", now=NOW)) == all_time_before
    assert lines(await players.board("xp", period="week", now=NOW)) == week_before
    assert lines(await players.board("xp", period="month", now=NOW)) == month_before

    # running it again (another process, the next day's retry) deletes nothing more
    count = select(func.count()).select_from(BoardScore)
    rows = (await session.execute(count)).scalar_one()
    assert await retention.prune(session, NOW, weeks=8, months=3) == 0
    assert (await session.execute(count)).scalar_one() == rows


def test_the_bot_schedules_the_pruning_once_a_day() -> None:
    from bot.core.settings import Settings
    from bot.features import schedule_jobs

    scheduler = Scheduler()
    settings = Settings(board_retention_weeks=4, board_retention_months=2)
    schedule_jobs(scheduler, OneSession(None), settings, lambda: NOW)  # type: ignore[arg-type]
    job = scheduler.job(retention.JOB_ID)
    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("0", "17")  # once a day, 00:17 UTC
