"""Achievements on PostgreSQL and SQLite: one stats query, unlocks once, avatars, progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.accounts.service import get_or_create_account
from bot.progression.awards import achievement_progress, award_achievements
from bot.progression.levels import xp_for
from db.models import Achievement, Avatar, UserAchievement, UserProfile
from db.progression.achievements import (
    _catalogs,
    gather_award_inputs,
    gather_stats,
)
from tests.db.factories import make_attempt
from tests.db.progression_helpers import NOW, HookCalls, install_hooks, new_discord_id, play


@pytest.fixture(autouse=True)
def hooks(monkeypatch: pytest.MonkeyPatch) -> HookCalls:
    return install_hooks(monkeypatch)


async def new_user(session: AsyncSession) -> int:
    return (await get_or_create_account(session, new_discord_id(), "Achiever")).user_id


async def profile_xp(session: AsyncSession, user_id: int) -> tuple[int, int]:
    row = (
        await session.execute(
            select(UserProfile.xp, UserProfile.level).where(UserProfile.user_id == user_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def test_all_stats_come_from_one_query(session: AsyncSession, engine: AsyncEngine) -> None:
    user = await new_user(session)
    # completed: a perfect, a 90 %, a 50 % (network); an in-progress one is ignored
    await make_attempt(session, user, total_questions=4, correct_answers=4, score_percentage=100)
    await make_attempt(session, user, total_questions=10, correct_answers=9, score_percentage=90)
    await make_attempt(
        session,
        user,
        exam_type="network",
        total_questions=10,
        correct_answers=5,
        score_percentage=50,
    )
    await make_attempt(session, user, status="in_progress", correct_answers=0, score_percentage=0)
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == user)
        .values(study_streak_current=2, study_streak_longest=6, xp=700, level=4)
    )
    statements: list[str] = []

    def on_execute(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        stats = await gather_stats(session, user)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)
    assert len(statements) == 1
    assert stats is not None
    assert (stats.quizzes_completed, stats.perfect_quizzes, stats.high_score_quizzes) == (3, 1, 2)
    assert stats.correct_answers == 18
    assert (stats.streak_current, stats.streak_longest, stats.xp, stats.level) == (2, 6, 700, 4)
    assert stats.quizzes_by_exam == {
        "a1101": 0, "a1102": 0, "network": 1, "security": 2, "a1201": 0, "a1202": 0
    }  # every exam of the registry, the 220-1201/1202 pair included


async def test_a_user_without_quizzes_has_zero_stats(session: AsyncSession) -> None:
    stats = await gather_stats(session, await new_user(session))
    assert stats is not None and stats.quizzes_completed == 0 and stats.correct_answers == 0
    assert await gather_stats(session, 99_999_999) is None


async def test_unlocking_is_idempotent(session: AsyncSession) -> None:
    user = await new_user(session)
    await play(session, user, [True, False])
    xp_before = await profile_xp(session, user)
    again = await award_achievements(session, user, NOW)
    assert again.achievements == () and again.xp_awarded == 0 and again.avatars == ()
    assert await profile_xp(session, user) == xp_before


async def test_achievement_xp_that_reaches_a_level_unlocks_the_level_achievement(
    session: AsyncSession,
) -> None:
    user = await new_user(session)
    # 1000 XP is level 4 (level 5 starts at 1050). A perfect one-question quiz earns 15 XP:
    # still level 4. First Steps (+25) and Perfectionist (+75) reach level 5, which unlocks
    # Rising Star (+50) in the same finish.
    assert xp_for(5) == 1050
    await session.execute(update(UserProfile).where(UserProfile.user_id == user).values(xp=1000))
    result = await play(session, user, [True])
    assert [a.name for a in result.achievements] == ["First Steps", "Perfectionist", "Rising Star"]
    assert result.xp_gained == 15 + 25 + 75 + 50
    assert (result.old_level, result.new_level, result.level_ups) == (4, 5, (5,))
    assert await profile_xp(session, user) == (1165, 5)


async def test_exam_specific_and_streak_achievements(session: AsyncSession) -> None:
    user = await new_user(session)
    unlocked: list[str] = []
    for day in range(5):
        result = await play(
            session, user, [True, False], exam_type="network", now=NOW + dt.timedelta(days=day)
        )
        unlocked += [a.name for a in result.achievements]
    assert "On a Roll" in unlocked  # 3 days in a row
    assert "Network Apprentice" in unlocked  # 5 Network+ quizzes
    assert "Security Apprentice" not in unlocked


async def test_correct_answer_milestone_unlocks_its_avatar(session: AsyncSession) -> None:
    user = await new_user(session)
    result = await play(session, user, [True] * 50)
    names = [a.name for a in result.achievements]
    assert "Getting the Hang of It" in names
    assert "Router Raccoon" in [a.name for a in result.avatars]
    assert all(a.rarity for a in result.avatars)


async def test_progress_for_display(session: AsyncSession) -> None:
    user = await new_user(session)
    for _ in range(2):
        await play(session, user, [True, False])
    progress = {p.name: p for p in await achievement_progress(session, user)}
    assert len(progress) == 27
    first = progress["First Steps"]
    assert first.earned and first.earned_at is not None and first.shown_current == 1
    warming = progress["Warming Up"]
    assert (warming.earned, warming.current, warming.target) == (False, 2, 5)
    assert warming.unlocks_avatar_name == "Circuit Fox"
    secret = progress["Flawless Streak"]
    assert secret.is_hidden and secret.secret and secret.display_name == "???"
    # order follows display_order
    orders = [p.display_order for p in progress.values()]
    assert orders == sorted(orders)


async def test_a_hidden_achievement_is_revealed_once_earned(session: AsyncSession) -> None:
    user = await new_user(session)
    hidden_id = await session.scalar(
        select(Achievement.id).where(Achievement.name == "Grandmaster")
    )
    session.add(UserAchievement(user_id=user, achievement_id=hidden_id, earned_at=NOW))
    await session.flush()
    grandmaster = next(
        p for p in await achievement_progress(session, user) if p.name == "Grandmaster"
    )
    assert grandmaster.earned and not grandmaster.secret
    assert grandmaster.display_name == "Grandmaster"


async def add_achievement(session: AsyncSession, name: str, xp: int) -> None:
    """A catalog edit inside the test's transaction: an achievement every finisher has earned
    (one completed quiz), unlocking a new avatar."""
    avatar = Avatar(name=f"{name} avatar", image_url="avatars/x.png", rarity="rare")
    session.add(avatar)
    await session.flush()
    session.add(
        Achievement(
            name=name,
            description="x",
            criteria_type="quiz_completed",
            criteria_value=1,
            xp_reward=xp,
            unlocks_avatar_id=avatar.id,
            display_order=999,
        )
    )
    await session.flush()


async def test_the_cached_catalog_follows_every_change_of_the_tables(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    """The catalog is cached per engine (PostgreSQL), but only used while the checksum that the
    stats statement returns matches it: an achievement added in this transaction is awarded at
    once, and once that is rolled back it is never offered again."""
    user = await new_user(session)
    await play(session, user, [True])  # warms the cache with the seeded catalog
    seeded = await gather_award_inputs(session, user)
    assert seeded is not None
    again = await gather_award_inputs(session, user)
    assert again is not None
    if engine.dialect.name == "postgresql":
        assert again.catalog is seeded.catalog  # cached: no catalog read
        assert _catalogs[engine.sync_engine] is seeded.catalog
    else:
        assert seeded.catalog.checksum is None  # SQLite reads it every time

    savepoint = await session.begin_nested()
    await add_achievement(session, "Catalog Edit", 11)
    edited = await play(session, user, [True])
    assert [a.name for a in edited.achievements] == ["Catalog Edit"]
    assert [a.name for a in edited.avatars] == ["Catalog Edit avatar"]
    assert edited.achievement_xp == 11
    await savepoint.rollback()

    other = await new_user(session)
    result = await play(session, other, [True, False])  # a stale catalog: FK error here
    assert [a.name for a in result.achievements] == ["First Steps"]
    inputs = await gather_award_inputs(session, other)
    assert inputs is not None
    assert [d.name for d in inputs.catalog.definitions] == [
        d.name for d in seeded.catalog.definitions
    ]
    assert "Catalog Edit" not in {d.name for d in inputs.catalog.definitions}


async def test_an_edited_achievement_is_read_again(session: AsyncSession) -> None:
    user = await new_user(session)
    await play(session, user, [True, False])  # caches the catalog (PostgreSQL)
    await session.execute(
        update(Achievement).where(Achievement.name == "Perfectionist").values(xp_reward=1)
    )
    result = await play(session, user, [True])
    assert [(a.name, a.xp_reward) for a in result.achievements] == [("Perfectionist", 1)]
    assert result.achievement_xp == 1
