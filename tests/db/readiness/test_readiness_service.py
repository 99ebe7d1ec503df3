"""/readiness over the database (both engines): what a member answered becomes an estimated
score with its passing line, or an honest list of what is missing."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.readiness import service as svc
from bot.readiness.rules import NotEnoughEvidence, Readiness
from db.exams import exams
from db.quiz import sessions as q
from tests.db.factories import make_answer, make_attempt

NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)


async def answer(
    session: AsyncSession, discord_id: int, per_domain: int, right_share: float
) -> None:
    account = await get_or_create_account(session, discord_id, "gina")
    attempt = await make_attempt(session, account.user_id, exam_type="security")
    rng = random.Random(discord_id)
    for domain in exams()["security"].domains:
        pool = [
            qid
            for objective in domain.objectives
            for qid, _ in await q.candidates(session, "security", objective.id)
        ]
        for n, qid in enumerate(rng.sample(pool, min(per_domain, len(pool)))):
            right = rng.random() < right_share
            await make_answer(
                session,
                account.user_id,
                attempt,
                qid,
                user_answer="A" if right else "B",
                is_correct=right,
                answered_at=NOW - dt.timedelta(days=1, minutes=n),
            )


async def test_enough_answers_give_a_score_against_the_exams_passing_line(
    session: AsyncSession,
) -> None:
    await answer(session, 900_990, per_domain=14, right_share=0.9)
    view = await svc.readiness(
        session, discord_id=900_990, display_name="gina", exam_type="security", now=NOW
    )
    assert isinstance(view.result, Readiness)
    result = view.result
    assert result.passing_score == 750 and 100 <= result.score <= 900
    assert result.band[0] <= result.score <= result.band[1]
    assert {d.number for d in result.domains} == {d.number for d in exams()["security"].domains}
    assert set(view.practise) == {d.number for d in exams()["security"].domains}


async def test_a_few_answers_get_an_honest_list_of_what_is_missing(session: AsyncSession) -> None:
    await answer(session, 900_991, per_domain=1, right_share=1.0)
    view = await svc.readiness(
        session, discord_id=900_991, display_name="hal", exam_type=None, now=NOW
    )
    assert view.exam_type == "security"  # the exam they studied most
    assert isinstance(view.result, NotEnoughEvidence)
    assert any("more answer" in m for m in view.result.missing)
