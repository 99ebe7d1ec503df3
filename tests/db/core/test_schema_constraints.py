"""The database itself rejects every row the spec forbids (PostgreSQL and SQLite)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Achievement, Avatar, UserAchievement, UserAvatar
from tests.db.factories import make_answer, make_attempt, make_question, make_user


async def rejected(session: AsyncSession, action: Callable[[], Awaitable[Any]]) -> None:
    """``action`` must fail with an IntegrityError raised by the database; nothing is kept."""
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await action()


async def accepted(session: AsyncSession, action: Callable[[], Awaitable[Any]]) -> None:
    async with session.begin_nested():
        await action()


ATTEMPT_VIOLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("total_questions > 0", {"total_questions": 0}),
    ("correct_answers >= 0", {"correct_answers": -1}),
    ("correct_answers <= total_questions", {"total_questions": 3, "correct_answers": 4}),
    ("score_percentage >= 0", {"score_percentage": -0.5}),
    ("score_percentage <= 100", {"score_percentage": 100.5}),
    ("time_taken_seconds >= 0", {"time_taken_seconds": -1}),
    ("xp_earned >= 0", {"xp_earned": -5}),
    ("exam_type NOT NULL", {"exam_type": None}),
    ("total_questions NOT NULL", {"total_questions": None}),
    ("correct_answers NOT NULL", {"correct_answers": None}),
    ("score_percentage NOT NULL", {"score_percentage": None}),
]


@pytest.mark.parametrize(
    ("rule", "bad"), ATTEMPT_VIOLATIONS, ids=[r for r, _ in ATTEMPT_VIOLATIONS]
)
async def test_quiz_attempt_rules_are_enforced(
    session: AsyncSession, rule: str, bad: dict[str, Any]
) -> None:
    user_id = await make_user(session)
    await accepted(session, lambda: make_attempt(session, user_id))
    await rejected(session, lambda: make_attempt(session, user_id, **bad))


ANSWER_VIOLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("user_answer in A-D", {"user_answer": "E"}),
    ("user_answer is one letter", {"user_answer": "a"}),
    ("correct_answer in A-D", {"correct_answer": "X"}),
    ("time_spent_seconds >= 0", {"time_spent_seconds": -3}),
    ("user_answer NOT NULL", {"user_answer": None}),
    ("correct_answer NOT NULL", {"correct_answer": None}),
    ("is_correct NOT NULL", {"is_correct": None}),
]


@pytest.mark.parametrize(("rule", "bad"), ANSWER_VIOLATIONS, ids=[r for r, _ in ANSWER_VIOLATIONS])
async def test_user_answer_rules_are_enforced(
    session: AsyncSession, rule: str, bad: dict[str, Any]
) -> None:
    user_id = await make_user(session)
    attempt_id = await make_attempt(session, user_id)
    q1, q2 = await make_question(session), await make_question(session)
    await accepted(session, lambda: make_answer(session, user_id, attempt_id, q1))
    await rejected(session, lambda: make_answer(session, user_id, attempt_id, q2, **bad))


async def test_an_attempt_answers_each_question_once(session: AsyncSession) -> None:
    user_id = await make_user(session)
    attempt_id = await make_attempt(session, user_id)
    q = await make_question(session)
    await accepted(session, lambda: make_answer(session, user_id, attempt_id, q))
    await rejected(session, lambda: make_answer(session, user_id, attempt_id, q, user_answer="B"))


async def test_users_email_and_username_are_unique_and_required(session: AsyncSession) -> None:
    await make_user(session, email="dup@example.test", username="dup")
    await rejected(session, lambda: make_user(session, email="dup@example.test"))
    await rejected(session, lambda: make_user(session, username="dup"))
    await rejected(session, lambda: make_user(session, email=None))
    await rejected(session, lambda: make_user(session, username=None))
    await rejected(session, lambda: make_user(session, hashed_password=None))


async def test_a_discord_account_maps_to_one_user(session: AsyncSession) -> None:
    await make_user(session, discord_id=2**62 + 1)
    await rejected(session, lambda: make_user(session, discord_id=2**62 + 1))


async def test_questions_require_text_key_and_options(session: AsyncSession) -> None:
    await rejected(session, lambda: make_question(session, question_text=None))
    await rejected(session, lambda: make_question(session, correct_answer=None))
    await rejected(session, lambda: make_question(session, correct_answer="E"))
    await rejected(session, lambda: make_question(session, options=None))
    await make_question(session, exam_type="network", question_id="SAME-1")
    await rejected(
        session, lambda: make_question(session, exam_type="network", question_id="SAME-1")
    )
    # the same external id in another exam is a different question
    await accepted(session, lambda: make_question(session, exam_type="a1101", question_id="SAME-1"))


def _achievement(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Test Achievement",
        "description": "For testing.",
        "criteria_type": "quiz_completed",
        "criteria_value": 1,
        **overrides,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"criteria_value": 0},
        {"xp_reward": -1},
        {"criteria_type": "made_up"},
        {"name": None},
        {"description": None},
        {"criteria_type": None},
        {"criteria_value": None},
        {"name": "First Steps"},  # unique: the seed already has it
    ],
    ids=lambda b: ",".join(f"{k}={v}" for k, v in b.items()),
)
async def test_achievement_rules_are_enforced(session: AsyncSession, bad: dict[str, Any]) -> None:
    await rejected(
        session, lambda: session.execute(insert(Achievement).values(_achievement(**bad)))
    )


@pytest.mark.parametrize(
    "bad",
    [{"name": None}, {"image_url": None}, {"name": "Rookie Tech"}, {"rarity": "mythic"}],
    ids=lambda b: ",".join(f"{k}={v}" for k, v in b.items()),
)
async def test_avatar_rules_are_enforced(session: AsyncSession, bad: dict[str, Any]) -> None:
    values = {"name": "Test Avatar", "image_url": "avatars/test.png", **bad}
    await rejected(session, lambda: session.execute(insert(Avatar).values(values)))


async def test_an_achievement_or_avatar_is_earned_once(session: AsyncSession) -> None:
    user_id = await make_user(session)
    achievement_id = (await session.execute(select(Achievement.id).limit(1))).scalar_one()
    avatar_id = (await session.execute(select(Avatar.id).limit(1))).scalar_one()
    earn = insert(UserAchievement).values(user_id=user_id, achievement_id=achievement_id)
    unlock = insert(UserAvatar).values(user_id=user_id, avatar_id=avatar_id)
    await accepted(session, lambda: session.execute(earn))
    await rejected(session, lambda: session.execute(earn))
    await accepted(session, lambda: session.execute(unlock))
    await rejected(session, lambda: session.execute(unlock))


async def test_profile_xp_and_level_are_required(session: AsyncSession) -> None:
    from db.models import User, UserProfile

    async def profile(**values: Any) -> None:
        n = await session.execute(
            insert(User)
            .values(email=f"p{id(values)}@x.test", username=f"p{id(values)}", hashed_password="!")
            .returning(User.id)
        )
        await session.execute(insert(UserProfile).values(user_id=n.scalar_one(), **values))

    await accepted(session, lambda: profile())
    await rejected(session, lambda: profile(xp=None))
    await rejected(session, lambda: profile(level=None))
    await rejected(session, lambda: profile(remind_hour=24))
