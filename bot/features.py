"""Wiring the features' protocols (``bot.core.hooks``) at start: the one place that knows
which feature implements what. The bot, the CLI and the tests call ``register()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.hooks import hooks
from bot.core.scheduler import Scheduler
from bot.core.settings import Settings
from bot.leaderboards import retention
from bot.mockexam import service as mock_exams
from bot.quiz import records as quiz_records
from bot.reminders import store as reminder_store
from bot.review import service as review_service
from db.leaderboards import queries as boards


def register() -> None:
    """Idempotent: registering twice changes nothing."""
    hooks.next_reminder_after_study = reminder_store.next_after_study
    hooks.on_timezone_changed(reminder_store.reschedule_for_timezone)
    hooks.on_answers_final(review_service.record_final_answers)
    hooks.cards_due_counter = review_service.cards_due_today
    hooks.on_users_merged(_merge_boards)
    hooks.on_users_merged(review_service.merge_decks)
    hooks.on_users_merged(mock_exams.merge_sittings)
    hooks.practice_recorder = quiz_records.record_practice
    hooks.on_user_deleting(_remove_from_boards)


async def _merge_boards(session: AsyncSession, source: int, target: int) -> None:
    await boards.merge_users(session, from_user_id=source, into_user_id=target)


async def _remove_from_boards(session: AsyncSession, user_id: int) -> None:
    await boards.remove_user(session, user_id=user_id)


def schedule_jobs(
    scheduler: Scheduler,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Callable[[], dt.datetime],
) -> None:
    """Every feature's periodic job but the reminder sweep (``ReminderScheduler`` adds that):
    the daily pruning of old period leaderboards and of ended mock exams (the time-out sweep of
    mock exams tells members on Discord: the mock exam cog adds it)."""
    retention.schedule(
        scheduler,
        sessions,
        clock,
        weeks=settings.board_retention_weeks,
        months=settings.board_retention_months,
    )
    mock_exams.schedule_retention(
        scheduler, sessions, clock, days=settings.mock_exam_retention_days
    )
