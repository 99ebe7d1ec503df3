"""Boards start over on Monday 00:00 UTC (weeks) and on the 1st, 00:00 UTC (months)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.leaderboards.queries import ALL_TIME_START, next_period_start, period_start

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
MINUS_FIVE = dt.timezone(dt.timedelta(hours=-5))


def test_a_week_runs_from_monday_to_sunday_in_utc() -> None:
    monday = dt.date(2026, 11, 16)
    for offset in range(7):
        day = dt.datetime.combine(monday + dt.timedelta(days=offset), dt.time(23, 59), UTC)
        assert period_start("week", day) == monday
    assert period_start("week", dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == dt.date(
        2026, 11, 23
    )


def test_the_week_is_decided_in_utc_not_in_the_players_zone() -> None:
    # Monday 01:00 in UTC+2 is still Sunday 23:00 UTC: last week's board.
    assert period_start("week", dt.datetime(2026, 11, 23, 1, 0, tzinfo=PLUS_TWO)) == dt.date(
        2026, 11, 16
    )
    # Sunday 20:00 in UTC-5 is already Monday 01:00 UTC: the new week.
    assert period_start("week", dt.datetime(2026, 11, 22, 20, 0, tzinfo=MINUS_FIVE)) == dt.date(
        2026, 11, 23
    )


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = dt.datetime(2026, 11, 22, 23, 59)  # noqa: DTZ001  - naive on purpose
    assert period_start("week", naive) == dt.date(2026, 11, 16)


def test_months_start_on_the_first_in_utc() -> None:
    assert period_start("month", dt.datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == dt.date(
        2026, 1, 1
    )
    assert period_start("month", dt.datetime(2026, 2, 1, 0, 0, tzinfo=UTC)) == dt.date(2026, 2, 1)
    assert period_start("month", dt.datetime(2026, 3, 1, 0, 30, tzinfo=PLUS_TWO)) == dt.date(
        2026, 2, 1
    )


def test_all_time_has_one_fixed_start() -> None:
    assert period_start("all", dt.datetime(2031, 5, 5, tzinfo=UTC)) == ALL_TIME_START


def test_boards_say_when_they_start_over() -> None:
    wednesday = dt.datetime(2026, 12, 30, 15, 0, tzinfo=UTC)
    assert next_period_start("week", wednesday) == dt.datetime(2027, 1, 4, tzinfo=UTC)
    assert next_period_start("month", wednesday) == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert next_period_start("month", dt.datetime(2027, 1, 31, tzinfo=UTC)) == dt.datetime(
        2027, 2, 1, tzinfo=UTC
    )
    assert next_period_start("all", wednesday) is None


def test_an_unknown_period_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_start("year", dt.datetime(2026, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]


# hypothesis takes naive bounds; `timezones` makes the drawn moments aware
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(moments)
def test_every_moment_belongs_to_exactly_one_week_and_month(when: dt.datetime) -> None:
    week = period_start("week", when)
    assert week.weekday() == 0
    assert week <= when.date() < week + dt.timedelta(days=7)
    week_end = next_period_start("week", when)
    assert week_end is not None and when < week_end
    assert week_end == dt.datetime.combine(week + dt.timedelta(days=7), dt.time(), UTC)

    month = period_start("month", when)
    assert month.day == 1 and (month.year, month.month) == (when.year, when.month)
    month_end = next_period_start("month", when)
    assert month_end is not None and when < month_end and month_end.day == 1
    assert period_start("month", month_end) != month
