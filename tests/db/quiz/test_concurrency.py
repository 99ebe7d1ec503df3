"""Races on PostgreSQL, with real separate connections that commit.

Each test forces the overlap with an ``asyncio.Barrier`` placed inside the service (after the
read that would decide wrongly under a read-modify-write design), then checks that nothing was
duplicated or lost. Rows created here are committed for real and deleted at the end; the
leaderboards hooks are stubbed (``passthrough=False``) so no board rows outlive a test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import db.accounts.queries
import db.quiz.attempts
from bot.accounts.service import get_or_create_account
from bot.core.errors import Conflict
from bot.quiz.records import (
    AnswerOutcome,
    FinishResult,
    finish_attempt,
    record_answer,
    start_attempt,
)
from db.engine import create_sessionmaker
from db.models import (
    Question,
    QuizAttempt,
    User,
    UserAchievement,
    UserAnswer,
    UserAvatar,
    UserProfile,
)
from tests.db.factories import make_question
from tests.db.progression_helpers import NOW, install_hooks, new_discord_id

pytestmark = pytest.mark.postgres_only

T = TypeVar("T")


@dataclass
class Created:
    users: set[int] = field(default_factory=set)
    questions: set[int] = field(default_factory=set)


@pytest.fixture
def sessions(
    pg_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> async_sessionmaker[AsyncSession]:
    install_hooks(monkeypatch, passthrough=False)
    return create_sessionmaker(pg_engine)


@pytest.fixture
async def created(pg_engine: AsyncEngine) -> AsyncIterator[Created]:
    rows = Created()
    yield rows
    async with pg_engine.begin() as conn:
        if rows.users:
            await conn.execute(delete(User).where(User.id.in_(rows.users)))
        if rows.questions:
            await conn.execute(delete(Question).where(Question.id.in_(rows.questions)))


def pause_after_first_call(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, barrier: asyncio.Barrier
) -> None:
    """Make each task wait at ``barrier`` right after its first call of ``module.name``."""
    real = getattr(module, name)
    seen: set[asyncio.Task[Any]] = set()

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        task = asyncio.current_task()
        assert task is not None
        if task not in seen:
            seen.add(task)
            await barrier.wait()
        return result

    monkeypatch.setattr(module, name, wrapper)


def pause_before_each_call(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, barrier: asyncio.Barrier
) -> None:
    real = getattr(module, name)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        await barrier.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)


async def in_tx(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    async with sessions() as session, session.begin():
        return await work(session)


async def scalar(sessions: async_sessionmaker[AsyncSession], stmt: Any) -> Any:
    async with sessions() as session:
        return await session.scalar(stmt)


async def setup_quiz(
    sessions: async_sessionmaker[AsyncSession], created: Created, n_questions: int
) -> tuple[int, int, list[int]]:
    """A committed user, ``n_questions`` questions and an in-progress attempt."""

    async def work(session: AsyncSession) -> tuple[int, int, list[int]]:
        user = (await get_or_create_account(session, new_discord_id(), "Racer")).user_id
        created.users.add(user)
        qids = [await make_question(session, correct_answer="A") for _ in range(n_questions)]
        created.questions.update(qids)
        attempt = await start_attempt(session, user, "security", n_questions, None, NOW)
        return user, attempt, qids

    return await in_tx(sessions, work)


async def test_simultaneous_first_interactions_create_one_account(
    sessions: async_sessionmaker[AsyncSession],
    created: Created,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    racers = 5
    discord_id = new_discord_id()
    # every racer has seen "no account" before any of them inserts
    pause_after_first_call(monkeypatch, db.accounts.queries, "find_by_discord_id",
    asyncio.Barrier(racers))

    async def first_interaction(session: AsyncSession) -> Any:
        return await get_or_create_account(session, discord_id, "Twin")

    accounts = await asyncio.gather(*(in_tx(sessions, first_interaction) for _ in range(racers)))
    created.users.update(a.user_id for a in accounts)

    assert len({a.user_id for a in accounts}) == 1
    assert sum(a.created for a in accounts) == 1
    user_id = accounts[0].user_id
    users = await scalar(sessions, select(func.count()).where(User.discord_id == discord_id))
    profiles = await scalar(sessions, select(func.count()).where(UserProfile.user_id == user_id))
    avatars = await scalar(sessions, select(func.count()).where(UserAvatar.user_id == user_id))
    assert (users, profiles, avatars) == (1, 1, 3)


async def test_simultaneous_duplicate_answers_store_one(
    sessions: async_sessionmaker[AsyncSession],
    created: Created,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, attempt, (qid,) = await setup_quiz(sessions, created, 1)
    letters = "ABCD"
    # all four clicks passed the "quiz still open" check before any insert
    pause_after_first_call(
        monkeypatch, db.quiz.attempts, "share_lock_attempts", asyncio.Barrier(len(letters))
    )

    def click(letter: str) -> Callable[[AsyncSession], Awaitable[AnswerOutcome]]:
        async def work(session: AsyncSession) -> AnswerOutcome:
            return await record_answer(session, attempt, user, qid, letter, "A", 1, NOW)

        return work

    outcomes = await asyncio.gather(*(in_tx(sessions, click(c)) for c in letters))

    assert sum(o.stored for o in outcomes) == 1
    winner = next(o for o in outcomes if o.stored)
    assert {o.user_answer for o in outcomes} == {winner.user_answer}  # all report the first
    stored = await scalar(
        sessions, select(UserAnswer.user_answer).where(UserAnswer.quiz_attempt_id == attempt)
    )
    assert stored == winner.user_answer
    rows = await scalar(sessions, select(func.count()).where(UserAnswer.quiz_attempt_id == attempt))
    assert rows == 1


async def test_simultaneous_different_answers_are_all_kept(
    sessions: async_sessionmaker[AsyncSession],
    created: Created,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, attempt, qids = await setup_quiz(sessions, created, 5)
    pause_after_first_call(monkeypatch, db.quiz.attempts, "share_lock_attempts", asyncio.Barrier(5))

    def click(qid: int) -> Callable[[AsyncSession], Awaitable[AnswerOutcome]]:
        async def work(session: AsyncSession) -> AnswerOutcome:
            return await record_answer(session, attempt, user, qid, "A", "A", 1, NOW)

        return work

    outcomes = await asyncio.gather(*(in_tx(sessions, click(q)) for q in qids))
    assert all(o.stored for o in outcomes)
    rows = await scalar(sessions, select(func.count()).where(UserAnswer.quiz_attempt_id == attempt))
    assert rows == 5


async def test_two_finishes_of_one_attempt_award_once(
    sessions: async_sessionmaker[AsyncSession],
    created: Created,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, attempt, qids = await setup_quiz(sessions, created, 3)

    async def answer_all(session: AsyncSession) -> None:
        for qid in qids:
            await record_answer(session, attempt, user, qid, "A", "A", 2, NOW)

    await in_tx(sessions, answer_all)
    racers = 3
    pause_before_each_call(monkeypatch, db.quiz.attempts, "claim_attempt", asyncio.Barrier(racers))

    async def finish(session: AsyncSession) -> FinishResult:
        return await finish_attempt(session, attempt, NOW)

    results = await asyncio.gather(*(in_tx(sessions, finish) for _ in range(racers)))

    assert sorted(r.status for r in results) == ["already_finished"] * 2 + ["finished"]
    winner = next(r for r in results if r.finished)
    assert all(r.xp_gained == 0 for r in results if not r.finished)
    async with sessions() as session:
        xp, exams, answered = (
            await session.execute(
                select(
                    UserProfile.xp,
                    UserProfile.total_exams_taken,
                    UserProfile.total_questions_answered,
                ).where(UserProfile.user_id == user)
            )
        ).one()
        earned = await session.scalar(select(func.count()).where(UserAchievement.user_id == user))
        xp_earned = await session.scalar(
            select(QuizAttempt.xp_earned).where(QuizAttempt.id == attempt)
        )
    assert (xp, exams, answered) == (winner.xp_gained, 1, 3)
    assert xp_earned == winner.xp_gained
    assert earned == len(winner.achievements) == 2  # First Steps, Perfectionist: once each


async def test_two_quizzes_finishing_at_once_lose_no_xp_and_no_day(
    sessions: async_sessionmaker[AsyncSession],
    created: Created,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, first, qids = await setup_quiz(sessions, created, 2)

    async def second_quiz(session: AsyncSession) -> int:
        attempt = await start_attempt(session, user, "security", 2, None, NOW)
        # yesterday was a 3-day streak: today's two quizzes must make it 4, not 3 or 5
        await session.execute(
            update(UserProfile)
            .where(UserProfile.user_id == user)
            .values(
                study_streak_current=3,
                study_streak_longest=3,
                last_activity_date=NOW.date() - dt.timedelta(days=1),
            )
        )
        for att in (first, attempt):
            for qid in qids:
                await record_answer(session, att, user, qid, "A", "A", 2, NOW)
        return attempt

    second = await in_tx(sessions, second_quiz)
    pause_before_each_call(monkeypatch, db.quiz.attempts, "claim_attempt", asyncio.Barrier(2))

    def finish(attempt: int) -> Callable[[AsyncSession], Awaitable[FinishResult]]:
        async def work(session: AsyncSession) -> FinishResult:
            return await finish_attempt(session, attempt, NOW)

        return work

    results = await asyncio.gather(in_tx(sessions, finish(first)), in_tx(sessions, finish(second)))

    assert all(r.finished for r in results)
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    UserProfile.xp,
                    UserProfile.total_exams_taken,
                    UserProfile.total_questions_answered,
                    UserProfile.study_streak_current,
                    UserProfile.study_streak_longest,
                ).where(UserProfile.user_id == user)
            )
        ).one()
    assert tuple(row) == (sum(r.xp_gained for r in results), 2, 4, 4, 4)
    assert sorted((r.streak_before, r.streak_after) for r in results) == [(3, 4), (4, 4)]
    # each achievement was announced by exactly one of the two finishes
    names = [a.name for r in results for a in r.achievements]
    assert len(names) == len(set(names))


async def race_answer_and_finish(
    sessions: async_sessionmaker[AsyncSession], created: Created
) -> tuple[str, FinishResult, int]:
    user, attempt, (q1, q2) = await setup_quiz(sessions, created, 2)

    async def first_answer(session: AsyncSession) -> None:
        await record_answer(session, attempt, user, q1, "A", "A", 2, NOW)

    await in_tx(sessions, first_answer)
    barrier = asyncio.Barrier(2)

    async def late_answer(session: AsyncSession) -> str:
        await barrier.wait()
        try:
            await record_answer(session, attempt, user, q2, "A", "A", 2, NOW)
        except Conflict:
            return "refused"
        return "stored"

    async def finish(session: AsyncSession) -> FinishResult:
        await barrier.wait()
        return await finish_attempt(session, attempt, NOW)

    outcome, result = await asyncio.gather(in_tx(sessions, late_answer), in_tx(sessions, finish))
    stored = await scalar(
        sessions, select(func.count()).where(UserAnswer.quiz_attempt_id == attempt)
    )
    return outcome, result, int(stored)


async def test_an_answer_racing_the_finish_is_counted_or_refused(
    sessions: async_sessionmaker[AsyncSession], created: Created
) -> None:
    for _ in range(3):
        outcome, result, stored = await race_answer_and_finish(sessions, created)
        # whichever won, the stored answers and the attempt's totals agree
        assert stored == result.answered == result.correct_answers
        assert stored == (2 if outcome == "stored" else 1)
