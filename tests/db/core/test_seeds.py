"""Seeds: the spec's counts, consistent achievement↔avatar links, idempotent updates."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Achievement, Avatar, UserAchievement
from seeds.art import asset_path
from seeds.catalog import ACHIEVEMENTS, AVATARS
from seeds.loader import seed_all
from tests.db.factories import make_user

SPEC_CATEGORIES = {
    "Getting Started": 3,
    "Accuracy": 4,
    "Question Milestones": 4,
    "Study Streaks": 4,
    "A+ Core 1": 2,
    "A+ Core 2": 2,
    "Network+": 2,
    "Security+": 2,
    "Levels": 4,
}
SPEC_RARITIES = {"common": 3, "rare": 3, "epic": 7, "legendary": 5}


async def test_seeded_achievements_match_the_spec(session: AsyncSession) -> None:
    rows = (await session.execute(select(Achievement))).scalars().all()
    assert len(rows) == 27
    assert Counter(a.category for a in rows) == SPEC_CATEGORIES
    assert {a.criteria_type for a in rows} == {
        "quiz_completed",
        "perfect_quiz",
        "high_score_quiz",
        "correct_answers",
        "study_streak",
        "level_reached",
        "exam_specific",
    }
    assert any(a.is_hidden for a in rows)
    exam_specific = [a for a in rows if a.criteria_type == "exam_specific"]
    assert Counter(a.exam_type for a in exam_specific) == {
        "a1101": 2,
        "a1102": 2,
        "network": 2,
        "security": 2,
    }
    for a in rows:
        assert a.badge_icon_url and asset_path(a.badge_icon_url).is_file(), a.name


async def test_seeded_avatars_match_the_spec_and_have_images(session: AsyncSession) -> None:
    rows = (await session.execute(select(Avatar))).scalars().all()
    assert len(rows) == 18
    assert Counter(a.rarity for a in rows) == SPEC_RARITIES
    defaults = [a for a in rows if a.is_default]
    assert {a.rarity for a in defaults} == {"common"} and len(defaults) == 3
    for a in rows:
        path = asset_path(a.image_url)
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", a.name


async def test_every_unlockable_avatar_and_its_achievement_point_at_each_other(
    session: AsyncSession,
) -> None:
    avatars = (await session.execute(select(Avatar))).scalars().all()
    achievements = {a.id: a for a in (await session.execute(select(Achievement))).scalars()}
    for avatar in avatars:
        if avatar.is_default:
            assert avatar.required_achievement_id is None
            continue
        achievement = achievements[avatar.required_achievement_id]  # type: ignore[index]
        assert achievement.unlocks_avatar_id == avatar.id, avatar.name
    linked = [a for a in achievements.values() if a.unlocks_avatar_id is not None]
    assert len(linked) == 15


async def _snapshot(session: AsyncSession) -> list[tuple[object, ...]]:
    ach = await session.execute(
        select(
            Achievement.id,
            Achievement.name,
            Achievement.description,
            Achievement.xp_reward,
            Achievement.unlocks_avatar_id,
        ).order_by(Achievement.id)
    )
    av = await session.execute(
        select(Avatar.id, Avatar.name, Avatar.image_url, Avatar.required_achievement_id).order_by(
            Avatar.id
        )
    )
    return [tuple(r) for r in ach] + [tuple(r) for r in av]


async def test_seeding_twice_changes_nothing(session: AsyncSession) -> None:
    before = await _snapshot(session)
    report = await seed_all(session)
    assert (report.achievements, report.avatars) == (len(ACHIEVEMENTS), len(AVATARS))
    assert await _snapshot(session) == before


async def test_reseeding_restores_edited_text_and_keeps_what_users_earned(
    session: AsyncSession,
) -> None:
    user_id = await make_user(session)
    first_steps = (
        await session.execute(select(Achievement).where(Achievement.name == "First Steps"))
    ).scalar_one()
    session.add(UserAchievement(user_id=user_id, achievement_id=first_steps.id))
    await session.execute(
        update(Achievement).where(Achievement.id == first_steps.id).values(description="stale")
    )
    await seed_all(session)
    description = select(Achievement.description).where(Achievement.id == first_steps.id)
    assert (await session.execute(description)).scalar_one() == "Complete your first quiz."
    earned = (
        select(func.count()).select_from(UserAchievement).where(UserAchievement.user_id == user_id)
    )
    assert (await session.execute(earned)).scalar_one() == 1
