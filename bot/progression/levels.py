"""XP and levels: pure rules, no I/O (documented in docs/progression.md).

XP for a quiz = (correct answers x ``XP_PER_CORRECT`` + perfect bonus) x (1 + streak bonus),
rounded down. Achievement rewards are added on top, unmultiplied.

Levels follow a MEE6-style curve: going from level ``L`` to ``L + 1`` costs
``5 L² + 50 L + 100`` XP, and level 1 starts at 0 XP. ``xp_for`` (the XP at which a level
starts) and ``level_for`` (the level of a total) are exact inverses on level starts, and both
are monotone; tests/unit/progression/test_progression.py proves it with hypothesis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

XP_PER_CORRECT = 10
PERFECT_BONUS_PER_QUESTION = 5  # a perfect quiz earns +50 % of its base XP
STREAK_BONUS_PERCENT_PER_DAY = 5  # per streak day beyond the first
STREAK_BONUS_CAP_PERCENT = 50  # reached at an 11-day streak
MIN_LEVEL = 1


@dataclass(frozen=True, slots=True)
class XpBreakdown:
    """The XP of one quiz, split so a cog can show where it came from."""

    base: int
    perfect_bonus: int
    streak_bonus_percent: int
    streak_bonus: int

    @property
    def total(self) -> int:
        return self.base + self.perfect_bonus + self.streak_bonus


@dataclass(frozen=True, slots=True)
class LevelProgress:
    """Where a total XP stands inside its level, for progress bars."""

    level: int
    xp: int
    level_start_xp: int
    next_level_xp: int

    @property
    def into_level(self) -> int:
        return self.xp - self.level_start_xp

    @property
    def needed(self) -> int:
        """XP of the whole current level (from its start to the next level's start)."""
        return self.next_level_xp - self.level_start_xp

    @property
    def remaining(self) -> int:
        return self.next_level_xp - self.xp


def streak_bonus_percent(streak_days: int) -> int:
    """+5 % per streak day beyond the first, capped at +50 %."""
    if streak_days <= 1:
        return 0
    return min((streak_days - 1) * STREAK_BONUS_PERCENT_PER_DAY, STREAK_BONUS_CAP_PERCENT)


def quiz_xp(correct: int, total: int, streak_days: int) -> XpBreakdown:
    """XP for a finished quiz with ``correct`` of ``total`` right, at a streak of ``streak_days``.

    ``streak_days`` is the streak *after* this quiz counted (so a quiz that extends a streak to
    3 days earns the 3-day bonus). A quiz is perfect when every question asked was answered
    correctly (``total > 0``).
    """
    if total < 0 or correct < 0 or correct > total:
        raise ValueError(f"invalid quiz result {correct}/{total}")
    base = correct * XP_PER_CORRECT
    perfect = total * PERFECT_BONUS_PER_QUESTION if total > 0 and correct == total else 0
    percent = streak_bonus_percent(streak_days)
    bonus = (base + perfect) * percent // 100
    return XpBreakdown(base, perfect, percent, bonus)


def xp_to_next(level: int) -> int:
    """XP needed to go from ``level`` to ``level + 1``: ``5 L² + 50 L + 100``."""
    if level < MIN_LEVEL:
        raise ValueError(f"level must be >= {MIN_LEVEL}, got {level}")
    return 5 * level * level + 50 * level + 100


def xp_for(level: int) -> int:
    """Total XP at which ``level`` starts (``xp_for(1) == 0``).

    Closed form of ``sum(xp_to_next(l) for l in range(1, level))`` with ``n = level - 1``:
    ``5 n(n+1)(2n+1)/6 + 25 n(n+1) + 100 n``.
    """
    if level < MIN_LEVEL:
        raise ValueError(f"level must be >= {MIN_LEVEL}, got {level}")
    n = level - 1
    return 5 * n * (n + 1) * (2 * n + 1) // 6 + 25 * n * (n + 1) + 100 * n


def level_for(xp: int) -> int:
    """The level of a total of ``xp``: the largest ``L`` with ``xp_for(L) <= xp``.

    Negative totals (which the database never stores) are level 1.
    """
    if xp <= 0:
        return MIN_LEVEL
    # xp_for grows like (5/3) L³, so the cube root is a close first guess; fix it up exactly.
    guess = max(MIN_LEVEL, round(math.cbrt(3 * xp / 5)))
    while xp_for(guess) > xp:
        guess -= 1
    while xp_for(guess + 1) <= xp:
        guess += 1
    return guess


def level_progress(xp: int) -> LevelProgress:
    level = level_for(xp)
    return LevelProgress(level, xp, xp_for(level), xp_for(level + 1))
