"""Reminder queries: the due set, atomic claims with a lease, outcomes, settings.

The database is the scheduler. ``user_profiles.remind_next_at`` is the next instant at which
a user's reminder must be looked at; the due set is ``remind_enabled AND remind_next_at <=
now`` (index ``ix_user_profiles_remind_due``). A claim, in one transaction per batch:

1. ``UPDATE … SET remind_next_at = :lease_until WHERE user_id IN (SELECT … ORDER BY
   remind_next_at LIMIT :n [FOR UPDATE SKIP LOCKED]) AND <due> RETURNING …`` takes a batch
   out of the due set. On PostgreSQL concurrent sweeps skip each other's locked rows; on
   SQLite the statement takes the database write lock, so the rest of the transaction is
   serialized too.
2. The pure rules (``bot.reminders.rules.is_due``) decide per user, in Python, with the user's
   local date. Not due: ``remind_next_at`` moves to when to look again. Due:
   ``UPDATE … SET reminded_on = :today, remind_lease_until = :lease_until WHERE user_id IN
   (…) AND (reminded_on IS DISTINCT FROM :today OR remind_lease_until <= :now) RETURNING
   user_id`` — one statement per local date in the batch.

After the commit the sweep sends. Every outcome update is fenced by the lease
(``WHERE remind_lease_until = :lease_until``): a process whose lease expired (and whose users
another process re-claimed) cannot overwrite the newer claim. A process that dies after
claiming leaves ``reminded_on = today`` with a lease in the past and ``remind_next_at`` equal
to that lease, so the users come back into the due set when the lease expires and the next
sweep re-claims them (same nonce: Discord drops a duplicate it still remembers).

All datetimes are bound in UTC: SQLite stores them as text without an offset.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import dialect_name
from db.models import QuizAttempt, User, UserProfile
from db.reminders.records import (
    REASON_PAUSED,
    Reason,
    ReminderMessage,
    ReminderState,
)
from db.utc import as_aware, to_utc

log = logging.getLogger(__name__)

P = UserProfile
NO_SYNC: dict[str, Any] = {"synchronize_session": False}








def due_clause(now: dt.datetime) -> Any:
    return and_(P.remind_enabled == true(), P.remind_next_at <= to_utc(now))


CANDIDATE_COLUMNS = (
    P.user_id,
    P.remind_enabled,
    P.remind_hour,
    P.timezone,
    P.study_streak_current,
    P.last_activity_date,
    P.reminded_on,
    P.remind_lease_until,
    P.remind_unanswered,
    P.dm_channel_id,
    P.remind_next_at,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A row of the due set, with what the message needs from other tables."""

    user_id: int
    state: ReminderState
    unanswered: int
    dm_channel_id: int | None
    next_at: dt.datetime | None
    discord_id: int | None = None
    last_exam: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed reminder: send ``message``, then record the outcome with this claim."""

    message: ReminderMessage
    lease_until: dt.datetime
    """The lease, and the fencing token of every outcome update."""
    next_at: dt.datetime
    """``remind_next_at`` once today's reminder is done (tomorrow's reminder instant)."""
    timezone: str
    hour: int


@dataclass(slots=True)
class ClaimBatch:
    examined: int = 0
    """Rows taken out of the due set (0: the due set is empty, the sweep is done)."""
    claims: list[Claim] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    disabled: Counter[str] = field(default_factory=Counter)


def candidate_from_row(row: Sequence[Any]) -> Candidate:
    return Candidate(
        user_id=int(row[0]),
        state=ReminderState(
            enabled=bool(row[1]),
            hour=None if row[2] is None else int(row[2]),
            timezone=str(row[3] or "UTC"),
            streak=None if row[4] is None else int(row[4]),
            last_studied=row[5],
            reminded_on=row[6],
            lease_until=as_aware(row[7]),
        ),
        unanswered=int(row[8] or 0),
        dm_channel_id=None if row[9] is None else int(row[9]),
        next_at=as_aware(row[10]),
    )


async def with_accounts(session: AsyncSession, candidates: list[Candidate]) -> list[Candidate]:
    """Attach each candidate's Discord id and last completed quiz's exam (index
    ``ix_quiz_attempts_user_id_completed_at``)."""
    if not candidates:
        return candidates
    last_exam = (
        select(QuizAttempt.exam_type)
        .where(QuizAttempt.user_id == User.id, QuizAttempt.status == "completed")
        .order_by(QuizAttempt.completed_at.desc(), QuizAttempt.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    ids = [c.user_id for c in candidates]
    rows = await session.execute(
        select(User.id, User.discord_id, last_exam).where(User.id.in_(ids))
    )
    info = {int(r[0]): (r[1], r[2]) for r in rows}
    out = []
    for c in candidates:
        discord_id, exam = info.get(c.user_id, (None, None))
        out.append(
            Candidate(
                user_id=c.user_id,
                state=c.state,
                unanswered=c.unanswered,
                dm_channel_id=c.dm_channel_id,
                next_at=c.next_at,
                discord_id=None if discord_id is None else int(discord_id),
                last_exam=exam,
            )
        )
    return out






async def due_candidates(
    session: AsyncSession,
    *,
    now: dt.datetime,
    limit: int,
    after: tuple[dt.datetime, int] | None = None,
) -> list[Candidate]:
    """A read-only page of the due set in (remind_next_at, user_id) order (the dry run)."""
    stmt = select(*CANDIDATE_COLUMNS).where(due_clause(now))
    if after is not None:
        at, uid = to_utc(after[0]), after[1]
        stmt = stmt.where(or_(P.remind_next_at > at, and_(P.remind_next_at == at, P.user_id > uid)))
    stmt = stmt.order_by(P.remind_next_at, P.user_id).limit(limit)
    candidates = [candidate_from_row(r) for r in await session.execute(stmt)]
    return await with_accounts(session, candidates)


# --- outcomes (fenced by the lease) ---------------------------------------------------------


def _fenced(claim: Claim) -> Any:
    return and_(P.user_id == claim.message.user_id, P.remind_lease_until ==
    to_utc(claim.lease_until))


def _channel(dm_channel_id: int | None) -> Any:
    return P.dm_channel_id if dm_channel_id is None else dm_channel_id


async def _run_fenced(session: AsyncSession, claim: Claim, values: dict[str, Any]) -> bool:
    stmt = (
        update(P)
        .where(_fenced(claim))
        .values(**values)
        .returning(P.user_id)
        .execution_options(**NO_SYNC)
    )
    done = (await session.execute(stmt)).first() is not None
    if not done:
        log.warning(
            "a reminder claim was lost before its outcome was recorded",
            extra={"user_id": claim.message.user_id, "lease_until": claim.lease_until.isoformat()},
        )
    return done


async def mark_sent(
    session: AsyncSession, claim: Claim, *, dm_channel_id: int | None = None
) -> bool:
    """The DM went out: schedule tomorrow and count it toward the etiquette limit, unless the
    user already studied on the reminded day (then it was answered: the counter is 0). The
    last one (``claim.message.final``) pauses reminders, as that DM told the user."""
    enabled = P.remind_enabled == true()
    answered = and_(
        P.last_activity_date.is_not(None), P.last_activity_date >= claim.message.local_date
    )
    values: dict[str, Any] = {
        "remind_unanswered": case((answered, 0), else_=P.remind_unanswered + 1),
        "remind_lease_until": None,
        "dm_channel_id": _channel(dm_channel_id),
    }
    if claim.message.final:
        pause = and_(enabled, ~answered)
        values.update(
            remind_enabled=case((pause, False), else_=P.remind_enabled),
            remind_disabled_reason=case((pause, REASON_PAUSED), else_=P.remind_disabled_reason),
            remind_next_at=case((pause, None), (enabled, to_utc(claim.next_at)), else_=None),
        )
    else:
        values["remind_next_at"] = case((enabled, to_utc(claim.next_at)), else_=None)
    return await _run_fenced(session, claim, values)


async def mark_failed_permanent(
    session: AsyncSession, claim: Claim, reason: str, *, dm_channel_id: int | None = None
) -> bool:
    """The user cannot be reached: reminders off with ``reason`` (``/remind status`` shows it)."""
    return await _run_fenced(
        session,
        claim,
        {
            "remind_enabled": False,
            "remind_disabled_reason": reason[:200],
            "remind_next_at": None,
            "remind_lease_until": None,
            "dm_channel_id": _channel(dm_channel_id),
        },
    )


async def mark_gave_up(
    session: AsyncSession, claim: Claim, *, dm_channel_id: int | None = None
) -> bool:
    """Retries ran out: no reminder today (``reminded_on`` stays today), try again tomorrow."""
    enabled = P.remind_enabled == true()
    return await _run_fenced(
        session,
        claim,
        {
            "remind_next_at": case((enabled, to_utc(claim.next_at)), else_=None),
            "remind_lease_until": None,
            "dm_channel_id": _channel(dm_channel_id),
        },
    )


async def release(
    session: AsyncSession, claim: Claim, *, now: dt.datetime, dm_channel_id: int | None = None
) -> bool:
    """Give a claim back unsent (circuit breaker open, shutdown): the lease expires at ``now``
    and the user is due again, for the next sweep to re-claim — on the same local day only."""
    now = to_utc(now)
    enabled = P.remind_enabled == true()
    return await _run_fenced(
        session,
        claim,
        {
            "remind_lease_until": now,
            "remind_next_at": case((enabled, now), else_=None),
            "dm_channel_id": _channel(dm_channel_id),
        },
    )


# --- study, settings ------------------------------------------------------------------------


async def profile_state(
    session: AsyncSession, user_id: int, *, lock: bool = False
) -> tuple[ReminderState, int, dt.datetime | None, str | None] | None:
    stmt = select(
        P.remind_enabled,
        P.remind_hour,
        P.timezone,
        P.study_streak_current,
        P.last_activity_date,
        P.reminded_on,
        P.remind_lease_until,
        P.remind_unanswered,
        P.remind_next_at,
        P.remind_disabled_reason,
    ).where(P.user_id == user_id)
    if lock and dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    state = ReminderState(
        enabled=bool(row[0]),
        hour=None if row[1] is None else int(row[1]),
        timezone=str(row[2] or "UTC"),
        streak=None if row[3] is None else int(row[3]),
        last_studied=row[4],
        reminded_on=row[5],
        lease_until=as_aware(row[6]),
    )
    return state, int(row[7] or 0), as_aware(row[8]), row[9]












async def claim_opt_in_prompt(session: AsyncSession, user_id: int) -> bool:
    """True exactly once per user (atomically): ask them now whether they want reminders."""
    stmt = (
        update(P)
        .where(P.user_id == user_id, P.remind_prompted == false())
        .values(remind_prompted=True)
        .returning(P.user_id)
        .execution_options(**NO_SYNC)
    )
    return (await session.execute(stmt)).first() is not None


async def store_dm_channel(session: AsyncSession, user_id: int, channel_id: int) -> None:
    await session.execute(
        update(P)
        .where(P.user_id == user_id)
        .values(dm_channel_id=channel_id)
        .execution_options(**NO_SYNC)
    )


async def user_id_for_discord(session: AsyncSession, discord_id: int) -> int | None:
    row = (await session.execute(select(User.id).where(User.discord_id == discord_id))).first()
    return None if row is None else int(row[0])


__all__ = [
    "Candidate",
    "Claim",
    "ClaimBatch",
    "Reason",
    "claim_opt_in_prompt",
    "due_candidates",
    "mark_failed_permanent",
    "mark_gave_up",
    "mark_sent",
    "release",
    "store_dm_channel",
    "user_id_for_discord",
]
