"""/quiz start mode:review: a group quiz of the questions this server's players missed most in
the last 30 days, and a clear answer when there is too little to review (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import NotFound
from bot.quiz import service as svc
from db.quiz import sessions as q
from db.quiz.models import QuizSession
from tests.db.factories import make_answer, make_attempt, make_user

NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
GUILD, OTHER_GUILD = 444_000_000_000_000_001, 444_000_000_000_000_002


async def miss(
    session: AsyncSession, user: int, guild: int, qid: int, *, days_ago: float = 1
) -> None:
    attempt = await make_attempt(session, user, exam_type="network", guild_id=guild)
    when = NOW - dt.timedelta(days=days_ago)
    await make_answer(
        session, user, attempt, qid, user_answer="B", is_correct=False, answered_at=when
    )


async def start_review(session: AsyncSession, count: int = 5) -> svc.QuestionView:
    return await svc.start_quiz(
        session,
        host_discord_id=900_555,
        host_name="host",
        guild_id=GUILD,
        channel_id=555_000_000_000_000_005,
        exam_type="network",
        objective=None,
        count=count,
        seconds=30,
        mode="review",
        now=NOW,
    )


async def test_a_group_review_asks_what_this_server_missed_most_first(
    session: AsyncSession,
) -> None:
    pool = [qid for qid, _ in await q.candidates(session, "network", None)][:8]
    ann, ben, cat = [await make_user(session) for _ in range(3)]
    for n, qid in enumerate(pool[:6]):
        for user in (ann, ben, cat)[: 3 - n // 2]:  # pool[0..1] missed 3 times, [2..3] 2, …
            await miss(session, user, GUILD, qid, days_ago=1 + n)
    await miss(session, ann, GUILD, pool[6], days_ago=45)  # too long ago
    for _ in range(4):  # another server's misses do not count here
        await miss(session, await make_user(session), OTHER_GUILD, pool[7])

    view = await start_review(session)
    row = await session.get(QuizSession, view.session_id)
    assert row is not None and row.mode == "group"
    assert row.question_ids[:4] == [pool[0], pool[1], pool[2], pool[3]]
    assert set(row.question_ids) == set(pool[:5])  # the five most missed, recent first on ties
    assert pool[6] not in row.question_ids and pool[7] not in row.question_ids


async def test_without_enough_misses_the_review_says_so_and_offers_a_normal_quiz(
    session: AsyncSession,
) -> None:
    pool = [qid for qid, _ in await q.candidates(session, "network", None)][:2]
    user = await make_user(session)
    for qid in pool:
        await miss(session, user, GUILD, qid)
    with pytest.raises(NotFound) as refused:
        await start_review(session)
    text = refused.value.user_message
    assert "2 question(s) missed in the last 30 days, a review needs 5" in text
    assert "`/quiz start exam:Network+ (N10-009)`" in text
