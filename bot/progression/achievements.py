"""Achievement rules: pure, no I/O (documented in docs/progression.md).

``db/progression/achievements.py`` gathers a user's :class:`UserStats` in one query; everything
here is
plain Python over it. The seven criteria types of the schema:

=================  ==========================================================
``quiz_completed``   completed quizzes
``perfect_quiz``     completed quizzes with every question right
``high_score_quiz``  completed quizzes scoring 90 % or more
``correct_answers``  correct answers over all completed quizzes
``study_streak``     best streak reached (current or longest)
``level_reached``    current level
``exam_specific``    completed quizzes of ``achievements.exam_type``
=================  ==========================================================

Achievement XP can raise the level, which can satisfy a ``level_reached`` achievement, so
:func:`evaluate` iterates to a fixed point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from bot.progression.levels import level_for
from db.progression.records import (
    AchievementDef as AchievementDef,
)
from db.progression.records import (
    UnlockedAchievement as UnlockedAchievement,
)
from db.progression.records import (
    UnlockedAvatar as UnlockedAvatar,
)
from db.progression.records import (
    UserStats as UserStats,
)

# what a hidden ("secret") achievement shows until earned: display text, not credentials
SECRET_NAME = "???"  # noqa: S105
SECRET_DESCRIPTION = "Secret achievement: keep studying to reveal it."  # noqa: S105


def _streak(s: UserStats) -> int:
    return max(s.streak_current, s.streak_longest)


_MEASURES: dict[str, Callable[[UserStats], int]] = {
    "quiz_completed": lambda s: s.quizzes_completed,
    "perfect_quiz": lambda s: s.perfect_quizzes,
    "high_score_quiz": lambda s: s.high_score_quizzes,
    "correct_answers": lambda s: s.correct_answers,
    "study_streak": _streak,
    "level_reached": lambda s: s.level,
}


def current_value(achievement: AchievementDef, stats: UserStats) -> int:
    """The user's progress towards ``achievement`` (may exceed the target); 0 if unknown type."""
    if achievement.criteria_type == "exam_specific":
        if achievement.exam_type is None:
            return 0
        return int(stats.quizzes_by_exam.get(achievement.exam_type, 0))
    measure = _MEASURES.get(achievement.criteria_type)
    return measure(stats) if measure else 0


def is_met(achievement: AchievementDef, stats: UserStats) -> bool:
    return current_value(achievement, stats) >= achievement.criteria_value


def newly_met(
    achievements: Iterable[AchievementDef], stats: UserStats, earned_ids: Collection[int]
) -> list[AchievementDef]:
    """Achievements met by ``stats`` and not yet earned, in display order."""
    met = [a for a in achievements if a.id not in earned_ids and is_met(a, stats)]
    return sorted(met, key=lambda a: (a.display_order, a.id))


def evaluate(
    achievements: Sequence[AchievementDef], stats: UserStats, earned_ids: Collection[int]
) -> list[AchievementDef]:
    """Every achievement earned now, including those only reachable through others' XP.

    Rewards raise ``stats.xp`` and so the level; the loop ends when a round earns nothing
    (at most one round per achievement).
    """
    earned = set(earned_ids)
    result: list[AchievementDef] = []
    while True:
        batch = newly_met(achievements, stats, earned)
        if not batch:
            return result
        result.extend(batch)
        earned.update(a.id for a in batch)
        xp = stats.xp + sum(a.xp_reward for a in batch)
        stats = replace(stats, xp=xp, level=max(stats.level, level_for(xp)))


@dataclass(frozen=True, slots=True)
class AchievementProgress:
    """One achievement as ``/achievements`` shows it.

    ``secret`` is True for a hidden achievement not yet earned: show it as a secret (use
    ``display_name`` / ``display_description``) and without its progress numbers.
    """

    id: int
    name: str
    description: str
    category: str | None
    criteria_type: str
    xp_reward: int
    is_hidden: bool
    earned: bool
    earned_at: dt.datetime | None
    current: int
    target: int
    unlocks_avatar_id: int | None = None
    unlocks_avatar_name: str | None = None
    display_order: int = 0

    @property
    def secret(self) -> bool:
        return self.is_hidden and not self.earned

    @property
    def display_name(self) -> str:
        return SECRET_NAME if self.secret else self.name

    @property
    def display_description(self) -> str:
        return SECRET_DESCRIPTION if self.secret else self.description

    @property
    def shown_current(self) -> int:
        """Progress capped at the target (``7/10``; an earned one shows ``10/10``)."""
        return self.target if self.earned else min(self.current, self.target)

    @property
    def fraction(self) -> float:
        return self.shown_current / self.target if self.target > 0 else 1.0


def progress_for(
    achievement: AchievementDef,
    stats: UserStats,
    earned_at: dt.datetime | None,
    avatar_name: str | None = None,
) -> AchievementProgress:
    return AchievementProgress(
        id=achievement.id,
        name=achievement.name,
        description=achievement.description,
        category=achievement.category,
        criteria_type=achievement.criteria_type,
        xp_reward=achievement.xp_reward,
        is_hidden=achievement.is_hidden,
        earned=earned_at is not None,
        earned_at=earned_at,
        current=current_value(achievement, stats),
        target=achievement.criteria_value,
        unlocks_avatar_id=achievement.unlocks_avatar_id,
        unlocks_avatar_name=avatar_name,
        display_order=achievement.display_order,
    )


def unlocked(achievement: AchievementDef) -> UnlockedAchievement:
    return UnlockedAchievement(
        id=achievement.id,
        name=achievement.name,
        description=achievement.description,
        category=achievement.category,
        xp_reward=achievement.xp_reward,
        is_hidden=achievement.is_hidden,
        unlocks_avatar_id=achievement.unlocks_avatar_id,
    )
