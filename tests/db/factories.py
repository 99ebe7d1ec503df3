"""Small builders for database tests: valid rows with plain inserts, one knob at a time."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question, QuizAttempt, User, UserAnswer, UserProfile

_seq = itertools.count(1)

OPTIONS = {
    letter: {"text": f"Option {letter}", "explanation": f"Why {letter} is right or wrong."}
    for letter in "ABCD"
}


async def make_user(session: AsyncSession, **overrides: Any) -> int:
    n = next(_seq)
    values = {
        "email": f"user{n}@example.test",
        "username": f"user{n}",
        "hashed_password": "!unusable",
        **overrides,
    }
    user_id = (await session.execute(insert(User).values(values).returning(User.id))).scalar_one()
    await session.execute(insert(UserProfile).values(user_id=user_id))
    return int(user_id)


async def make_question(session: AsyncSession, **overrides: Any) -> int:
    n = next(_seq)
    values = {
        "question_id": f"T-{n}",
        "exam_type": "security",
        "domain": "1.1",
        "question_text": f"Test question {n}?",
        "correct_answer": "A",
        "options": OPTIONS,
        **overrides,
    }
    stmt = insert(Question).values(values).returning(Question.id)
    return int((await session.execute(stmt)).scalar_one())


async def make_attempt(session: AsyncSession, user_id: int, **overrides: Any) -> int:
    values = {
        "user_id": user_id,
        "exam_type": "security",
        "total_questions": 10,
        "correct_answers": 5,
        "score_percentage": 50.0,
        **overrides,
    }
    stmt = insert(QuizAttempt).values(values).returning(QuizAttempt.id)
    return int((await session.execute(stmt)).scalar_one())


async def make_answer(
    session: AsyncSession, user_id: int, attempt_id: int, question_id: int | None, **overrides: Any
) -> int:
    values = {
        "user_id": user_id,
        "quiz_attempt_id": attempt_id,
        "question_id": question_id,
        "user_answer": "A",
        "correct_answer": "A",
        "is_correct": True,
        **overrides,
    }
    stmt = insert(UserAnswer).values(values).returning(UserAnswer.id)
    return int((await session.execute(stmt)).scalar_one())
