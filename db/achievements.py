"""Achievement and avatar queries, and the award step shared by quiz finish and account merge.

``gather_stats`` is the one query behind every criterion; the rules themselves are pure
(``bot/achievements.py``). Unlocks are idempotent through the composite primary keys
(``INSERT … ON CONFLICT DO NOTHING RETURNING``): only rows actually inserted award XP.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.achievements import (
    HIGH_SCORE_PERCENT,
    AchievementDef,
    AchievementProgress,
    UnlockedAchievement,
    UnlockedAvatar,
    UserStats,
    evaluate,
    progress_for,
    unlocked,
)
from bot.progression import level_for
from db.accounts import add_xp, as_aware, to_utc
from db.dialect import insert
from db.models import (
    EXAM_TYPES,
    Achievement,
    Avatar,
    QuizAttempt,
    UserAchievement,
    UserAvatar,
    UserProfile,
)

log = logging.getLogger(__name__)

COMPLETED = "completed"


async def load_definitions(session: AsyncSession) -> list[AchievementDef]:
    stmt = select(Achievement).order_by(Achievement.display_order, Achievement.id)
    return [
        AchievementDef(
            id=a.id,
            name=a.name,
            description=a.description,
            criteria_type=a.criteria_type,
            criteria_value=a.criteria_value,
            xp_reward=a.xp_reward or 0,
            unlocks_avatar_id=a.unlocks_avatar_id,
            is_hidden=bool(a.is_hidden),
            exam_type=a.exam_type,
            category=a.category,
            display_order=a.display_order or 0,
        )
        for a in await session.scalars(stmt)
    ]


async def gather_stats(
    session: AsyncSession, user_id: int, exam_types: Iterable[str] = EXAM_TYPES
) -> UserStats | None:
    """All criteria inputs of one user in ONE query (None if the user has no profile).

    Quiz counts cover completed attempts only; ``correct_answers`` is the sum over them.
    """
    exams = sorted(set(exam_types))
    qa = QuizAttempt
    p = UserProfile
    per_exam = [
        func.coalesce(func.sum(case((qa.exam_type == e, 1), else_=0)), 0).label(f"exam_{i}")
        for i, e in enumerate(exams)
    ]
    stmt = (
        select(
            p.xp,
            p.level,
            p.study_streak_current,
            p.study_streak_longest,
            func.count(qa.id),
            func.coalesce(
                func.sum(case((qa.correct_answers == qa.total_questions, 1), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((qa.score_percentage >= HIGH_SCORE_PERCENT, 1), else_=0)), 0
            ),
            func.coalesce(func.sum(qa.correct_answers), 0),
            *per_exam,
        )
        .select_from(p)
        .outerjoin(qa, and_(qa.user_id == p.user_id, qa.status == COMPLETED))
        .where(p.user_id == user_id)
        .group_by(p.user_id, p.xp, p.level, p.study_streak_current, p.study_streak_longest)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    xp, level, cur, longest, quizzes, perfect, high, correct = row[:8]
    return UserStats(
        quizzes_completed=int(quizzes),
        perfect_quizzes=int(perfect),
        high_score_quizzes=int(high),
        correct_answers=int(correct),
        streak_current=int(cur or 0),
        streak_longest=int(longest or 0),
        level=int(level or 1),
        xp=int(xp or 0),
        quizzes_by_exam={e: int(n) for e, n in zip(exams, row[8:], strict=True)},
    )


async def earned_achievements(session: AsyncSession, user_id: int) -> dict[int, dt.datetime]:
    stmt = select(UserAchievement.achievement_id, UserAchievement.earned_at).where(
        UserAchievement.user_id == user_id
    )
    result: dict[int, dt.datetime] = {}
    for aid, earned_at in await session.execute(stmt):
        result[int(aid)] = as_aware(earned_at) or dt.datetime.min.replace(tzinfo=dt.UTC)
    return result


async def insert_user_achievements(
    session: AsyncSession, user_id: int, achievement_ids: Sequence[int], now: dt.datetime
) -> set[int]:
    """Unlock; returns the ids actually inserted (already-earned ones are skipped)."""
    if not achievement_ids:
        return set()
    when = to_utc(now)
    stmt = (
        insert(session, UserAchievement)
        .values(
            [{"user_id": user_id, "achievement_id": a, "earned_at": when} for a in achievement_ids]
        )
        .on_conflict_do_nothing(index_elements=["user_id", "achievement_id"])
        .returning(UserAchievement.achievement_id)
    )
    return {int(a) for a in (await session.scalars(stmt)).all()}


async def insert_user_avatars(
    session: AsyncSession, user_id: int, avatar_ids: Sequence[int], now: dt.datetime
) -> list[UnlockedAvatar]:
    """Unlock avatars; returns those actually new for the user, in display order."""
    ids = sorted(set(avatar_ids))
    if not ids:
        return []
    when = to_utc(now)
    stmt = (
        insert(session, UserAvatar)
        .values([{"user_id": user_id, "avatar_id": a, "unlocked_at": when} for a in ids])
        .on_conflict_do_nothing(index_elements=["user_id", "avatar_id"])
        .returning(UserAvatar.avatar_id)
    )
    new_ids = {int(a) for a in (await session.scalars(stmt)).all()}
    if not new_ids:
        return []
    rows = await session.execute(
        select(Avatar.id, Avatar.name, Avatar.rarity, Avatar.image_url, Avatar.description)
        .where(Avatar.id.in_(new_ids))
        .order_by(Avatar.display_order, Avatar.id)
    )
    return [UnlockedAvatar(int(i), str(n), r, str(u), d) for i, n, r, u, d in rows]


@dataclass(frozen=True, slots=True)
class Awarded:
    """What one award step unlocked, and the profile's XP afterwards."""

    achievements: tuple[UnlockedAchievement, ...]
    avatars: tuple[UnlockedAvatar, ...]
    xp_awarded: int
    total_xp: int


async def award_achievements(session: AsyncSession, user_id: int, now: dt.datetime) -> Awarded:
    """Evaluate every achievement to a fixed point and unlock what is now earned.

    Call with the profile row locked (quiz finish, merge). Stats come from one query; their
    level is recomputed from XP (the stored level may not be updated yet). The caller stores
    the final level.
    """
    definitions = await load_definitions(session)
    exam_types = set(EXAM_TYPES) | {d.exam_type for d in definitions if d.exam_type}
    stats = await gather_stats(session, user_id, exam_types)
    if stats is None:
        return Awarded((), (), 0, 0)
    stats = replace(stats, level=level_for(stats.xp))
    earned = await earned_achievements(session, user_id)
    candidates = evaluate(definitions, stats, earned.keys())
    inserted = await insert_user_achievements(session, user_id, [a.id for a in candidates], now)
    new = [a for a in candidates if a.id in inserted]
    gain = sum(a.xp_reward for a in new)
    total = await add_xp(session, user_id, gain) if gain else stats.xp
    avatars = await insert_user_avatars(
        session, user_id, [a.unlocks_avatar_id for a in new if a.unlocks_avatar_id], now
    )
    if new:
        log.info("user %s unlocked %s", user_id, ", ".join(a.name for a in new))
    return Awarded(tuple(unlocked(a) for a in new), tuple(avatars), gain, total)


async def achievement_progress(session: AsyncSession, user_id: int) -> list[AchievementProgress]:
    """Every achievement with the user's progress, in display order."""
    definitions = await load_definitions(session)
    exam_types = set(EXAM_TYPES) | {d.exam_type for d in definitions if d.exam_type}
    stats = await gather_stats(session, user_id, exam_types) or UserStats()
    earned = await earned_achievements(session, user_id)
    avatar_names = dict(
        (int(i), str(n)) for i, n in await session.execute(select(Avatar.id, Avatar.name))
    )
    return [
        progress_for(
            d,
            stats,
            earned.get(d.id),
            avatar_names.get(d.unlocks_avatar_id) if d.unlocks_avatar_id else None,
        )
        for d in definitions
    ]
