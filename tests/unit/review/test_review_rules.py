"""The review deck's scheduling (FSRS through py-fsrs), in a learner's words: what I miss comes
back sooner, what I keep getting right comes back ever later, on whole days of my calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.review.rules import CardState, review

NOON = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def test_a_missed_question_comes_back_sooner_than_one_answered_right() -> None:
    missed = review(None, False, NOON, "UTC")
    known = review(None, True, NOON, "UTC")
    assert missed.due < known.due
    assert missed.interval_days == 1  # tomorrow
    assert known.interval_days > 1
    assert (missed.lapses, known.lapses) == (1, 0)


def test_a_card_answered_right_again_and_again_grows_its_interval() -> None:
    card: CardState | None = None
    at = NOON
    intervals = []
    for _ in range(5):
        card = review(card, True, at, "UTC")
        intervals.append(card.interval_days)
        at = card.due + dt.timedelta(hours=12)  # answered on the day it is due
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0] * 4
    assert card is not None and card.reps == 5


def test_a_miss_after_a_long_run_brings_the_card_back_much_sooner() -> None:
    card = None
    at = NOON
    for _ in range(4):
        card = review(card, True, at, "UTC")
        at = card.due + dt.timedelta(hours=1)
    assert card is not None
    lapsed = review(card, False, at, "UTC")
    assert lapsed.interval_days * 3 < card.interval_days and lapsed.lapses == 1


@pytest.mark.parametrize(
    ("zone", "local_review"),
    [
        # the evening before spring forward, and before fall back, in New York
        ("America/New_York", dt.datetime(2024, 3, 9, 23, 30)),  # noqa: DTZ001 - local wall time
        ("America/New_York", dt.datetime(2024, 11, 2, 23, 30)),  # noqa: DTZ001 - local wall time
        # a half-hour zone, late at night
        ("Asia/Kolkata", dt.datetime(2026, 3, 29, 23, 50)),  # noqa: DTZ001 - local wall time
    ],
)
def test_due_dates_are_whole_days_of_the_members_calendar_across_dst(
    zone: str, local_review: dt.datetime
) -> None:
    at = local_review.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    for correct in (False, True):
        card = review(None, correct, at, zone)
        due_local = card.due.astimezone(ZoneInfo(zone))
        assert due_local.time() == dt.time(0, 0)  # the start of the member's day
        days = (due_local.date() - local_review.date()).days
        assert days == review(None, correct, at, "UTC").interval_days, (zone, correct)


def test_the_same_instant_is_due_on_each_members_own_calendar_day() -> None:
    at = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # 18:00 Tokyo, 23:00 (Dec 1) Honolulu
    tokyo = review(None, False, at, "Asia/Tokyo").due.astimezone(ZoneInfo("Asia/Tokyo"))
    honolulu = review(None, False, at, "Pacific/Honolulu").due.astimezone(
        ZoneInfo("Pacific/Honolulu")
    )
    assert (tokyo.date(), honolulu.date()) == (dt.date(2026, 12, 3), dt.date(2026, 12, 2))


def test_naive_times_are_refused() -> None:
    naive = dt.datetime(2026, 12, 2, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        review(None, True, naive, "UTC")
