"""Experiment (not production code): the real bot with the two multi-row INSERTs of the
answer path compiled once and cached.

``db.attempts.insert_answers`` and ``db.leaderboards.record_answers_stats`` build
``insert(...).values([row, row, …])``: SQLAlchemy compiles such a multi-VALUES statement anew
for every call (its shape depends on the row count), which the answer-path profile shows as
~10 % of the bot's CPU at saturation. Here they are replaced, for measurement, by the
executemany form ``session.execute(insert(table)…, rows)``: one cached statement that
SQLAlchemy's "insertmanyvalues" still sends as a single multi-row INSERT … RETURNING.
``python -m bench.cached_bot`` is what ``bench.answer_path --kinds …,cached`` runs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bench.noop_bot import run
from bot.app import CertQuestBot
from db import attempts, leaderboards
from db.accounts import to_utc
from db.dialect import insert
from db.models import UserAnswer
from db.models_boards import UserObjectiveStats


async def insert_answers(
    session: AsyncSession, rows: Sequence[attempts.AnswerRow]
) -> dict[attempts.AnswerKey, attempts.StoredAnswer]:
    if not rows:
        return {}
    t: Any = UserAnswer.__table__
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
    stmt = (
        insert(session, t)
        .on_conflict_do_nothing(index_elements=["quiz_attempt_id", "question_id"])
        .returning(t.c.quiz_attempt_id, t.c.question_id, t.c.user_answer, t.c.is_correct)
    )
    result = await session.execute(stmt, values)
    return {(int(a), int(q)): attempts.StoredAnswer(str(ans), bool(ok)) for a, q, ans, ok in result}


async def record_answers_stats(
    session: AsyncSession, rows: Sequence[tuple[int, str, str | None, bool]]
) -> None:
    answered: Counter[tuple[int, str, str]] = Counter()
    correct: Counter[tuple[int, str, str]] = Counter()
    for user_id, exam_type, objective, is_correct in rows:
        key = (user_id, exam_type, objective or "")
        answered[key] += 1
        correct[key] += int(is_correct)
    values = [
        {"user_id": u, "exam_type": e, "objective": o, "answered": n, "correct": correct[(u, e, o)]}
        for (u, e, o), n in sorted(answered.items())
    ]
    if not values:
        return
    t: Any = UserObjectiveStats.__table__
    stmt = insert(session, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "exam_type", "objective"],
        set_={
            "answered": t.c.answered + stmt.excluded.answered,
            "correct": t.c.correct + stmt.excluded.correct,
        },
    )
    await session.execute(stmt, values)


class CachedInsertsBot(CertQuestBot):
    async def setup_hook(self) -> None:
        attempts.insert_answers = insert_answers  # type: ignore[assignment]
        leaderboards.record_answers_stats = record_answers_stats  # type: ignore[assignment]
        await super().setup_hook()


if __name__ == "__main__":
    asyncio.run(run(CachedInsertsBot))
