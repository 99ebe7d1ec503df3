"""The review deck on both databases: a finished quiz's answers become cards in the finish's
unit of work, and /review plans the member's due cards first, then new questions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.errors import NotFound
from bot.core.events import FinalAnswer
from bot.core.hooks import hooks
from bot.review import service as svc
from db.quiz import sessions as q
from db.review.models import ReviewCard

NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
FRANK = 900_901


async def member(session: AsyncSession, discord_id: int = FRANK) -> int:
    return (await get_or_create_account(session, discord_id, "frank")).user_id


async def answer_all(
    session: AsyncSession, user_id: int, results: dict[int, bool], at: dt.datetime
) -> None:
    answers = [
        FinalAnswer(user_id, qid, "network", None, correct, at) for qid, correct in results.items()
    ]
    await svc.record_final_answers(session, answers, at)


async def test_final_answers_become_cards_and_a_miss_is_due_first(session: AsyncSession) -> None:
    user = await member(session)
    pool = [qid for qid, _ in await q.candidates(session, "network", "1.1")][:3]
    await answer_all(session, user, {pool[0]: False, pool[1]: True, pool[2]: True}, NOW)
    cards = {
        c.question_id: c
        for c in (await session.execute(select(ReviewCard).where(ReviewCard.user_id == user)))
        .scalars()
        .all()
    }
    assert set(cards) == set(pool)
    assert cards[pool[0]].due < cards[pool[1]].due and cards[pool[0]].lapses == 1
    # the same finish seen again changes nothing
    before = {qid: c.due for qid, c in cards.items()}
    await answer_all(session, user, {pool[0]: True}, NOW)
    session.expire_all()
    again = await session.get(ReviewCard, (user, pool[0]))
    assert again is not None and again.due == before[pool[0]] and again.reps == 1


async def test_review_plans_due_cards_most_overdue_first_then_new_from_weak_objectives(
    session: AsyncSession,
) -> None:
    user = await member(session, FRANK + 1)
    pool = [qid for qid, _ in await q.candidates(session, "network", "1.1")][:3]
    await answer_all(session, user, {pool[0]: False}, NOW - dt.timedelta(days=3))
    await answer_all(session, user, {pool[1]: False}, NOW - dt.timedelta(days=2))
    await answer_all(session, user, {pool[2]: True}, NOW - dt.timedelta(days=1))  # 2-day card

    plan = await svc.plan_review(
        session, discord_id=FRANK + 1, display_name="frank", exam_type=None, count=5, now=NOW
    )
    assert plan.exam_type == "network"
    assert plan.due_ids == (pool[0], pool[1])  # most overdue first; the known card is not due
    assert (plan.due_today, plan.due_tomorrow) == (2, 1)
    assert not set(plan.new_ids) & set(pool) and "2 due card(s)" in plan.intro


async def test_review_with_an_empty_deck_says_what_to_do(session: AsyncSession) -> None:
    await member(session, FRANK + 2)
    with pytest.raises(NotFound, match="/quiz start"):
        await svc.plan_review(
            session, discord_id=FRANK + 2, display_name="f", exam_type=None, count=5, now=NOW
        )


async def test_merging_two_accounts_merges_their_decks(session: AsyncSession) -> None:
    """Linking a Discord account to a web account that studied too: the deck is one."""
    web, discord_only = await member(session, FRANK + 3), await member(session, FRANK + 4)
    pool = [qid for qid, _ in await q.candidates(session, "network", "1.1")][:3]
    await answer_all(session, web, {pool[0]: True}, NOW)
    await answer_all(session, discord_only, {pool[0]: False, pool[1]: False}, NOW)

    await hooks.users_merged(session, discord_only, web)  # as linking does, before the delete

    rows = await session.execute(
        select(ReviewCard.question_id, ReviewCard.last_correct).where(ReviewCard.user_id == web)
    )
    assert {q: ok for q, ok in rows} == {pool[0]: True, pool[1]: False}  # theirs kept on pool[0]
