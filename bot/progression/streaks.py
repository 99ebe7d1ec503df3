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

from bot.core.timezones import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE
from bot.core.timezones import is_valid_timezone as is_valid_timezone
from bot.core.timezones import local_date as local_date
from bot.core.timezones import resolve_timezone as resolve_timezone
from db.progression.records import StreakOutcome as StreakOutcome
from db.progression.records import StreakUpdate as StreakUpdate

log = logging.getLogger(__name__)


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
