"""Question bank queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import insert
from db.models import Question


async def upsert_questions(session: AsyncSession, rows: Sequence[QuestionRow]) -> int:
    """Insert or update by (exam_type, question_id); returns the number of rows written.

    A row without a difficulty (a v1 file) inserts the default 2 and, on update, keeps the
    difficulty already stored."""
    written = 0
    for rated in (True, False):
        group = [r for r in rows if (r.difficulty is not None) == rated]
        for start in range(0, len(group), 500):
            chunk = group[start : start + 500]
            values = [
                {
                    "question_id": r.question_id,
                    "exam_type": r.exam_type,
                    "domain": r.objective,
                    "question_text": r.question_text,
                    "correct_answer": r.correct_answer,
                    "options": r.options,
                    "difficulty": r.difficulty if r.difficulty is not None else 2,
                }
                for r in chunk
            ]
            stmt = insert(session, Question).values(values)
            updated = ["domain", "question_text", "correct_answer", "options"]
            if rated:
                updated.append("difficulty")
            stmt = stmt.on_conflict_do_update(
                index_elements=["exam_type", "question_id"],
                set_={column: stmt.excluded[column] for column in updated},
            )
            await session.execute(stmt)
            written += len(chunk)
    return written


async def all_questions(session: AsyncSession, exam_type: str | None = None) -> list[QuestionRow]:
    stmt = select(Question).order_by(Question.exam_type, Question.question_id, Question.id)
    if exam_type:
        stmt = stmt.where(Question.exam_type == exam_type)
    result = await session.scalars(stmt)
    return [
        QuestionRow(
            question_id=q.question_id or str(q.id),
            exam_type=q.exam_type or "",
            objective=q.domain or "",
            question_text=q.question_text,
            options=q.options,
            correct_answer=q.correct_answer,
            difficulty=q.difficulty,
        )
        for q in result
    ]


async def count_by_objective(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(exam_type, objective id, question count), for `certquest questions stats`."""
    stmt = (
        select(Question.exam_type, Question.domain, func.count())
        .group_by(Question.exam_type, Question.domain)
        .order_by(Question.exam_type, Question.domain)
    )
    return [(e or "", d or "", int(n)) for e, d, n in (await session.execute(stmt)).all()]


@dataclass(frozen=True, slots=True)
class QuestionRow:
    question_id: str
    exam_type: str
    objective: str
    question_text: str
    options: dict[str, dict[str, str]]
    correct_answer: str
    line: int = 0
    difficulty: int | None = None
    """1 easy, 2 exam level, 3 hard (the optional ``difficulty`` column)."""
