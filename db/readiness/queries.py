"""What readiness reads: a member's answers to one exam's questions. Read only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question, UserAnswer
from db.utc import as_aware

MAX_ANSWERS = 2000
"""The newest answers that count (recency weighting makes older ones negligible anyway)."""


async def answers(
    session: AsyncSession, user_id: int, exam_type: str
) -> list[tuple[str, bool, dt.datetime, int]]:
    """(objective, correct, answered at, difficulty) of the member's answers to the exam's
    questions, newest first."""
    stmt = (
        select(Question.domain, UserAnswer.is_correct, UserAnswer.answered_at, Question.difficulty)
        .join(Question, Question.id == UserAnswer.question_id)
        .where(UserAnswer.user_id == user_id, Question.exam_type == exam_type)
        .order_by(UserAnswer.answered_at.desc())
        .limit(MAX_ANSWERS)
    )
    out: list[tuple[str, bool, dt.datetime, int]] = []
    for objective, correct, at, difficulty in await session.execute(stmt):
        when = as_aware(at)
        if objective and when is not None:
            out.append((str(objective), bool(correct), when, int(difficulty or 2)))
    return out




async def most_studied_exam(session: AsyncSession, user_id: int) -> str | None:
    """The exam the member answered most questions of (the default of ``/readiness``)."""
    stmt = (
        select(Question.exam_type)
        .join(UserAnswer, UserAnswer.question_id == Question.id)
        .where(UserAnswer.user_id == user_id)
        .group_by(Question.exam_type)
        .order_by(func.count().desc(), Question.exam_type)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None or row[0] is None else str(row[0])
