"""The small protocols one feature offers another, registered at start.

Features never import each other's internals. Where one must act on another's behalf, the
owner registers an implementation here when the process starts (``bot.features.register``)
and the caller looks it up:

- ``start_solo_quiz``: the quiz feature starts a private quiz for an interaction (the reminder
  DM's button uses it).
- ``next_reminder_after_study``: the reminders feature says when a member who just studied is
  next reminded; the quiz feature folds it into the finish's one profile UPDATE.
- ``cards_due`` and ``review_starter``: the review feature counts a member's due cards (the
  reminder DM says how many) and starts their ``/review`` (the DM's button).
- ``question_set``: the quiz feature runs a private quiz of given questions (``/review``).
- ``answers_final``: features that learn from every answer (the review deck) take a finished
  quiz's answers in the finish's own unit of work, for all players at once.
- ``users_merged`` and ``user_deleting``: linking a Discord account to a web account merges
  two members, and ``/account delete`` removes one; every feature that keeps something per
  member (boards, the review deck) moves or removes it in the same unit of work.
- ``practice_recorder``: the quiz feature records a set of answers given outside a quiz (a
  mock exam) as one finished attempt of the member: XP, streak, achievements, boards, /stats.
- ``timezone_changed``: features whose schedules follow a member's time zone (reminders)
  recompute them in the same unit of work as the change (the profile feature calls them).

Events that need no answer go through ``bot.dispatch`` instead (``bot.core.events``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import FinalAnswer
from db.reminders.records import ReminderState


class QuestionSetStarter(Protocol):
    """Run a private quiz of exactly these questions for an interaction (``/review``)."""

    def __call__(
        self, interaction: Any, exam_type: str, question_ids: Sequence[int], intro: str
    ) -> Awaitable[None]: ...


AnswersListener = Callable[[AsyncSession, Sequence[FinalAnswer], dt.datetime], Awaitable[None]]
"""(session, the finished quiz's answers, now): same transaction as the finish."""


CardsDueCounter = Callable[
    [AsyncSession, Sequence[tuple[int, str]], dt.datetime], Awaitable[dict[int, int]]
]
"""(session, [(user id, IANA zone)], now) → user id → cards due by the end of their today."""


class ReviewStarter(Protocol):
    """Start the member's ``/review`` with its defaults (the reminder DM's button)."""

    def __call__(self, interaction: Any) -> Awaitable[None]: ...


UsersMergedListener = Callable[[AsyncSession, int, int], Awaitable[None]]
"""(session, from user id, into user id): the source account is merged into the target and
deleted right after, in the same transaction; move what the feature keeps per member."""

UserDeletingListener = Callable[[AsyncSession, int], Awaitable[None]]
"""(session, user id): the account is deleted right after, in the same transaction."""


@dataclass(frozen=True, slots=True)
class PracticeAnswer:
    """One answer given outside a quiz (a mock exam item the member answered)."""

    question_id: int
    chosen: str
    correct: str
    answered_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PracticeOutcome:
    """What recording the practice earned the member (shown with its result)."""

    xp_gained: int
    level: int
    leveled_up: bool
    streak: int


class PracticeRecorder(Protocol):
    """Record ``answers`` to a sitting of ``questions`` questions (unanswered ones count as
    wrong) as one finished attempt of the member, in the caller's unit of work; None when
    there was nothing to record (no answers)."""

    def __call__(
        self,
        session: AsyncSession,
        *,
        user_id: int,
        exam_type: str,
        questions: int,
        answers: Sequence[PracticeAnswer],
        started_at: dt.datetime,
        now: dt.datetime,
    ) -> Awaitable[PracticeOutcome | None]: ...


class SoloQuizStarter(Protocol):
    def __call__(
        self, interaction: Any, exam_type: str | None, *, questions: int
    ) -> Awaitable[None]: ...


NextReminderAfterStudy = Callable[[ReminderState, dt.date, dt.datetime], dt.datetime | None]
"""(reminder state, the local study day, now) → the next reminder instant, or None (off)."""

TimezoneListener = Callable[[AsyncSession, int, str, dt.datetime], Awaitable[dt.datetime | None]]
"""(session, user_id, new IANA zone, now): called after the zone is stored, same transaction;
returns the instant it rescheduled to (shown to the member), or None."""


@dataclass(slots=True)
class Hooks:
    solo_quiz: SoloQuizStarter | None = None
    timezone_listeners: list[TimezoneListener] = field(default_factory=list)
    next_reminder_after_study: NextReminderAfterStudy | None = None
    question_set: QuestionSetStarter | None = None
    cards_due_counter: CardsDueCounter | None = None
    review_starter: ReviewStarter | None = None
    practice_recorder: PracticeRecorder | None = None

    async def cards_due(
        self, session: AsyncSession, members: Sequence[tuple[int, str]], now: dt.datetime
    ) -> dict[int, int]:
        """user id → review cards due by the end of their local today (0 without a deck)."""
        if self.cards_due_counter is None or not members:
            return {}
        return await self.cards_due_counter(session, members, now)
    answers_listeners: list[AnswersListener] = field(default_factory=list)
    merge_listeners: list[UsersMergedListener] = field(default_factory=list)
    delete_listeners: list[UserDeletingListener] = field(default_factory=list)

    def on_users_merged(self, listener: UsersMergedListener) -> None:
        if listener not in self.merge_listeners:
            self.merge_listeners.append(listener)

    def on_user_deleting(self, listener: UserDeletingListener) -> None:
        if listener not in self.delete_listeners:
            self.delete_listeners.append(listener)

    async def users_merged(self, session: AsyncSession, source: int, target: int) -> None:
        for listener in self.merge_listeners:
            await listener(session, source, target)

    async def user_deleting(self, session: AsyncSession, user_id: int) -> None:
        for listener in self.delete_listeners:
            await listener(session, user_id)

    def on_answers_final(self, listener: AnswersListener) -> None:
        if listener not in self.answers_listeners:
            self.answers_listeners.append(listener)

    async def answers_final(
        self, session: AsyncSession, answers: Sequence[FinalAnswer], now: dt.datetime
    ) -> None:
        """A quiz finished: its stored answers are final (the review deck schedules them)."""
        for listener in self.answers_listeners:
            await listener(session, answers, now)

    def on_timezone_changed(self, listener: TimezoneListener) -> None:
        if listener not in self.timezone_listeners:
            self.timezone_listeners.append(listener)

    async def timezone_changed(
        self, session: AsyncSession, user_id: int, timezone: str, now: dt.datetime
    ) -> dt.datetime | None:
        """Every listener, in order; the first instant one rescheduled to, if any."""
        first: dt.datetime | None = None
        for listener in self.timezone_listeners:
            when = await listener(session, user_id, timezone, now)
            first = first or when
        return first


hooks = Hooks()
"""The process's registry (one per process; the bot and the CLI register the same features)."""
