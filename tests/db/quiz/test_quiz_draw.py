"""The draw: a quiz asks first what none of its players answered in the last 30 days, then
what they saw longest ago (on both databases)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.quiz import service as svc
from db.models import UserAnswer
from db.quiz import sessions as q
from db.quiz.models import QuizSession
from tests.db.factories import make_answer, make_attempt

NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
DANA = 900_777


async def test_a_solo_quiz_asks_unseen_questions_first_then_the_least_recently_seen(
    session: AsyncSession,
) -> None:
    pool = [qid for qid, _ in await q.candidates(session, "network", "2.1")]
    assert len(pool) >= 5
    account = await get_or_create_account(session, DANA, "dana")
    attempt = await make_attempt(session, account.user_id, exam_type="network")
    unseen, seen = pool[:2], pool[2:]
    # seen recently, in this order: seen[0] 20 days ago … seen[-1] an hour ago
    for n, qid in enumerate(seen):
        when = NOW - dt.timedelta(days=20) + dt.timedelta(days=n, hours=n)
        await make_answer(session, account.user_id, attempt, qid, answered_at=when)
    # answered 40 days ago: counts as unseen
    old = seen.pop(0)
    await session.execute(
        update(UserAnswer)
        .where(UserAnswer.question_id == old, UserAnswer.user_id == account.user_id)
        .values(answered_at=NOW - dt.timedelta(days=40))
    )

    view = await svc.start_quiz(
        session,
        host_discord_id=DANA,
        host_name="dana",
        guild_id=None,
        channel_id=333_000_000_000_000_003,
        exam_type="network",
        objective="2.1",
        count=len(pool),
        seconds=30,
        mode="solo",
        now=NOW,
        rng=random.Random(11),
    )
    row = await session.get(QuizSession, view.session_id)
    assert row is not None
    drawn = row.question_ids
    first = set(drawn[: len(unseen) + 1])
    assert first == {*unseen, old}  # nothing seen in the last 30 days comes before these
    assert drawn[len(unseen) + 1 :] == seen  # then the least recently seen first


async def test_a_new_member_gets_the_usual_domain_spread(session: AsyncSession) -> None:
    view = await svc.start_quiz(
        session,
        host_discord_id=900_778,
        host_name="eve",
        guild_id=None,
        channel_id=333_000_000_000_000_004,
        exam_type="security",
        objective=None,
        count=5,
        seconds=30,
        mode="solo",
        now=NOW,
        rng=random.Random(3),
    )
    row = await session.get(QuizSession, view.session_id)
    assert row is not None
    objectives = [
        (await q.question(session, qid)).objective  # type: ignore[union-attr]
        for qid in row.question_ids
    ]
    assert len({o.split(".")[0] for o in objectives}) == 5  # one question per domain
