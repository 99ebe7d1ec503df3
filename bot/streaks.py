"""Study streaks: pure rules, no I/O (documented in docs/progression.md).

A *study day* is the user's local calendar date in their IANA time zone
(``user_profiles.timezone``, default UTC). ``last_activity_date`` stores that local date.

* The first study ever starts a streak of 1.
* Studying again on the same local date changes nothing (a day counts once).
* Studying on the next local date extends the streak by 1.
* Studying after one or more missed dates resets the streak to 1.
* ``study_streak_longest`` keeps the best streak ever reached.
* A local date *earlier* than the stored one (the user moved west, e.g. from Tokyo to
  Honolulu, right after studying) counts as the stored day again: nothing changes and the
  stored date never moves backwards, so moving west cannot create a second study day.
  Moving east can make one day shorter, exactly like real travel; because the stored date
  then runs ahead of the western zones, switching zones back and forth gains at most one day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "UTC"

StreakOutcome = Literal["started", "same_day", "extended", "reset"]


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


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_valid_timezone(name: str) -> bool:
    return bool(name) and _zone(name) is not None


def resolve_timezone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC (with a warning) for an empty or unknown name."""
    zone = _zone(name) if name else None
    if zone is None:
        if name and name != DEFAULT_TIMEZONE:
            log.warning("unknown time zone %r, using UTC", name)
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return zone


def local_date(when: dt.datetime, tz_name: str | None) -> dt.date:
    """The calendar date of the instant ``when`` (must be time-zone aware) in ``tz_name``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("when must be a time-zone aware datetime")
    return when.astimezone(resolve_timezone(tz_name)).date()


def apply_study(
    current: int | None, longest: int | None, last_date: dt.date | None, today: dt.date
) -> StreakUpdate:
    """The streak after studying on local date ``today`` (see the module docstring)."""
    cur = max(current or 0, 0)
    best = max(longest or 0, 0)
    outcome: StreakOutcome
    if last_date is None:
        after, new_last, outcome = 1, today, "started"
    elif today <= last_date:
        # Same day, or an earlier local date after a move west: the day is already counted.
        after, new_last, outcome = max(cur, 1), last_date, "same_day"
    elif today == last_date + dt.timedelta(days=1):
        after, new_last = cur + 1, today
        outcome = "extended" if cur > 0 else "started"
    else:
        after, new_last, outcome = 1, today, ("reset" if cur > 0 else "started")
    return StreakUpdate(
        before=cur,
        after=after,
        longest_before=best,
        longest_after=max(best, after),
        last_date_before=last_date,
        last_date_after=new_last,
        outcome=outcome,
    )


def effective_streak(current: int | None, last_date: dt.date | None, today: dt.date) -> int:
    """The streak to *display* on ``today``: the stored one, or 0 once a day was missed.

    The stored ``study_streak_current`` only changes when the user studies; a streak whose last
    study day is before yesterday is already broken even though the row still says otherwise.
    """
    if last_date is None or current is None:
        return 0
    if today - last_date > dt.timedelta(days=1):
        return 0
    return max(current, 0)
