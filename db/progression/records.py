"""Row-shaped records of progression (achievements, avatars, streaks).

The database reads and writes them; the rules in ``bot.progression`` compute with them. They
live here so ``db`` needs nothing from ``bot``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

StreakOutcome = Literal["started", "same_day", "extended", "reset"]


@dataclass(frozen=True, slots=True)
class UserStats:
    """Everything the criteria look at, for one user."""

    quizzes_completed: int = 0
    perfect_quizzes: int = 0
    high_score_quizzes: int = 0
    correct_answers: int = 0
    streak_current: int = 0
    streak_longest: int = 0
    level: int = 1
    xp: int = 0
    quizzes_by_exam: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AchievementDef:
    """One row of ``achievements``, as the rules need it."""

    id: int
    name: str
    description: str
    criteria_type: str
    criteria_value: int
    xp_reward: int = 0
    unlocks_avatar_id: int | None = None
    is_hidden: bool = False
    exam_type: str | None = None
    category: str | None = None
    display_order: int = 0


@dataclass(frozen=True, slots=True)
class UnlockedAchievement:
    """An achievement earned just now, for the announcement."""

    id: int
    name: str
    description: str
    category: str | None
    xp_reward: int
    is_hidden: bool
    unlocks_avatar_id: int | None = None


@dataclass(frozen=True, slots=True)
class UnlockedAvatar:
    """An avatar unlocked just now (or one being equipped)."""

    id: int
    name: str
    rarity: str | None
    image_url: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class StreakUpdate:
    """The effect of one study session on a streak."""

    before: int
    after: int
    longest_before: int
    longest_after: int
    last_date_before: dt.date | None
    last_date_after: dt.date
    outcome: StreakOutcome

    @property
    def grew(self) -> bool:
        """True when this study counted a new day that extended or started the streak."""
        return self.outcome in ("started", "extended")

    @property
    def reset(self) -> bool:
        """True when a missed day broke the streak and it restarted at 1."""
        return self.outcome == "reset"

    @property
    def same_day(self) -> bool:
        """True when this study day had already been counted."""
        return self.outcome == "same_day"

    @property
    def new_record(self) -> bool:
        return self.longest_after > self.longest_before


HIGH_SCORE_PERCENT = 90.0
