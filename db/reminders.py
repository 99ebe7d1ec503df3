"""Reminder queries: the due set, atomic claims with a lease, outcomes, settings.

The database is the scheduler. ``user_profiles.remind_next_at`` is the next instant at which
a user's reminder must be looked at; the due set is ``remind_enabled AND remind_next_at <=
now`` (index ``ix_user_profiles_remind_due``). A claim, in one transaction per batch:

1. ``UPDATE … SET remind_next_at = :lease_until WHERE user_id IN (SELECT … ORDER BY
   remind_next_at LIMIT :n [FOR UPDATE SKIP LOCKED]) AND <due> RETURNING …`` takes a batch
   out of the due set. On PostgreSQL concurrent sweeps skip each other's locked rows; on
   SQLite the statement takes the database write lock, so the rest of the transaction is
   serialized too.
2. The pure rules (``bot.reminders.is_due``) decide per user, in Python, with the user's
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
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.reminders import (
    DEFAULT_HOUR,
    REASON_NO_DISCORD_ACCOUNT,
    REASON_PAUSED,
    Decision,
    Reason,
    ReminderMessage,
    ReminderState,
    ReminderStatus,
    is_due,
    is_final_reminder,
    next_reminder_at,
    nonce,
    reminder_text,
    validate_hour,
    validate_timezone,
)
from db.dialect import dialect_name
from db.models import QuizAttempt, User, UserProfile

log = logging.getLogger(__name__)

P = UserProfile
_NO_SYNC: dict[str, Any] = {"synchronize_session": False}


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("datetimes must be time-zone aware")
    return when.astimezone(dt.UTC)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    """A datetime read back: aware UTC (SQLite returns naive UTC)."""
    if when is None:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _due(now: dt.datetime) -> Any:
    return and_(P.remind_enabled == true(), P.remind_next_at <= _utc(now))


_CANDIDATE_COLUMNS = (
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


def _candidate(row: Sequence[Any]) -> Candidate:
    return Candidate(
        user_id=int(row[0]),
        state=ReminderState(
            enabled=bool(row[1]),
            hour=None if row[2] is None else int(row[2]),
            timezone=str(row[3] or "UTC"),
            streak=None if row[4] is None else int(row[4]),
            last_studied=row[5],
            reminded_on=row[6],
            lease_until=_aware(row[7]),
        ),
        unanswered=int(row[8] or 0),
        dm_channel_id=None if row[9] is None else int(row[9]),
        next_at=_aware(row[10]),
    )


async def _with_accounts(session: AsyncSession, candidates: list[Candidate]) -> list[Candidate]:
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


def build_message(candidate: Candidate, decision: Decision) -> ReminderMessage:
    assert candidate.discord_id is not None
    final = is_final_reminder(candidate.unanswered)
    return ReminderMessage(
        user_id=candidate.user_id,
        discord_id=candidate.discord_id,
        dm_channel_id=candidate.dm_channel_id,
        local_date=decision.local_date,
        streak=decision.streak,
        exam_type=candidate.last_exam,
        final=final,
        content=reminder_text(decision.streak, candidate.last_exam, final=final),
        nonce=nonce(candidate.user_id, decision.local_date),
    )


async def claim_batch(
    session: AsyncSession, *, now: dt.datetime, limit: int, lease: dt.timedelta
) -> ClaimBatch:
    """Take up to ``limit`` users out of the due set and claim the ones whose reminder is due.

    Run it in its own transaction and commit before sending (claim-before-send). Every
    examined row leaves the due set (its ``remind_next_at`` moves past ``now``), so repeated
    calls make progress and end with ``examined == 0``.
    """
    if lease <= dt.timedelta(0):
        raise ValueError("lease must be positive")
    now = _utc(now)
    lease_until = now + lease
    pick = select(P.user_id).where(_due(now)).order_by(P.remind_next_at).limit(limit)
    if dialect_name(session) == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(P)
        .where(P.user_id.in_(pick), _due(now))
        .values(remind_next_at=lease_until)
        .returning(*_CANDIDATE_COLUMNS)
        .execution_options(**_NO_SYNC)
    )
    candidates = [_candidate(r) for r in await session.execute(stmt)]
    batch = ClaimBatch(examined=len(candidates))
    if not candidates:
        return batch
    candidates = await _with_accounts(session, candidates)

    later: list[dict[str, Any]] = []
    disable: list[dict[str, Any]] = []
    due: dict[dt.date, list[tuple[Candidate, Decision]]] = {}
    for c in candidates:
        decision = is_due(c.state, now)
        if decision.due and c.discord_id is None:
            batch.disabled[REASON_NO_DISCORD_ACCOUNT] += 1
            disable.append({"b_uid": c.user_id, "b_reason": REASON_NO_DISCORD_ACCOUNT})
        elif decision.due:
            due.setdefault(decision.local_date, []).append((c, decision))
        else:
            batch.skipped[decision.reason.value] += 1
            nxt = None if decision.next_at is None else _utc(decision.next_at)
            later.append({"b_uid": c.user_id, "b_next": nxt})

    table = cast(Table, P.__table__)
    if later:
        await session.execute(
            update(table)
            .where(table.c.user_id == bindparam("b_uid"))
            .values(remind_next_at=bindparam("b_next"), remind_lease_until=None),
            later,
        )
    if disable:
        await session.execute(
            update(table)
            .where(table.c.user_id == bindparam("b_uid"))
            .values(
                remind_enabled=False,
                remind_disabled_reason=bindparam("b_reason"),
                remind_next_at=None,
                remind_lease_until=None,
            ),
            disable,
        )
    for day, group in due.items():
        by_id = {c.user_id: (c, d) for c, d in group}
        claimed = await session.execute(
            update(P)
            .where(
                P.user_id.in_(list(by_id)),
                or_(P.reminded_on.is_distinct_from(day), P.remind_lease_until <= now),
            )
            .values(reminded_on=day, remind_lease_until=lease_until)
            .returning(P.user_id)
            .execution_options(**_NO_SYNC)
        )
        for user_id in claimed.scalars():
            c, d = by_id[int(user_id)]
            assert c.state.hour is not None and d.next_at is not None
            batch.claims.append(
                Claim(
                    message=build_message(c, d),
                    lease_until=lease_until,
                    next_at=d.next_at,
                    timezone=c.state.timezone,
                    hour=c.state.hour,
                )
            )
    batch.claims.sort(key=lambda cl: cl.message.user_id)
    return batch


async def due_candidates(
    session: AsyncSession,
    *,
    now: dt.datetime,
    limit: int,
    after: tuple[dt.datetime, int] | None = None,
) -> list[Candidate]:
    """A read-only page of the due set in (remind_next_at, user_id) order (the dry run)."""
    stmt = select(*_CANDIDATE_COLUMNS).where(_due(now))
    if after is not None:
        at, uid = _utc(after[0]), after[1]
        stmt = stmt.where(or_(P.remind_next_at > at, and_(P.remind_next_at == at, P.user_id > uid)))
    stmt = stmt.order_by(P.remind_next_at, P.user_id).limit(limit)
    candidates = [_candidate(r) for r in await session.execute(stmt)]
    return await _with_accounts(session, candidates)


# --- outcomes (fenced by the lease) ---------------------------------------------------------


def _fenced(claim: Claim) -> Any:
    return and_(P.user_id == claim.message.user_id, P.remind_lease_until == _utc(claim.lease_until))


def _channel(dm_channel_id: int | None) -> Any:
    return P.dm_channel_id if dm_channel_id is None else dm_channel_id


async def _run_fenced(session: AsyncSession, claim: Claim, values: dict[str, Any]) -> bool:
    stmt = (
        update(P)
        .where(_fenced(claim))
        .values(**values)
        .returning(P.user_id)
        .execution_options(**_NO_SYNC)
    )
    done = (await session.execute(stmt)).first() is not None
    if not done:
        log.warning(
            "reminder claim of user %s (lease %s) was lost before its outcome was recorded",
            claim.message.user_id,
            claim.lease_until.isoformat(),
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
            remind_next_at=case((pause, None), (enabled, _utc(claim.next_at)), else_=None),
        )
    else:
        values["remind_next_at"] = case((enabled, _utc(claim.next_at)), else_=None)
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
            "remind_next_at": case((enabled, _utc(claim.next_at)), else_=None),
            "remind_lease_until": None,
            "dm_channel_id": _channel(dm_channel_id),
        },
    )


async def release(
    session: AsyncSession, claim: Claim, *, now: dt.datetime, dm_channel_id: int | None = None
) -> bool:
    """Give a claim back unsent (circuit breaker open, shutdown): the lease expires at ``now``
    and the user is due again, for the next sweep to re-claim — on the same local day only."""
    now = _utc(now)
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


async def _profile_state(
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
        lease_until=_aware(row[6]),
    )
    return state, int(row[7] or 0), _aware(row[8]), row[9]


def next_after_study(
    state: ReminderState, local_date: dt.date, now: dt.datetime
) -> dt.datetime | None:
    """``on_study``'s new ``remind_next_at``, or None when reminders are off (leave it).

    ``state.last_studied`` may be read before or after the finish moved ``last_activity_date``
    (the later of it and ``local_date`` counts). The quiz finalizer calls this directly to fold
    ``on_study`` into its one profile UPDATE (``db.finish``); the ``remind_unanswered`` reset
    goes with it (``CASE WHEN reminded_on = :local_date THEN 0 …``).
    """
    if not state.enabled or state.hour is None:
        return None
    last = max(d for d in (local_date, state.last_studied) if d is not None)
    return next_reminder_at(
        _utc(now), state.timezone, state.hour, reminded_on=state.reminded_on, last_studied=last
    )


async def on_study(
    session: AsyncSession, user_id: int, local_date: dt.date, *, now: dt.datetime | None = None
) -> None:
    """The user studied on their local date ``local_date``.

    If they were reminded that day, the reminder was answered: the etiquette counter goes
    back to 0 (the counter counts reminders in a row *not followed by study on their day*;
    studying on a day without a reminder neither resets nor advances it, otherwise a
    streak reminder — which needs study the day before — could never be ignored twice in a
    row). If reminders are on, ``remind_next_at`` moves to the next day not yet studied or
    reminded. A paused user stays paused (``/remind on``).

    Call it in the quiz finalizer's transaction, after or before ``last_activity_date`` is
    updated (``local_date`` is used either way).
    """
    now = _utc(now or _now())
    found = await _profile_state(session, user_id)
    if found is None:
        return
    state = found[0]
    values: dict[str, Any] = {
        "remind_unanswered": case((P.reminded_on == local_date, 0), else_=P.remind_unanswered)
    }
    next_at = next_after_study(state, local_date, now)
    if next_at is not None:
        values["remind_next_at"] = next_at
    await session.execute(
        update(P).where(P.user_id == user_id).values(**values).execution_options(**_NO_SYNC)
    )


async def get_status(session: AsyncSession, user_id: int) -> ReminderStatus:
    """``/remind status``. ``NotFound`` when the user has no profile yet."""
    found = await _profile_state(session, user_id)
    if found is None:
        raise NotFound("You don't have a CertQuest profile yet — finish a quiz first.")
    state, unanswered, next_at, reason = found
    return ReminderStatus(
        enabled=state.enabled,
        hour=state.hour,
        timezone=state.timezone,
        next_at=next_at if state.enabled else None,
        disabled_reason=reason,
        reminded_on=state.reminded_on,
        streak=state.streak,
        last_studied=state.last_studied,
        unanswered=unanswered,
    )


async def enable(
    session: AsyncSession,
    user_id: int,
    *,
    hour: int | None = None,
    timezone: str | None = None,
    now: dt.datetime | None = None,
) -> ReminderStatus:
    """``/remind on [hour] [timezone]``: validate (``InvalidInput``), switch on, clear the
    stored reason and the etiquette counter, schedule. ``hour`` defaults to the stored one
    (else 19), ``timezone`` to the profile's (it is the profile's study-day zone too)."""
    now = _utc(now or _now())
    found = await _profile_state(session, user_id, lock=True)
    if found is None:
        raise NotFound("You don't have a CertQuest profile yet — finish a quiz first.")
    state = found[0]
    if hour is not None:
        new_hour = validate_hour(hour)
    else:
        new_hour = state.hour if state.hour is not None else DEFAULT_HOUR
    tz = validate_timezone(timezone) if timezone is not None else state.timezone
    next_at = next_reminder_at(
        now, tz, new_hour, reminded_on=state.reminded_on, last_studied=state.last_studied
    )
    await session.execute(
        update(P)
        .where(P.user_id == user_id)
        .values(
            remind_enabled=True,
            remind_hour=new_hour,
            timezone=tz,
            remind_next_at=_utc(next_at),
            remind_disabled_reason=None,
            remind_unanswered=0,
            remind_prompted=True,
        )
        .execution_options(**_NO_SYNC)
    )
    return await get_status(session, user_id)


async def disable(session: AsyncSession, user_id: int) -> ReminderStatus:
    """``/remind off``: off, no reason (the user chose it)."""
    result = await session.execute(
        update(P)
        .where(P.user_id == user_id)
        .values(
            remind_enabled=False,
            remind_next_at=None,
            remind_disabled_reason=None,
            remind_prompted=True,
        )
        .returning(P.user_id)
        .execution_options(**_NO_SYNC)
    )
    if result.first() is None:
        raise NotFound("You don't have a CertQuest profile yet — finish a quiz first.")
    return await get_status(session, user_id)


async def claim_opt_in_prompt(session: AsyncSession, user_id: int) -> bool:
    """True exactly once per user (atomically): ask them now whether they want reminders."""
    stmt = (
        update(P)
        .where(P.user_id == user_id, P.remind_prompted == false())
        .values(remind_prompted=True)
        .returning(P.user_id)
        .execution_options(**_NO_SYNC)
    )
    return (await session.execute(stmt)).first() is not None


async def store_dm_channel(session: AsyncSession, user_id: int, channel_id: int) -> None:
    await session.execute(
        update(P)
        .where(P.user_id == user_id)
        .values(dm_channel_id=channel_id)
        .execution_options(**_NO_SYNC)
    )


async def user_id_for_discord(session: AsyncSession, discord_id: int) -> int | None:
    row = (await session.execute(select(User.id).where(User.discord_id == discord_id))).first()
    return None if row is None else int(row[0])


__all__ = [
    "Candidate",
    "Claim",
    "ClaimBatch",
    "Reason",
    "build_message",
    "claim_batch",
    "claim_opt_in_prompt",
    "disable",
    "due_candidates",
    "enable",
    "get_status",
    "mark_failed_permanent",
    "mark_gave_up",
    "mark_sent",
    "next_after_study",
    "on_study",
    "release",
    "store_dm_channel",
    "user_id_for_discord",
]
