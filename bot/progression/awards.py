"""Awarding achievements: the rules (``bot.progression.achievements``) over what
``db.progression.achievements`` reads, and the unlocks it writes. Flush at most, never commit."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.progression.achievements import (
    AchievementProgress,
    UnlockedAchievement,
    UnlockedAvatar,
    UserStats,
    evaluate,
    progress_for,
    unlocked,
)
from bot.progression.levels import level_for
from db.accounts.queries import add_xp
from db.progression.achievements import (
    AwardInputs,
    earned_achievements,
    gather_award_inputs,
    insert_user_achievements,
    insert_user_avatars,
    read_catalog,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Awarded:
    """What one award step unlocked, and the profile's XP afterwards."""

    achievements: tuple[UnlockedAchievement, ...]
    avatars: tuple[UnlockedAvatar, ...]
    xp_awarded: int
    total_xp: int


async def unlock_earned(
    session: AsyncSession, user_id: int, now: dt.datetime, inputs: AwardInputs
) -> Awarded:
    """Evaluate every achievement to a fixed point over ``inputs`` and unlock what is earned:
    achievements and their avatars are inserted; the profile's XP is NOT changed (the caller
    adds ``xp_awarded``). ``total_xp`` is ``inputs.stats.xp + xp_awarded``.

    Call with the profile row locked. The stats' level is recomputed from their XP.
    """
    stats = replace(inputs.stats, level=level_for(inputs.stats.xp))
    candidates = evaluate(inputs.catalog.definitions, stats, inputs.earned)
    inserted = await insert_user_achievements(session, user_id, [a.id for a in candidates], now)
    new = [a for a in candidates if a.id in inserted]
    gain = sum(a.xp_reward for a in new)
    avatars = await insert_user_avatars(
        session,
        user_id,
        [a.unlocks_avatar_id for a in new if a.unlocks_avatar_id],
        now,
        inputs.catalog,
    )
    if new:
        log.info(
            "achievements unlocked",
            extra={"user_id": user_id, "achievements": ", ".join(a.name for a in new)},
        )
    return Awarded(tuple(unlocked(a) for a in new), tuple(avatars), gain, stats.xp + gain)


async def award_achievements(session: AsyncSession, user_id: int, now: dt.datetime) -> Awarded:
    """Evaluate every achievement to a fixed point and unlock what is now earned.

    Call with the profile row locked (account merge). Stats come from one query; their
    level is recomputed from XP (the stored level may not be updated yet). The achievement XP
    is added to the profile here; the caller stores the final level.
    """
    inputs = await gather_award_inputs(session, user_id)
    if inputs is None:
        return Awarded((), (), 0, 0)
    awarded = await unlock_earned(session, user_id, now, inputs)
    if not awarded.xp_awarded:
        return awarded
    total = await add_xp(session, user_id, awarded.xp_awarded)
    return replace(awarded, total_xp=total)


async def achievement_progress(session: AsyncSession, user_id: int) -> list[AchievementProgress]:
    """Every achievement with the user's progress, in display order."""
    inputs = await gather_award_inputs(session, user_id)
    if inputs is None:
        catalog, stats = await read_catalog(session), UserStats()
    else:
        catalog, stats = inputs.catalog, inputs.stats
    earned = await earned_achievements(session, user_id)
    return [
        progress_for(
            d,
            stats,
            earned.get(d.id),
            catalog.avatars[d.unlocks_avatar_id][0].name
            if d.unlocks_avatar_id is not None and d.unlocks_avatar_id in catalog.avatars
            else None,
        )
        for d in catalog.definitions
    ]
