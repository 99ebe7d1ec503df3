"""Achievement rules over UserStats: the seven criteria, fixed point, display of secrets."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.progression.achievements import (
    SECRET_NAME,
    AchievementDef,
    UserStats,
    current_value,
    evaluate,
    is_met,
    newly_met,
    progress_for,
)
from bot.progression.levels import xp_for
from db.models import CRITERIA_TYPES
from seeds.catalog import ACHIEVEMENTS


def defn(
    id_: int, criteria: str, value: int, *, xp: int = 0, exam: str | None = None, order: int = 0
) -> AchievementDef:
    return AchievementDef(
        id=id_,
        name=f"A{id_}",
        description=f"Achievement {id_}",
        criteria_type=criteria,
        criteria_value=value,
        xp_reward=xp,
        exam_type=exam,
        display_order=order or id_,
    )


STATS = UserStats(
    quizzes_completed=7,
    perfect_quizzes=2,
    high_score_quizzes=4,
    correct_answers=63,
    streak_current=2,
    streak_longest=5,
    level=4,
    xp=700,
    quizzes_by_exam={"network": 5, "security": 2},
)


@pytest.mark.parametrize(
    ("criteria", "exam", "expected"),
    [
        ("quiz_completed", None, 7),
        ("perfect_quiz", None, 2),
        ("high_score_quiz", None, 4),
        ("correct_answers", None, 63),
        ("study_streak", None, 5),  # the best streak reached, even if since broken
        ("level_reached", None, 4),
        ("exam_specific", "network", 5),
        ("exam_specific", "a1101", 0),
        ("exam_specific", None, 0),  # misconfigured: never met
    ],
)
def test_each_criteria_type_measures_its_stat(
    criteria: str, exam: str | None, expected: int
) -> None:
    assert current_value(defn(1, criteria, 1, exam=exam), STATS) == expected


def test_every_seeded_criteria_type_is_understood() -> None:
    assert set(CRITERIA_TYPES) == {a.criteria_type for a in ACHIEVEMENTS}
    for seed in ACHIEVEMENTS:
        a = defn(1, seed.criteria_type, seed.criteria_value, exam=seed.exam_type)
        assert current_value(a, UserStats()) == 0 or seed.criteria_type == "level_reached"


def test_met_at_exactly_the_target() -> None:
    assert is_met(defn(1, "quiz_completed", 7), STATS)
    assert not is_met(defn(1, "quiz_completed", 8), STATS)


def test_newly_met_skips_earned_and_sorts_by_display_order() -> None:
    defs = [
        defn(1, "quiz_completed", 1, order=30),
        defn(2, "quiz_completed", 5, order=10),
        defn(3, "quiz_completed", 25, order=20),
    ]
    assert [a.id for a in newly_met(defs, STATS, earned_ids={1})] == [2]
    assert [a.id for a in newly_met(defs, STATS, earned_ids=set())] == [2, 1]


def test_achievement_xp_can_unlock_a_level_achievement_in_the_same_evaluation() -> None:
    # 1000 XP is level 4; the quiz achievement's 60 XP reaches level 5 (1050), which unlocks
    # the level achievement, whose XP reaches nothing further.
    stats = UserStats(quizzes_completed=1, xp=1000, level=4)
    defs = [defn(1, "quiz_completed", 1, xp=60), defn(2, "level_reached", 5, xp=50)]
    assert [a.id for a in evaluate(defs, stats, set())] == [1, 2]
    assert [a.id for a in evaluate(defs, stats, {1})] == []  # already had the XP


def test_fixed_point_chains_several_levels() -> None:
    stats = UserStats(quizzes_completed=1, xp=xp_for(5) - 1, level=4)
    defs = [
        defn(1, "quiz_completed", 1, xp=1),
        defn(2, "level_reached", 5, xp=xp_for(6) - xp_for(5)),
        defn(3, "level_reached", 6, xp=0),
        defn(4, "level_reached", 7, xp=0),
    ]
    assert [a.id for a in evaluate(defs, stats, set())] == [1, 2, 3]


def test_hidden_achievements_are_secret_until_earned() -> None:
    hidden = AchievementDef(
        9, "Unstoppable", "Study 100 days.", "study_streak", 100, 10, None, True
    )
    locked = progress_for(hidden, STATS, earned_at=None)
    assert locked.secret and locked.display_name == SECRET_NAME
    assert locked.display_description != hidden.description
    earned = progress_for(hidden, STATS, earned_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert not earned.secret and earned.display_name == "Unstoppable"


def test_progress_shows_current_over_target_capped() -> None:
    p = progress_for(defn(1, "quiz_completed", 10), STATS, earned_at=None)
    assert (p.shown_current, p.target, p.earned) == (7, 10, False)
    assert p.fraction == pytest.approx(0.7)
    done = progress_for(defn(2, "quiz_completed", 5), STATS, dt.datetime.now(dt.UTC))
    assert (done.current, done.shown_current, done.target) == (7, 5, 5)
