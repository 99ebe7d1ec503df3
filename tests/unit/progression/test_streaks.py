"""Study streaks: local calendar days, midnight, DST, half-hour offsets, time-zone changes."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.progression.streaks import (
    StreakUpdate,
    apply_study,
    effective_streak,
    is_valid_timezone,
    local_date,
)

UTC = dt.UTC
D = dt.date


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def study(
    state: tuple[int, int, dt.date | None], when: dt.datetime, tz: str
) -> tuple[StreakUpdate, tuple[int, int, dt.date | None]]:
    update = apply_study(*state, local_date(when, tz))
    return update, (update.after, update.longest_after, update.last_date_after)


EMPTY: tuple[int, int, dt.date | None] = (0, 0, None)


def test_a_first_study_starts_a_streak_of_one() -> None:
    u = apply_study(0, 0, None, D(2026, 3, 1))
    assert (u.after, u.longest_after, u.last_date_after) == (1, 1, D(2026, 3, 1))
    assert u.grew and not u.reset and u.outcome == "started"


def test_studying_twice_a_day_counts_once() -> None:
    u = apply_study(4, 6, D(2026, 3, 1), D(2026, 3, 1))
    assert (u.after, u.longest_after, u.last_date_after) == (4, 6, D(2026, 3, 1))
    assert u.same_day and not u.grew


def test_the_next_day_extends_the_streak_and_can_set_a_record() -> None:
    u = apply_study(6, 6, D(2026, 3, 1), D(2026, 3, 2))
    assert (u.before, u.after, u.longest_after) == (6, 7, 7)
    assert u.grew and u.new_record and u.outcome == "extended"


def test_a_missed_day_resets_to_one_but_longest_keeps_the_best() -> None:
    u = apply_study(9, 12, D(2026, 3, 1), D(2026, 3, 3))
    assert (u.before, u.after, u.longest_after) == (9, 1, 12)
    assert u.reset and not u.grew and not u.new_record


def test_rows_written_before_streaks_existed_are_handled() -> None:
    # NULL counters (older web rows) behave like zero.
    u = apply_study(None, None, None, D(2026, 3, 3))
    assert (u.after, u.longest_after) == (1, 1)
    # A stored date but a zero streak: the day still counts as day 1.
    u = apply_study(0, 0, D(2026, 3, 2), D(2026, 3, 3))
    assert (u.after, u.outcome) == (1, "started")


def test_midnight_utc_boundary() -> None:
    _, state = study(EMPTY, utc(2026, 3, 1, 23, 59, 59), "UTC")
    u, state = study(state, utc(2026, 3, 2, 0, 0, 0), "UTC")
    assert u.after == 2  # one second later is a new day
    u, _ = study(state, utc(2026, 3, 2, 23, 59, 59), "UTC")
    assert u.same_day and u.after == 2


def test_the_users_zone_decides_the_day_not_utc() -> None:
    # 03:00 UTC is still the previous evening in New York.
    assert local_date(utc(2026, 3, 2, 3, 0), "America/New_York") == D(2026, 3, 1)
    _, state = study(EMPTY, utc(2026, 3, 1, 15, 0), "America/New_York")
    u, _ = study(state, utc(2026, 3, 2, 3, 0), "America/New_York")
    assert u.same_day and u.after == 1


def test_dst_spring_forward_new_york() -> None:
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT, so the local day has 23 hours.
    tz = "America/New_York"
    _, state = study(EMPTY, utc(2026, 3, 7, 4, 59), tz)  # 23:59 EST on the 6th
    assert state[2] == D(2026, 3, 6)
    u, state = study(state, utc(2026, 3, 7, 5, 0), tz)  # 00:00 EST on the 7th
    assert u.after == 2
    u, state = study(state, utc(2026, 3, 8, 4, 59), tz)  # 23:59 EST on the 7th
    assert u.same_day
    u, state = study(state, utc(2026, 3, 8, 7, 30), tz)  # 03:30 EDT on the 8th (after the jump)
    assert (u.after, state[2]) == (3, D(2026, 3, 8))
    u, state = study(state, utc(2026, 3, 9, 3, 59), tz)  # 23:59 EDT on the 8th
    assert u.same_day
    u, _ = study(state, utc(2026, 3, 9, 4, 0), tz)  # 00:00 EDT on the 9th
    assert u.after == 4


def test_dst_fall_back_new_york_repeated_hour_is_one_day() -> None:
    # 2026-11-01: 01:00-02:00 happens twice (EDT, then EST); the day has 25 hours.
    tz = "America/New_York"
    _, state = study(EMPTY, utc(2026, 11, 1, 5, 30), tz)  # 01:30 EDT
    u, state = study(state, utc(2026, 11, 1, 6, 30), tz)  # 01:30 EST, an hour later
    assert u.same_day and state[2] == D(2026, 11, 1)
    u, state = study(state, utc(2026, 11, 2, 4, 59), tz)  # 23:59 EST, still Nov 1
    assert u.same_day
    u, _ = study(state, utc(2026, 11, 2, 5, 0), tz)  # 00:00 EST Nov 2
    assert u.after == 2


def test_half_hour_offset_kolkata() -> None:
    tz = "Asia/Kolkata"  # UTC+05:30, no DST
    assert local_date(utc(2026, 3, 1, 18, 29), tz) == D(2026, 3, 1)  # 23:59 IST
    assert local_date(utc(2026, 3, 1, 18, 30), tz) == D(2026, 3, 2)  # 00:00 IST
    _, state = study(EMPTY, utc(2026, 3, 1, 18, 29), tz)
    u, _ = study(state, utc(2026, 3, 1, 18, 30), tz)
    assert u.after == 2  # one minute later, but a new local day


def test_moving_west_cannot_create_a_second_day() -> None:
    # Studied at 10:00 on the 2nd in Tokyo (01:00 UTC), then switched to Honolulu, where it is
    # still the 1st: that earlier date counts as the day already studied.
    _, state = study((3, 3, D(2026, 3, 1)), utc(2026, 3, 2, 1, 0), "Asia/Tokyo")
    assert state == (4, 4, D(2026, 3, 2))
    u, state = study(state, utc(2026, 3, 2, 2, 0), "Pacific/Honolulu")  # 16:00 on the 1st
    assert u.same_day and state == (4, 4, D(2026, 3, 2))  # the stored date never goes back
    u, state = study(state, utc(2026, 3, 2, 20, 0), "Pacific/Honolulu")  # 10:00 on the 2nd
    assert u.same_day and state[0] == 4
    u, _ = study(state, utc(2026, 3, 3, 20, 0), "Pacific/Honolulu")  # 10:00 on the 3rd
    assert u.after == 5


def test_moving_east_can_shorten_one_day_only() -> None:
    # Honolulu 20:00 on the 1st (06:00 UTC on the 2nd); switch to Kiritimati (UTC+14): the 2nd.
    _, state = study(EMPTY, utc(2026, 3, 2, 6, 0), "Pacific/Honolulu")
    u, state = study(state, utc(2026, 3, 2, 7, 0), "Pacific/Kiritimati")
    assert u.after == 2
    # Switching back west and forth again gains nothing more until real days pass.
    u, state = study(state, utc(2026, 3, 2, 8, 0), "Pacific/Honolulu")
    assert u.same_day
    u, state = study(state, utc(2026, 3, 2, 9, 0), "Pacific/Kiritimati")
    assert u.same_day and state[0] == 2


def test_unknown_zone_falls_back_to_utc_and_naive_times_are_rejected() -> None:
    assert not is_valid_timezone("Mars/Olympus_Mons")
    assert is_valid_timezone("Europe/Paris")
    assert local_date(utc(2026, 3, 1, 23, 30), "Mars/Olympus_Mons") == D(2026, 3, 1)
    assert local_date(utc(2026, 3, 1, 23, 30), None) == D(2026, 3, 1)
    with pytest.raises(ValueError):
        local_date(dt.datetime(2026, 3, 1, 12, 0), "UTC")  # noqa: DTZ001  - naive on purpose


def test_effective_streak_shows_zero_once_a_day_was_missed() -> None:
    assert effective_streak(5, D(2026, 3, 2), D(2026, 3, 2)) == 5
    assert effective_streak(5, D(2026, 3, 1), D(2026, 3, 2)) == 5  # can still study today
    assert effective_streak(5, D(2026, 2, 28), D(2026, 3, 2)) == 0
    assert effective_streak(None, None, D(2026, 3, 2)) == 0


ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]


@given(
    st.sampled_from(ZONES),
    st.lists(st.integers(min_value=0, max_value=60 * 24 * 40), min_size=1, max_size=40),
)
def test_streak_equals_the_run_of_consecutive_local_days(zone: str, minutes: list[int]) -> None:
    """Replaying studies in time order gives the trailing run of consecutive local dates, and
    the longest run ever, whatever the zone (DST and odd offsets included)."""
    start = utc(2026, 2, 20)
    instants = sorted(start + dt.timedelta(minutes=m) for m in minutes)
    state = EMPTY
    for when in instants:
        _, state = study(state, when, zone)
    days = sorted({when.astimezone(ZoneInfo(zone)).date() for when in instants})
    runs = [1]
    for prev, cur in itertools.pairwise(days):
        runs.append(runs[-1] + 1 if cur - prev == dt.timedelta(days=1) else 1)
    assert state == (runs[-1], max(runs), days[-1])
