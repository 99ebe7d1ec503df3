"""``/readiness``: the member's estimated exam score from everything they answered
(``bot.readiness.rules``; method and validation in docs/readiness.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.errors import InvalidInput, NotFound
from bot.core.hooks import hooks
from bot.core.study import weakest_first
from bot.readiness.rules import Evidence, NotEnoughEvidence, Readiness, estimate, spec_of
from db.exams import exams
from db.leaderboards import queries as boards
from db.readiness import queries as readiness_db


@dataclass(frozen=True, slots=True)
class ReadinessView:
    exam_type: str
    result: Readiness | NotEnoughEvidence
    practise: dict[str, str]
    """domain number → the objective to practise in it (the member's weakest there)."""
    cards_due: int


def _weakest(objectives: list[str], accuracy: dict[str, tuple[int, int]]) -> str:
    """The objective to practise: one never answered first, else the weakest
    (``bot.core.study.weakest_first``)."""

    def key(objective: str) -> tuple[bool, tuple[object, ...]]:
        correct, answered = accuracy.get(objective, (0, 0))
        return (answered > 0, weakest_first(objective, answered, correct))

    return min(objectives, key=key)


async def readiness(
    session: AsyncSession,
    *,
    discord_id: int,
    display_name: str,
    exam_type: str | None,
    now: dt.datetime,
) -> ReadinessView:
    if exam_type is not None and exam_type not in exams():
        raise InvalidInput("Pick an exam from the list.")
    account = await get_or_create_account(session, discord_id, display_name)
    exam_type = exam_type or await readiness_db.most_studied_exam(session, account.user_id)
    if exam_type is None:
        raise NotFound(
            "I can't estimate anything yet: answer some questions with `/quiz start` first."
        )
    exam = exams()[exam_type]
    rows = await readiness_db.answers(session, account.user_id, exam_type)
    evidence = [
        Evidence(
            domain=objective.split(".", 1)[0] + ".0",
            correct=correct,
            answered_at=at,
            difficulty=difficulty,
        )
        for objective, correct, at, difficulty in rows
    ]
    result = estimate(spec_of(exam), evidence, now)
    accuracy = {
        objective: (correct, answered)
        for _, objective, answered, correct in await boards.objective_counts(
            session, account.user_id, exam_type
        )
    }
    practise = {
        d.number: _weakest([o.id for o in d.objectives], accuracy)
        for d in exam.domains
        if d.objectives
    }
    due = await hooks.cards_due(session, [(account.user_id, account.timezone)], now)
    return ReadinessView(exam_type, result, practise, due.get(account.user_id, 0))
