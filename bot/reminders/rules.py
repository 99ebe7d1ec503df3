"""Daily streak reminders: the pure rules (no Discord, no database). See docs/reminders.md.

A user's *reminder instant* on a local date ``D`` is ``hour:00`` on ``D`` in their IANA time
zone, converted to UTC. A reminder is **due** at ``now`` when reminders are on, ``now`` is at
or past today's reminder instant (today = the user's local date at ``now``), the streak is
alive (``bot.progression.streaks.effective_streak`` ≥ 1: the last study day is yesterday), the user
has
not studied today, and they have not been reminded today.

DST (``zoneinfo`` with ``fold=0``):

* **Nonexistent hour** (spring forward; 02:00 on 2024-03-10 in America/New_York): the wall
  time is read with the offset in force *before* the gap, which lands the same length of time
  after the gap starts: 02:00 EST = 07:00 UTC = 03:00 EDT. So the reminder fires at the first
  instant after the gap, on the same local date.
* **Ambiguous hour** (fall back; 01:00 on 2024-11-03 in America/New_York happens twice): the
  *first* occurrence (01:00 EDT = 05:00 UTC). The second occurrence is the same local date, so
  it can never send a second reminder.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core import timezones
from bot.core.errors import InvalidInput
from bot.core.timezones import timezone_choices as timezone_choices
from bot.core.timezones import validate_timezone as validate_timezone
from bot.progression.streaks import effective_streak, resolve_timezone
from db.exams import SHORT_NAMES, exam_label
from db.reminders.records import (
    ANY_EXAM as ANY_EXAM,
)
from db.reminders.records import (
    DEFAULT_HOUR as DEFAULT_HOUR,
)
from db.reminders.records import (
    REASON_DM_CLOSED as REASON_DM_CLOSED,
)
from db.reminders.records import (
    REASON_NO_DISCORD_ACCOUNT as REASON_NO_DISCORD_ACCOUNT,
)
from db.reminders.records import (
    REASON_NO_MUTUAL_GUILD as REASON_NO_MUTUAL_GUILD,
)
from db.reminders.records import (
    REASON_PAUSED as REASON_PAUSED,
)
from db.reminders.records import (
    REASON_UNREACHABLE as REASON_UNREACHABLE,
)
from db.reminders.records import (
    Decision as Decision,
)
from db.reminders.records import (
    Reason as Reason,
)
from db.reminders.records import (
    ReminderMessage as ReminderMessage,
)
from db.reminders.records import (
    ReminderState as ReminderState,
)
from db.reminders.records import (
    ReminderStatus as ReminderStatus,
)

log = logging.getLogger(__name__)

UTC = dt.UTC
ETIQUETTE_LIMIT = 5
"""Reminders in a row without any study after which reminders pause (the last one says so)."""
QUIZ_QUESTIONS = 5
NONCE_MAX_LEN = 25

# Why reminders were switched off (``user_profiles.remind_disabled_reason``).

_REASON_TEXT: dict[str, str] = {
    REASON_DM_CLOSED: (
        "I couldn't send you a direct message: your DMs are closed to me (Discord error 50007). "
        "Allow direct messages from server members, then use `/remind on`."
    ),
    REASON_NO_MUTUAL_GUILD: (
        "I couldn't send you a direct message: we no longer share a server "
        "(Discord error 50278). Join a server that has CertQuest, then use `/remind on`."
    ),
    REASON_UNREACHABLE: (
        "I couldn't reach your Discord account to send a reminder. Use `/remind on` to try again."
    ),
    REASON_PAUSED: (
        f"I paused them after {ETIQUETTE_LIMIT} reminders in a row without a study session. "
        "`/remind on` brings me back."
    ),
    REASON_NO_DISCORD_ACCOUNT: (
        "Your CertQuest account is not linked to Discord, so I can't DM you."
    ),
}


class SendStatus(enum.StrEnum):
    SENT = "sent"
    PERMANENT = "permanent"
    """The user cannot be reached: switch reminders off with ``reason``."""
    TRANSIENT = "transient"
    """May work if retried (5xx, timeout, connection reset, 429 surfaced)."""
    FAILED = "failed"
    """Will not work today and is not the user's fault (e.g. a 400): give up for the day."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status: SendStatus
    reason: str | None = None
    dm_channel_id: int | None = None
    """A DM channel opened during this attempt: store it so the next send is one request."""
    forbidden: bool = False
    """The attempt got an HTTP 403 (counts toward Discord's invalid-request budget)."""
    retry_after: float | None = None

    @classmethod
    def sent(cls, *, dm_channel_id: int | None = None) -> SendOutcome:
        return cls(SendStatus.SENT, dm_channel_id=dm_channel_id)

    @classmethod
    def permanent(
        cls, reason: str, *, forbidden: bool = False, dm_channel_id: int | None = None
    ) -> SendOutcome:
        return cls(
            SendStatus.PERMANENT, reason=reason, forbidden=forbidden, dm_channel_id=dm_channel_id
        )

    @classmethod
    def transient(
        cls,
        reason: str,
        *,
        retry_after: float | None = None,
        dm_channel_id: int | None = None,
    ) -> SendOutcome:
        return cls(
            SendStatus.TRANSIENT,
            reason=reason,
            retry_after=retry_after,
            dm_channel_id=dm_channel_id,
        )

    @classmethod
    def failed(
        cls, reason: str, *, forbidden: bool = False, dm_channel_id: int | None = None
    ) -> SendOutcome:
        return cls(
            SendStatus.FAILED, reason=reason, forbidden=forbidden, dm_channel_id=dm_channel_id
        )


# --- time -----------------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC (logged) for an unknown name (rows of older writers)."""
    return resolve_timezone(name)


local_date = timezones.local_date


def reminder_instant(day: dt.date, timezone: str | None, hour: int) -> dt.datetime:
    """``hour:00`` on local date ``day`` in ``timezone``, in UTC (DST: see the module doc)."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0–23, got {hour}")
    return timezones.local_instant(day, timezone, hour)


def next_reminder_at(
    now: dt.datetime,
    timezone: str | None,
    hour: int,
    *,
    reminded_on: dt.date | None = None,
    last_studied: dt.date | None = None,
) -> dt.datetime:
    """The reminder instant of the first local day, from today on, not yet covered.

    A day is covered when the user was reminded on it or studied on it (or on a later day:
    ``bot.progression.streaks`` lets ``last_activity_date`` run ahead of the local date after a move
    west). The result is in the past when today's hour has passed and today is not covered:
    the reminder is due now (a same-day catch-up). Streak and opt-in are not considered; the
    sweep checks them when the instant arrives.
    """
    one = dt.timedelta(days=1)
    day = max(
        [
            local_date(now, timezone),
            *(covered + one for covered in (reminded_on, last_studied) if covered is not None),
        ]
    )
    return reminder_instant(day, timezone, hour)


def is_due(state: ReminderState, now: dt.datetime) -> Decision:
    """Whether a reminder is due for ``state`` at ``now``, with the reason and what comes next.

    A claim whose lease expired (``reminded_on`` is today but ``lease_until <= now``: the
    process that claimed it died before it finished) does not count as reminded.
    """
    today = local_date(now, state.timezone)
    streak = effective_streak(state.streak, state.last_studied, today)
    if not state.enabled:
        return Decision(False, Reason.OFF, today, streak, None)
    if state.hour is None:
        return Decision(False, Reason.NO_HOUR, today, streak, None)
    hour = state.hour
    tomorrow = reminder_instant(today + dt.timedelta(days=1), state.timezone, hour)

    def later(reason: Reason, when: dt.datetime) -> Decision:
        return Decision(False, reason, today, streak, when)

    if state.reminded_on is not None and state.reminded_on >= today:
        expired = state.lease_until is not None and state.lease_until <= now
        if not expired:
            if state.lease_until is not None:
                return later(Reason.IN_FLIGHT, state.lease_until)
            return later(
                Reason.ALREADY_REMINDED,
                next_reminder_at(
                    now,
                    state.timezone,
                    hour,
                    reminded_on=state.reminded_on,
                    last_studied=state.last_studied,
                ),
            )
    if state.last_studied is not None and state.last_studied >= today:
        return later(
            Reason.STUDIED_TODAY,
            next_reminder_at(
                now,
                state.timezone,
                hour,
                reminded_on=state.reminded_on,
                last_studied=state.last_studied,
            ),
        )
    fire = reminder_instant(today, state.timezone, hour)
    if now < fire:
        return later(Reason.BEFORE_HOUR, fire)
    if streak < 1:
        return later(Reason.NO_STREAK, tomorrow)
    return Decision(True, Reason.DUE, today, streak, tomorrow)


def backoff_delay(
    attempt: int, *, base: float = 1.0, cap: float = 30.0, retry_after: float | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped; never
    shorter than a server-provided ``retry_after``."""
    delay = min(cap, base * (2.0 ** max(attempt - 1, 0)))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- the etiquette rule ---------------------------------------------------------------------


def is_final_reminder(unanswered: int) -> bool:
    """``unanswered`` reminders in a row were already sent that were not followed by study on
    their local day: is the one about to be sent the last before reminders pause?

    Only studying on a reminded day answers a reminder (``db.reminders.queries.on_study``); studying
    on other days neither resets nor advances the count, otherwise it could never pass 1 (a
    streak reminder needs study the day before)."""
    return unanswered + 1 >= ETIQUETTE_LIMIT


# --- text -----------------------------------------------------------------------------------


def exam_name(exam_type: str | None) -> str | None:
    return exam_label(exam_type) if exam_type in SHORT_NAMES else None


def reminder_text(
    streak: int, exam_type: str | None, *, final: bool, cards_due: int = 0
) -> str:
    """The DM: the streak at risk, the exam if known, the review cards due today, and the
    pause notice on the last one."""
    days = f"{streak}-day"
    exam = exam_name(exam_type)
    what = f"{days} {exam} streak" if exam else f"{days} study streak"
    lines = [f"🔥 Your {what} ends at midnight."]
    if cards_due > 0:
        cards = "1 review card is" if cards_due == 1 else f"{cards_due} review cards are"
        lines.append(f"{cards} due today — press the button to review them and keep it alive.")
    else:
        lines.append(
            f"A quick {QUIZ_QUESTIONS}-question quiz keeps it alive — press the button to start."
        )
    if final:
        lines.append(
            f"That's {ETIQUETTE_LIMIT} reminders in a row without a study session, so "
            "I'll stop reminding you; `/remind on` brings me back."
        )
    else:
        lines.append("-# `/remind off` stops these reminders.")
    return "\n".join(lines)


def nonce(user_id: int, day: dt.date) -> str:
    """The Discord message nonce of the reminder of ``user_id`` for local date ``day``.

    Sent with ``enforce_nonce``: a retry after an ambiguous failure (timeout, crash after the
    request) cannot create a second DM while Discord remembers the nonce. ≤ 25 characters.
    """
    if user_id < 0:
        raise ValueError("user_id must be positive")
    value = f"cqr{day.isoformat().replace('-', '')}{user_id}"  # the date part is 8 digits
    if len(value) > NONCE_MAX_LEN:
        raise ValueError(f"user id {user_id} is too long for a {NONCE_MAX_LEN}-char nonce")
    return value


def reason_text(reason: str | None) -> str | None:
    if reason is None:
        return None
    return _REASON_TEXT.get(reason, reason)


def _discord_time(when: dt.datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def format_status(status: ReminderStatus, now: dt.datetime) -> str:
    """The reply to ``/remind status`` (and to ``/remind on``/``off``)."""
    if not status.enabled:
        why = reason_text(status.disabled_reason)
        if why:
            return f"Reminders are **off**. {why}"
        return "Reminders are **off**. `/remind on` turns them on."
    hour = status.hour if status.hour is not None else DEFAULT_HOUR
    lines = [
        f"Reminders are **on**: at {hour:02d}:00 ({status.timezone}) on any day your streak "
        "is at risk."
    ]
    today = local_date(now, status.timezone)
    streak = effective_streak(status.streak, status.last_studied, today)
    if streak >= 1:
        lines.append(f"Current streak: {streak} day{'s' if streak != 1 else ''}.")
    else:
        lines.append("You have no streak right now — finish a quiz to start one.")
    if status.reminded_on is not None and status.reminded_on >= today:
        lines.append("You were already reminded today.")
    if status.next_at is not None:
        lines.append(f"Next check: {_discord_time(max(status.next_at, now), 'R')}.")
    left = ETIQUETTE_LIMIT - status.unanswered
    if status.unanswered and left > 0:
        lines.append(
            f"{left} more reminder{'s' if left != 1 else ''} without studying and I'll pause."
        )
    return "\n".join(lines)


OPT_IN_TEXT = (
    "Want a DM when your study streak is about to end? I'll remind you at "
    f"{DEFAULT_HOUR:02d}:00 your time, only on days you haven't studied. "
    "You can change the hour and time zone with `/remind on`, or stop with `/remind off`."
)


# --- settings input -------------------------------------------------------------------------


def validate_hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise InvalidInput("The hour must be between 0 and 23 (24-hour clock, your local time).")
    return hour


