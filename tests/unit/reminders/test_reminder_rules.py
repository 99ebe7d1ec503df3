"""Pure reminder rules: the due/not-due matrix, DST, text, nonce, etiquette, settings input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import InvalidInput
from bot.reminders.rules import (
    ETIQUETTE_LIMIT,
    NONCE_MAX_LEN,
    REASON_DM_CLOSED,
    REASON_PAUSED,
    Reason,
    ReminderState,
    ReminderStatus,
    backoff_delay,
    format_status,
    is_due,
    is_final_reminder,
    local_date,
    next_reminder_at,
    nonce,
    reminder_instant,
    reminder_text,
    timezone_choices,
    validate_hour,
    validate_timezone,
)

UTC = dt.UTC
D = dt.date
ONE_DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the due / not-due matrix ---------------------------------------------------------------
# Each scenario is the first instant a reminder becomes due for a user with a live streak
# (studied yesterday, local), and the user's local date at that instant.
SCENARIOS = {
    "UTC 20:00": ("UTC", 20, utc(2024, 5, 10, 20), D(2024, 5, 10)),
    # America/New_York on the day before spring forward: 20:00 EST = 01:00 UTC next day.
    "New York before DST": ("America/New_York", 20, utc(2024, 3, 10, 1), D(2024, 3, 9)),
    # The day DST starts: 20:00 EDT = 00:00 UTC (an hour earlier in UTC than the day before).
    "New York DST day": ("America/New_York", 20, utc(2024, 3, 11, 0), D(2024, 3, 10)),
    # The day DST ends: 20:00 EST = 01:00 UTC.
    "New York fall back": ("America/New_York", 20, utc(2024, 11, 4, 1), D(2024, 11, 3)),
    # +05:30: 20:00 IST = 14:30 UTC.
    "Kolkata 20:00": ("Asia/Kolkata", 20, utc(2024, 6, 1, 14, 30), D(2024, 6, 1)),
    # Local midnight is 18:30 UTC the day before: the UTC date is not the local date.
    "Kolkata 00:00": ("Asia/Kolkata", 0, utc(2024, 6, 1, 18, 30), D(2024, 6, 2)),
}

VARIANTS: dict[str, tuple[dict[str, Any], Reason]] = {
    "due": ({}, Reason.DUE),
    "one second early": ({"now": -SECOND}, Reason.BEFORE_HOUR),
    "late the same day (catch-up)": ({"now": dt.timedelta(hours=3, minutes=59)}, Reason.DUE),
    "studied today": ({"last_studied": 0}, Reason.STUDIED_TODAY),
    "streak 0": ({"streak": 0}, Reason.NO_STREAK),
    "streak lapsed (last study 2 days ago)": ({"last_studied": -2}, Reason.NO_STREAK),
    "already reminded today": ({"reminded_on": 0}, Reason.ALREADY_REMINDED),
    "reminded yesterday": ({"reminded_on": -1}, Reason.DUE),
    "reminders off": ({"enabled": False}, Reason.OFF),
    "no hour": ({"hour": None}, Reason.NO_HOUR),
}


def _state(tz: str, hour: int | None, today: dt.date, **kw: Any) -> ReminderState:
    values: dict[str, Any] = {
        "enabled": True,
        "hour": hour,
        "timezone": tz,
        "streak": 12,
        "last_studied": today - ONE_DAY,
        "reminded_on": None,
    }
    for key, value in kw.items():
        values[key] = today + value * ONE_DAY if key in ("last_studied", "reminded_on") else value
    return ReminderState(**values)


def _matrix() -> list[tuple[str, str]]:
    """Every (scenario, variant), except a time shift that lands on another local day."""
    cases = []
    for scenario, (tz, _hour, due_at, today) in SCENARIOS.items():
        for variant, (changes, _expected) in VARIANTS.items():
            shift = changes.get("now", dt.timedelta(0))
            assert isinstance(shift, dt.timedelta)
            if local_date(due_at + shift, tz) == today:
                cases.append((scenario, variant))
    return cases


@pytest.mark.parametrize(("scenario", "variant"), _matrix())
def test_due_matrix(scenario: str, variant: str) -> None:
    tz, hour, due_at, today = SCENARIOS[scenario]
    changes, expected = VARIANTS[variant]
    changes = dict(changes)
    now = due_at + changes.pop("now", dt.timedelta(0))
    state = _state(tz, changes.pop("hour", hour), today, **changes)
    decision = is_due(state, now)
    assert decision.reason is expected, (scenario, variant, decision)
    assert decision.due is (expected is Reason.DUE)
    assert decision.local_date == today
    if expected in (Reason.OFF, Reason.NO_HOUR):
        assert decision.next_at is None
    else:
        assert decision.next_at is not None and decision.next_at > now
    if expected is Reason.DUE:
        assert decision.streak == 12
        # Once sent, the next look is tomorrow's reminder instant.
        assert decision.next_at == reminder_instant(today + ONE_DAY, tz, hour)
    if expected is Reason.BEFORE_HOUR:
        assert decision.next_at == due_at


def test_never_for_a_past_day() -> None:
    """After downtime across local midnight, yesterday's missed reminder is never sent: the
    streak it warned about has already ended."""
    state = _state("UTC", 20, D(2024, 5, 10))  # live streak on 2024-05-10, never reminded
    assert is_due(state, utc(2024, 5, 10, 23, 59)).due
    next_morning = is_due(state, utc(2024, 5, 11, 0, 30))
    assert next_morning.reason is Reason.BEFORE_HOUR
    evening = is_due(state, utc(2024, 5, 11, 20))
    assert evening.reason is Reason.NO_STREAK and evening.streak == 0


def test_local_date_not_utc_date_decides_studied_today() -> None:
    # 02:00 UTC on 1 July is 22:00 on 30 June in New York.
    now = utc(2024, 7, 1, 2)
    base = _state("America/New_York", 20, D(2024, 6, 30))
    assert is_due(base, now).due
    studied_utc_day = dataclasses.replace(base, last_studied=D(2024, 7, 1))
    # A date ahead of the local date (the user moved west after studying) counts as studied.
    assert is_due(studied_utc_day, now).reason is Reason.STUDIED_TODAY
    studied_local_day = dataclasses.replace(base, last_studied=D(2024, 6, 30))
    assert is_due(studied_local_day, now).reason is Reason.STUDIED_TODAY


def test_expired_lease_is_not_reminded() -> None:
    today = D(2024, 5, 10)
    now = utc(2024, 5, 10, 20, 10)
    leased = _state("UTC", 20, today, reminded_on=0)
    in_flight = dataclasses.replace(leased, lease_until=now + SECOND)
    assert is_due(in_flight, now).reason is Reason.IN_FLIGHT
    assert is_due(in_flight, now).next_at == now + SECOND
    expired = dataclasses.replace(leased, lease_until=now)
    assert is_due(expired, now).due


# --- DST ------------------------------------------------------------------------------------


def test_nonexistent_hour_fires_after_the_gap() -> None:
    # 02:00 does not exist on 2024-03-10 in New York (02:00 EST -> 03:00 EDT).
    instant = reminder_instant(D(2024, 3, 10), "America/New_York", 2)
    assert instant == utc(2024, 3, 10, 7)
    local = instant.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour) == (D(2024, 3, 10), 3)
    state = _state("America/New_York", 2, D(2024, 3, 10))
    assert is_due(state, utc(2024, 3, 10, 6, 59, 59)).reason is Reason.BEFORE_HOUR
    assert is_due(state, utc(2024, 3, 10, 7)).due


def test_ambiguous_hour_fires_on_the_first_occurrence_once() -> None:
    # 01:00 happens twice on 2024-11-03 in New York: 05:00 UTC (EDT) and 06:00 UTC (EST).
    assert reminder_instant(D(2024, 11, 3), "America/New_York", 1) == utc(2024, 11, 3, 5)
    state = _state("America/New_York", 1, D(2024, 11, 3))
    assert is_due(state, utc(2024, 11, 3, 4, 59)).reason is Reason.BEFORE_HOUR
    assert is_due(state, utc(2024, 11, 3, 5)).due
    reminded = dataclasses.replace(state, reminded_on=D(2024, 11, 3))
    # The second 01:00 is the same local date: no second reminder.
    assert is_due(reminded, utc(2024, 11, 3, 6)).reason is Reason.ALREADY_REMINDED


def test_day_lengths_across_dst() -> None:
    tz = "America/New_York"
    spring = [reminder_instant(D(2024, 3, d), tz, 20) for d in (9, 10, 11)]
    assert [b - a for a, b in itertools.pairwise(spring)] == [
        dt.timedelta(hours=23),
        dt.timedelta(hours=24),
    ]
    fall = [reminder_instant(D(2024, 11, d), tz, 20) for d in (2, 3, 4)]
    assert [b - a for a, b in itertools.pairwise(fall)] == [
        dt.timedelta(hours=25),
        dt.timedelta(hours=24),
    ]


def test_midnight_gap_zone_keeps_the_local_date() -> None:
    # America/Santiago springs forward at 00:00 -> 01:00 on 2024-09-08.
    instant = reminder_instant(D(2024, 9, 8), "America/Santiago", 0)
    assert local_date(instant, "America/Santiago") == D(2024, 9, 8)


def test_next_reminder_at() -> None:
    now = utc(2024, 5, 10, 12)
    assert next_reminder_at(now, "UTC", 20) == utc(2024, 5, 10, 20)
    # Past the hour and not covered: due now (a same-day catch-up).
    assert next_reminder_at(now, "UTC", 9) == utc(2024, 5, 10, 9)
    assert next_reminder_at(now, "UTC", 9, reminded_on=D(2024, 5, 10)) == utc(2024, 5, 11, 9)
    assert next_reminder_at(now, "UTC", 9, last_studied=D(2024, 5, 10)) == utc(2024, 5, 11, 9)
    assert next_reminder_at(
        now, "UTC", 9, reminded_on=D(2024, 5, 10), last_studied=D(2024, 5, 11)
    ) == utc(2024, 5, 12, 9)
    assert next_reminder_at(now, "Asia/Kolkata", 20) == utc(2024, 5, 10, 14, 30)
    assert next_reminder_at(utc(2024, 3, 10, 12), "America/New_York", 20) == utc(2024, 3, 11)
    with pytest.raises(ValueError, match="aware"):
        next_reminder_at(dt.datetime(2024, 5, 10), "UTC", 9)  # noqa: DTZ001  - naive on purpose


def test_unknown_zone_falls_back_to_utc() -> None:
    assert reminder_instant(D(2024, 5, 10), "Mars/Olympus_Mons", 20) == utc(2024, 5, 10, 20)


ZONES = [
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # DST at midnight
    "Europe/London",
]


@settings(max_examples=400, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    now=st.datetimes(  # hypothesis takes naive bounds; `timezones` makes `now` aware
        min_value=dt.datetime(2023, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2026, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    streak=st.integers(0, 3),
    studied=st.sampled_from([None, -3, -2, -1, 0]),
    reminded=st.sampled_from([None, -1, 0]),
)
def test_decisions_always_move_forward(
    tz: str, hour: int, now: dt.datetime, streak: int, studied: int | None, reminded: int | None
) -> None:
    today = local_date(now, tz)
    state = ReminderState(
        enabled=True,
        hour=hour,
        timezone=tz,
        streak=streak,
        last_studied=None if studied is None else today + studied * ONE_DAY,
        reminded_on=None if reminded is None else today + reminded * ONE_DAY,
    )
    decision = is_due(state, now)
    assert decision.local_date == today
    # A sweep always moves a user past `now`: no user can be examined twice in one sweep.
    assert decision.next_at is not None and decision.next_at > now
    if decision.due:
        assert local_date(decision.next_at, tz) == today + ONE_DAY
        # The instant it became due is at or before now, on today's local date.
        fire = reminder_instant(today, tz, hour)
        assert fire <= now and local_date(fire, tz) == today
    if decision.reason is Reason.BEFORE_HOUR:
        assert local_date(decision.next_at, tz) == today
        assert is_due(state, decision.next_at).reason is not Reason.BEFORE_HOUR


# --- text, nonce, etiquette -----------------------------------------------------------------


def test_reminder_text_names_streak_and_exam() -> None:
    text = reminder_text(12, "security", final=False)
    assert "Your 12-day Security+ (SY0-701) streak ends at midnight" in text
    assert "5-question quiz" in text
    assert "stop reminding" not in text
    assert "Your 3-day study streak ends at midnight" in reminder_text(3, None, final=False)
    assert "Your 3-day study streak" in reminder_text(3, "bogus", final=False)


def test_final_reminder_says_it_stops() -> None:
    text = reminder_text(4, "network", final=True)
    assert "Network+" in text
    assert "I'll stop reminding you; `/remind on` brings me back" in text


def test_etiquette_counter() -> None:
    assert ETIQUETTE_LIMIT == 5
    assert [is_final_reminder(n) for n in range(6)] == [False, False, False, False, True, True]


def test_nonce_is_stable_short_and_distinct() -> None:
    n = nonce(42, D(2024, 5, 10))
    assert n == nonce(42, D(2024, 5, 10))
    assert n != nonce(42, D(2024, 5, 11)) and n != nonce(43, D(2024, 5, 10))
    assert len(nonce(2**31 - 1, D(9999, 12, 31))) <= NONCE_MAX_LEN
    assert len(nonce(10**13, D(2024, 5, 10))) <= NONCE_MAX_LEN
    with pytest.raises(ValueError):
        nonce(10**15, D(2024, 5, 10))


def test_backoff() -> None:
    assert [backoff_delay(a) for a in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, cap=30) == 30
    assert backoff_delay(1, retry_after=7.5) == 7.5


# --- settings input and status text ---------------------------------------------------------


def test_validate_timezone_and_hour() -> None:
    assert validate_timezone("america/new_york") == "America/New_York"
    assert validate_timezone(" Asia/Kolkata ") == "Asia/Kolkata"
    assert validate_timezone("UTC") == "UTC"
    for bad in ("Mars/Base", "", "../etc/passwd", "EST5EDT/x"):
        with pytest.raises(InvalidInput):
            validate_timezone(bad)
    assert validate_hour(0) == 0 and validate_hour(23) == 23
    for bad_hour in (-1, 24):
        with pytest.raises(InvalidInput):
            validate_hour(bad_hour)


def test_timezone_choices() -> None:
    assert timezone_choices("kolk") == ["Asia/Kolkata"]
    assert timezone_choices("new york")[0] == "America/New_York"
    assert len(timezone_choices("")) == 25 and timezone_choices("")[0] == "UTC"
    assert all("Etc/" not in n for n in timezone_choices("gmt"))
    assert "Etc/GMT+5" in timezone_choices("etc/gmt+5")
    assert timezone_choices("zzzz-nothing") == []


def _status(**kw: Any) -> ReminderStatus:
    values: dict[str, Any] = {
        "enabled": True,
        "hour": 20,
        "timezone": "Asia/Kolkata",
        "next_at": utc(2024, 5, 10, 14, 30),
        "disabled_reason": None,
        "reminded_on": None,
        "streak": 4,
        "last_studied": D(2024, 5, 9),
        "unanswered": 0,
    }
    values.update(kw)
    return ReminderStatus(**values)


def test_format_status() -> None:
    now = utc(2024, 5, 10, 9)
    on = format_status(_status(), now)
    assert "**on**" in on and "20:00 (Asia/Kolkata)" in on and "4 days" in on
    assert f"<t:{int(utc(2024, 5, 10, 14, 30).timestamp())}:R>" in on
    assert "pause" not in on
    warned = format_status(_status(unanswered=3), now)
    assert "2 more reminders without studying" in warned
    closed = format_status(_status(enabled=False, disabled_reason=REASON_DM_CLOSED), now)
    assert "**off**" in closed and "50007" in closed and "/remind on" in closed
    paused = format_status(_status(enabled=False, disabled_reason=REASON_PAUSED), now)
    assert "5 reminders in a row" in paused
    assert "`/remind on` turns them on" in format_status(_status(enabled=False), now)
    lapsed = format_status(_status(last_studied=D(2024, 5, 1)), now)
    assert "no streak right now" in lapsed


def test_the_reminder_names_the_review_cards_due_today_when_there_are_some() -> None:
    text = reminder_text(4, "security", final=False, cards_due=3)
    assert "3 review cards are due today" in text and "quiz keeps it alive" not in text
    one = reminder_text(4, "security", final=False, cards_due=1)
    assert "1 review card is due today" in one
    none = reminder_text(4, "security", final=False, cards_due=0)
    assert "review card" not in none and "5-question quiz keeps it alive" in none
