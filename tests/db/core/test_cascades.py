"""Deleting follows the spec's ON DELETE rules."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Achievement,
    Avatar,
    Question,
    QuizAttempt,
    User,
    UserAchievement,
    UserAnswer,
    UserAvatar,
    UserProfile,
)
from tests.db.factories import make_answer, make_attempt, make_question, make_user


async def count(session: AsyncSession, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return int((await session.execute(stmt)).scalar_one())


async def test_deleting_a_user_removes_everything_they_own(session: AsyncSession) -> None:
    user_id = await make_user(session)
    other_id = await make_user(session)
    attempt_id = await make_attempt(session, user_id)
    q = await make_question(session)
    await make_answer(session, user_id, attempt_id, q)
    other_attempt = await make_attempt(session, other_id)
    await make_answer(session, other_id, other_attempt, q)
    achievement_id = (await session.execute(select(Achievement.id).limit(1))).scalar_one()
    avatar_id = (await session.execute(select(Avatar.id).limit(1))).scalar_one()
    session.add_all(
        [
            UserAchievement(user_id=user_id, achievement_id=achievement_id),
            UserAvatar(user_id=user_id, avatar_id=avatar_id),
        ]
    )
    await session.flush()

    await session.execute(delete(User).where(User.id == user_id))

    for model in (UserProfile, QuizAttempt, UserAnswer, UserAchievement, UserAvatar):
        assert await count(session, model, user_id=user_id) == 0, model.__name__
    # the other user's history is untouched
    assert await count(session, UserAnswer, user_id=other_id) == 1
    assert await count(session, QuizAttempt, user_id=other_id) == 1


async def test_deleting_an_attempt_removes_its_answers(session: AsyncSession) -> None:
    user_id = await make_user(session)
    attempt_id = await make_attempt(session, user_id)
    await make_answer(session, user_id, attempt_id, await make_question(session))
    await session.execute(delete(QuizAttempt).where(QuizAttempt.id == attempt_id))
    assert await count(session, UserAnswer, quiz_attempt_id=attempt_id) == 0


async def test_deleting_a_question_keeps_the_answers_that_used_it(session: AsyncSession) -> None:
    user_id = await make_user(session)
    attempt_id = await make_attempt(session, user_id)
    q = await make_question(session)
    answer_id = await make_answer(
        session, user_id, attempt_id, q, user_answer="C", is_correct=False
    )

    await session.execute(delete(Question).where(Question.id == q))

    answer = (
        await session.execute(select(UserAnswer).where(UserAnswer.id == answer_id))
    ).scalar_one()
    assert answer.question_id is None
    assert (answer.user_answer, answer.correct_answer, answer.is_correct) == ("C", "A", False)


async def test_deleting_an_avatar_unequips_it_and_unlinks_its_achievement(
    session: AsyncSession,
) -> None:
    user_id = await make_user(session)
    avatar = Avatar(name="Doomed", image_url="avatars/doomed.png", rarity="rare")
    session.add(avatar)
    await session.flush()
    ach = Achievement(
        name="Doomed link",
        description="x",
        criteria_type="quiz_completed",
        criteria_value=1,
        unlocks_avatar_id=avatar.id,
    )
    session.add(ach)
    session.add(UserAvatar(user_id=user_id, avatar_id=avatar.id))
    await session.flush()
    profile = await session.get(UserProfile, user_id)
    assert profile is not None
    profile.selected_avatar_id = avatar.id
    await session.flush()

    avatar_id, achievement_id = avatar.id, ach.id
    await session.execute(delete(Avatar).where(Avatar.id == avatar_id))

    selected = select(UserProfile.selected_avatar_id).where(UserProfile.user_id == user_id)
    unlocks = select(Achievement.unlocks_avatar_id).where(Achievement.id == achievement_id)
    assert (await session.execute(selected)).scalar_one() is None
    assert (await session.execute(unlocks)).scalar_one() is None
    assert await count(session, UserAvatar, avatar_id=avatar_id) == 0
