"""Row-shaped records of the reminders feature and its reason codes.

The database reads and writes them; the rules in ``bot.reminders.rules`` decide with them.
They live here so ``db`` needs nothing from ``bot``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from db.exams import SHORT_NAMES

DEFAULT_HOUR = 19


REASON_DM_CLOSED = "dm_closed"


REASON_NO_MUTUAL_GUILD = "no_mutual_guild"


REASON_UNREACHABLE = "unreachable"


REASON_PAUSED = "paused"


REASON_NO_DISCORD_ACCOUNT = "no_discord_account"


class Reason(enum.StrEnum):
    """Why a reminder is or is not due."""

    DUE = "due"
    OFF = "reminders off"
    NO_HOUR = "no reminder hour set"
    BEFORE_HOUR = "before the reminder hour"
    NO_STREAK = "no streak to keep"
    STUDIED_TODAY = "studied today"
    ALREADY_REMINDED = "already reminded today"
    IN_FLIGHT = "claimed by a sweep (lease not expired)"


@dataclass(frozen=True, slots=True)
class ReminderState:
    """The reminder columns of one profile, as the rules need them."""

    enabled: bool
    hour: int | None
    timezone: str
    streak: int | None
    last_studied: dt.date | None
    reminded_on: dt.date | None
    lease_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    due: bool
    reason: Reason
    local_date: dt.date
    streak: int
    """The effective streak (0 once a day was missed)."""
    next_at: dt.datetime | None
    """When due: ``remind_next_at`` once today's reminder is done (tomorrow's instant).
    Otherwise: when to look at this user again (always after ``now``), or None for never."""


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    """One DM to send: everything the sender needs, nothing it must look up."""

    user_id: int
    discord_id: int
    dm_channel_id: int | None
    local_date: dt.date
    streak: int
    exam_type: str | None
    final: bool
    """The etiquette limit is reached: this DM says reminders now pause."""
    content: str
    nonce: str
    cards_due: int = 0
    """Review cards due today: the DM's button starts ``/review`` when there are some."""

    @property
    def button_exam(self) -> str:
        return self.exam_type if self.exam_type in SHORT_NAMES else ANY_EXAM


@dataclass(frozen=True, slots=True)
class ReminderStatus:
    """What ``/remind status`` shows."""

    enabled: bool
    hour: int | None
    timezone: str
    next_at: dt.datetime | None
    disabled_reason: str | None
    reminded_on: dt.date | None
    streak: int | None
    last_studied: dt.date | None
    unanswered: int


ANY_EXAM = "any"
"""The button's exam when the last studied exam is unknown: the quiz cog picks one."""
