"""Quiz attempt and answer queries (flush at most, never commit).

Answers are written with ``INSERT … ON CONFLICT (quiz_attempt_id, question_id) DO NOTHING
RETURNING``: the first answer to a question is the one stored, whatever arrives later or at the
same moment. An answer transaction reads its attempt ``FOR SHARE`` and a finish claims it with
an ``UPDATE``; the two lock modes conflict on PostgreSQL, so an answer is either stored before
the finish counts the answers, or rejected because the quiz is already completed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.accounts.queries import as_aware, to_utc
from db.dialect import insert
from db.models import Question, QuizAttempt, UserAnswer

IN_PROGRESS = "in_progress"
COMPLETED = "completed"

AnswerKey = tuple[int, int]  # (quiz_attempt_id, question_id)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One answer to write."""

    attempt_id: int
    user_id: int
    question_id: int
    user_answer: str
    correct_answer: str
    time_spent_seconds: int | None
    answered_at: dt.datetime

    @property
    def key(self) -> AnswerKey:
        return (self.attempt_id, self.question_id)

    @property
    def is_correct(self) -> bool:
        return self.user_answer == self.correct_answer


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    user_answer: str
    is_correct: bool


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: int
    user_id: int | None
    exam_type: str
    status: str
    total_questions: int
    correct_answers: int
    score_percentage: float
    time_taken_seconds: int | None
    xp_earned: int
    guild_id: int | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AnswerTotals:
    answered: int
    correct: int
    time_spent_total: int | None  # None when no answer recorded its time


async def insert_attempt(
    session: AsyncSession,
    *,
    user_id: int,
    exam_type: str,
    total_questions: int,
    guild_id: int | None,
    started_at: dt.datetime,
) -> int:
    """An in-progress attempt whose CHECKs already hold (0 correct, 0 %, 0 XP)."""
    now = to_utc(started_at)
    stmt = (
        insert(session, QuizAttempt)
        .values(
            user_id=user_id,
            exam_type=exam_type,
            total_questions=total_questions,
            correct_answers=0,
            score_percentage=0.0,
            xp_earned=0,
            status=IN_PROGRESS,
            started_at=now,
            completed_at=now,
            guild_id=guild_id,
        )
        .returning(QuizAttempt.id)
    )
    return int((await session.execute(stmt)).scalar_one())


@dataclass(frozen=True, slots=True)
class AttemptState:
    user_id: int | None
    status: str
    exam_type: str


async def share_lock_attempts(
    session: AsyncSession, attempt_ids: Iterable[int]
) -> dict[int, AttemptState]:
    """``{attempt id: state}``, read ``FOR SHARE`` (in id order, deadlock-free)."""
    ids = sorted(set(attempt_ids))
    if not ids:
        return {}
    stmt = (
        select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.status, QuizAttempt.exam_type)
        .where(QuizAttempt.id.in_(ids))
        .order_by(QuizAttempt.id)
        .with_for_update(read=True)
    )
    return {
        int(r[0]): AttemptState(r[1], str(r[2]), str(r[3])) for r in await session.execute(stmt)
    }


async def question_objectives(
    session: AsyncSession, question_ids: Iterable[int]
) -> dict[int, str | None]:
    """``{question id: objective}`` (``questions.domain``, e.g. "1.2")."""
    ids = sorted(set(question_ids))
    if not ids:
        return {}
    stmt = select(Question.id, Question.domain).where(Question.id.in_(ids))
    return {int(i): d for i, d in await session.execute(stmt)}


async def insert_answers(
    session: AsyncSession, rows: Sequence[AnswerRow]
) -> dict[AnswerKey, StoredAnswer]:
    """One INSERT for ``rows`` (keys must be distinct); returns the rows actually stored."""
    if not rows:
        return {}
    values = [
        {
            "quiz_attempt_id": r.attempt_id,
            "user_id": r.user_id,
            "question_id": r.question_id,
            "user_answer": r.user_answer,
            "correct_answer": r.correct_answer,
            "is_correct": r.is_correct,
            "time_spent_seconds": r.time_spent_seconds,
            "answered_at": to_utc(r.answered_at),
        }
        for r in rows
    ]
    # executemany form: one statement compiled once and cached, which SQLAlchemy still sends
    # as a single multi-row INSERT … RETURNING ("insertmanyvalues"); `.values([...])` would be
    # compiled anew for every batch size (~10 % of the bot's CPU at saturation, bench finding 2)
    t: Any = UserAnswer.__table__
    stmt = (
        insert(session, t)
        .on_conflict_do_nothing(index_elements=["quiz_attempt_id", "question_id"])
        .returning(t.c.quiz_attempt_id, t.c.question_id, t.c.user_answer, t.c.is_correct)
    )
    return {
        (int(a), int(q)): StoredAnswer(str(ans), bool(ok))
        for a, q, ans, ok in await session.execute(stmt, values)
    }


async def existing_answers(
    session: AsyncSession, keys: Iterable[AnswerKey]
) -> dict[AnswerKey, StoredAnswer]:
    wanted = set(keys)
    if not wanted:
        return {}
    stmt = select(
        UserAnswer.quiz_attempt_id,
        UserAnswer.question_id,
        UserAnswer.user_answer,
        UserAnswer.is_correct,
    ).where(
        UserAnswer.quiz_attempt_id.in_({a for a, _ in wanted}),
        UserAnswer.question_id.in_({q for _, q in wanted}),
    )
    found: dict[AnswerKey, StoredAnswer] = {}
    for a, q, ans, ok in await session.execute(stmt):
        key = (int(a or 0), int(q or 0))
        if key in wanted:
            found[key] = StoredAnswer(str(ans), bool(ok))
    return found


@dataclass(frozen=True, slots=True)
class ClaimedAttempt:
    id: int
    user_id: int | None
    exam_type: str
    guild_id: int | None
    started_at: dt.datetime | None
    total_questions: int


_ATTEMPTS: Any = QuizAttempt.__table__
_QA: Any = _ATTEMPTS.c
# the finalizer's statements, built once (Core, no ORM), executed with parameters
_CLAIM = (
    update(_ATTEMPTS)
    .where(_QA.id == bindparam("attempt_id"), _QA.status == IN_PROGRESS)
    .values(status=COMPLETED, completed_at=bindparam("now", type_=_QA.completed_at.type))
    .returning(
        _QA.id, _QA.user_id, _QA.exam_type, _QA.guild_id, _QA.started_at, _QA.total_questions
    )
)


async def claim_attempt(
    session: AsyncSession, attempt_id: int, now: dt.datetime
) -> ClaimedAttempt | None:
    """Mark an in-progress attempt completed; None if it is not (or no longer) in progress.

    Of two concurrent claims exactly one gets the row: the second waits for the first's row
    lock and then sees ``status = 'completed'``.
    """
    params = {"attempt_id": attempt_id, "now": to_utc(now)}
    row = (await session.execute(_CLAIM, params)).first()
    if row is None:
        return None
    return ClaimedAttempt(int(row[0]), row[1], str(row[2]), row[3], as_aware(row[4]), int(row[5]))


async def get_attempt(session: AsyncSession, attempt_id: int) -> AttemptRow | None:
    a = QuizAttempt
    stmt = select(
        a.id,
        a.user_id,
        a.exam_type,
        a.status,
        a.total_questions,
        a.correct_answers,
        a.score_percentage,
        a.time_taken_seconds,
        a.xp_earned,
        a.guild_id,
        a.started_at,
        a.completed_at,
    ).where(a.id == attempt_id)
    r = (await session.execute(stmt)).first()
    if r is None:
        return None
    return AttemptRow(
        id=int(r[0]),
        user_id=r[1],
        exam_type=str(r[2]),
        status=str(r[3]),
        total_questions=int(r[4]),
        correct_answers=int(r[5]),
        score_percentage=float(r[6]),
        time_taken_seconds=r[7],
        xp_earned=int(r[8] or 0),
        guild_id=r[9],
        started_at=as_aware(r[10]),
        completed_at=as_aware(r[11]),
    )


async def answer_totals(session: AsyncSession, attempt_id: int) -> AnswerTotals:
    stmt = select(
        func.count(UserAnswer.id),
        func.coalesce(func.sum(case((UserAnswer.is_correct, 1), else_=0)), 0),
        func.sum(UserAnswer.time_spent_seconds),
    ).where(UserAnswer.quiz_attempt_id == attempt_id)
    answered, correct, spent = (await session.execute(stmt)).one()
    return AnswerTotals(int(answered), int(correct), None if spent is None else int(spent))


_COMPLETE = (
    update(_ATTEMPTS)
    .where(_QA.id == bindparam("attempt_id"))
    .values(
        total_questions=bindparam("total_questions_", type_=Integer),
        correct_answers=bindparam("correct_answers_", type_=Integer),
        score_percentage=bindparam("score_percentage_", type_=Float),
        time_taken_seconds=bindparam("time_taken_seconds_", type_=Integer),
        xp_earned=bindparam("xp_earned_", type_=Integer),
    )
)
_SET_XP = (
    update(_ATTEMPTS)
    .where(_QA.id == bindparam("attempt_id"))
    .values(xp_earned=bindparam("xp_earned_", type_=Integer))
)


async def complete_attempt(
    session: AsyncSession,
    attempt_id: int,
    *,
    total_questions: int,
    correct_answers: int,
    score_percentage: float,
    time_taken_seconds: int | None,
    xp_earned: int,
) -> None:
    params = {
        "attempt_id": attempt_id,
        "total_questions_": total_questions,
        "correct_answers_": correct_answers,
        "score_percentage_": score_percentage,
        "time_taken_seconds_": time_taken_seconds,
        "xp_earned_": xp_earned,
    }
    await session.execute(_COMPLETE, params)


async def set_attempt_xp(session: AsyncSession, attempt_id: int, xp_earned: int) -> None:
    await session.execute(_SET_XP, {"attempt_id": attempt_id, "xp_earned_": xp_earned})


async def delete_attempt(session: AsyncSession, attempt_id: int) -> None:
    await session.execute(delete(QuizAttempt).where(QuizAttempt.id == attempt_id))
