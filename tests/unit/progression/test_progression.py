"""XP and level rules: the curve's closed form, exact inverses, monotonicity, quiz XP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.progression.levels import (
    STREAK_BONUS_CAP_PERCENT,
    level_for,
    level_progress,
    quiz_xp,
    streak_bonus_percent,
    xp_for,
    xp_to_next,
)

levels = st.integers(min_value=1, max_value=5_000)
totals = st.integers(min_value=0, max_value=10**12)


def test_level_one_starts_at_zero_and_level_two_costs_155() -> None:
    assert xp_for(1) == 0
    assert xp_for(2) == 155  # 5 + 50 + 100
    assert level_for(0) == 1
    assert level_for(154) == 1
    assert level_for(155) == 2


def test_the_documented_table() -> None:
    # docs/progression.md lists these; keep them in sync.
    expected = {
        1: 0,
        2: 155,
        3: 375,
        4: 670,
        5: 1050,
        6: 1525,
        7: 2105,
        8: 2800,
        9: 3620,
        10: 4575,
        25: 41_900,
        50: 268_275,
    }
    assert {lvl: xp_for(lvl) for lvl in expected} == expected


def test_negative_xp_is_level_one_and_level_zero_is_rejected() -> None:
    assert level_for(-10) == 1
    with pytest.raises(ValueError):
        xp_for(0)
    with pytest.raises(ValueError):
        xp_to_next(0)


@given(levels)
def test_closed_form_matches_the_per_level_cost(level: int) -> None:
    assert xp_for(level + 1) - xp_for(level) == xp_to_next(level) == 5 * level**2 + 50 * level + 100


@given(levels)
def test_level_for_inverts_xp_for(level: int) -> None:
    assert level_for(xp_for(level)) == level
    assert level_for(xp_for(level + 1) - 1) == level


@given(totals)
def test_xp_for_inverts_level_for(xp: int) -> None:
    level = level_for(xp)
    assert xp_for(level) <= xp < xp_for(level + 1)


@given(totals, totals)
def test_level_for_is_monotone(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert level_for(low) <= level_for(high)


@given(levels, levels)
def test_xp_for_is_strictly_increasing(a: int, b: int) -> None:
    if a < b:
        assert xp_for(a) < xp_for(b)


@given(totals)
def test_level_progress_is_consistent(xp: int) -> None:
    p = level_progress(xp)
    assert p.level == level_for(xp)
    assert 0 <= p.into_level < p.needed == xp_to_next(p.level)
    assert p.remaining == p.needed - p.into_level


def test_quiz_xp_per_correct_answer_without_bonuses() -> None:
    xp = quiz_xp(7, 10, streak_days=1)
    assert (xp.base, xp.perfect_bonus, xp.streak_bonus, xp.total) == (70, 0, 0, 70)


def test_a_perfect_quiz_earns_half_again() -> None:
    xp = quiz_xp(10, 10, streak_days=1)
    assert (xp.base, xp.perfect_bonus, xp.total) == (100, 50, 150)


def test_streak_bonus_grows_five_percent_a_day_and_is_capped() -> None:
    assert [streak_bonus_percent(d) for d in (0, 1, 2, 3, 11, 12, 365)] == [0, 0, 5, 10, 50, 50, 50]
    xp = quiz_xp(10, 10, streak_days=3)
    assert (xp.streak_bonus_percent, xp.streak_bonus, xp.total) == (10, 15, 165)
    assert quiz_xp(10, 10, streak_days=100).streak_bonus_percent == STREAK_BONUS_CAP_PERCENT


def test_quiz_xp_rounds_down_and_never_goes_negative() -> None:
    xp = quiz_xp(1, 3, streak_days=2)  # 10 * 5 % = 0.5 -> 0
    assert xp.total == 10
    assert quiz_xp(0, 5, streak_days=30).total == 0


@given(st.integers(0, 200), st.integers(1, 200), st.integers(0, 400))
def test_quiz_xp_is_bounded(correct: int, total: int, streak: int) -> None:
    correct = min(correct, total)
    xp = quiz_xp(correct, total, streak)
    assert 10 * correct <= xp.total <= (10 * correct + 5 * total) * 3 // 2


def test_quiz_xp_rejects_impossible_results() -> None:
    with pytest.raises(ValueError):
        quiz_xp(5, 4, 1)
    with pytest.raises(ValueError):
        quiz_xp(-1, 4, 1)
