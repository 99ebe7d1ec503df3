"""Reminder decisions over the database: the rules of ``bot.reminders.rules`` applied to what
``db.reminders.queries`` reads, and written back through it. Flush at most, never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import to_utc, utcnow
from bot.core.errors import NotFound
from bot.core.hooks import hooks
from bot.reminders.rules import (
    DEFAULT_HOUR,
    REASON_NO_DISCORD_ACCOUNT,
    Decision,
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
from db.reminders.queries import (
    CANDIDATE_COLUMNS,
    NO_SYNC,
    Candidate,
    Claim,
    ClaimBatch,
    P,
    candidate_from_row,
    due_clause,
    profile_state,
    with_accounts,
)

log = logging.getLogger(__name__)

NO_PROFILE = "You don't have a CertQuest profile yet — finish a quiz first."


def build_message(
    candidate: Candidate, decision: Decision, cards_due: int = 0
) -> ReminderMessage:
    if candidate.discord_id is None:
        raise ValueError("a reminder needs the user's Discord account")
    final = is_final_reminder(candidate.unanswered)
    return ReminderMessage(
        user_id=candidate.user_id,
        discord_id=candidate.discord_id,
        dm_channel_id=candidate.dm_channel_id,
        local_date=decision.local_date,
        streak=decision.streak,
        exam_type=candidate.last_exam,
        final=final,
        content=reminder_text(
            decision.streak, candidate.last_exam, final=final, cards_due=cards_due
        ),
        nonce=nonce(candidate.user_id, decision.local_date),
        cards_due=cards_due,
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
    now = to_utc(now)
    lease_until = now + lease
    pick = select(P.user_id).where(due_clause(now)).order_by(P.remind_next_at).limit(limit)
    if dialect_name(session) == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(P)
        .where(P.user_id.in_(pick), due_clause(now))
        .values(remind_next_at=lease_until)
        .returning(*CANDIDATE_COLUMNS)
        .execution_options(**NO_SYNC)
    )
    candidates = [candidate_from_row(r) for r in await session.execute(stmt)]
    batch = ClaimBatch(examined=len(candidates))
    if not candidates:
        return batch
    candidates = await with_accounts(session, candidates)

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
            nxt = None if decision.next_at is None else to_utc(decision.next_at)
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
    won: list[tuple[Candidate, Decision]] = []
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
            .execution_options(**NO_SYNC)
        )
        won.extend(by_id[int(user_id)] for user_id in claimed.scalars())
    # how many review cards each claimed member has due today (the review feature's count,
    # through bot.core.hooks; one query for the batch)
    due_cards = await hooks.cards_due(
        session, [(c.user_id, c.state.timezone) for c, _ in won], now
    )
    for c, d in won:
        if c.state.hour is None or d.next_at is None:
            raise RuntimeError(f"claimed reminder of user {c.user_id} has no hour or time")
        batch.claims.append(
            Claim(
                message=build_message(c, d, due_cards.get(c.user_id, 0)),
                lease_until=lease_until,
                next_at=d.next_at,
                timezone=c.state.timezone,
                hour=c.state.hour,
            )
        )
    batch.claims.sort(key=lambda cl: cl.message.user_id)
    return batch


def next_after_study(
    state: ReminderState, local_date: dt.date, now: dt.datetime
) -> dt.datetime | None:
    """``on_study``'s new ``remind_next_at``, or None when reminders are off (leave it).

    ``state.last_studied`` may be read before or after the finish moved ``last_activity_date``
    (the later of it and ``local_date`` counts). The quiz finalizer calls this directly to fold
    ``on_study`` into its one profile UPDATE (``db.quiz.finish``); the ``remind_unanswered`` reset
    goes with it (``CASE WHEN reminded_on = :local_date THEN 0 …``).
    """
    if not state.enabled or state.hour is None:
        return None
    last = max(d for d in (local_date, state.last_studied) if d is not None)
    return next_reminder_at(
        to_utc(now), state.timezone, state.hour, reminded_on=state.reminded_on, last_studied=last
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
    now = to_utc(now or utcnow())
    found = await profile_state(session, user_id)
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
        update(P).where(P.user_id == user_id).values(**values).execution_options(**NO_SYNC)
    )


async def get_status(session: AsyncSession, user_id: int) -> ReminderStatus:
    """``/remind status``. ``NotFound`` when the user has no profile yet."""
    found = await profile_state(session, user_id)
    if found is None:
        raise NotFound(NO_PROFILE)
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
    now = to_utc(now or utcnow())
    found = await profile_state(session, user_id, lock=True)
    if found is None:
        raise NotFound(NO_PROFILE)
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
            remind_next_at=to_utc(next_at),
            remind_disabled_reason=None,
            remind_unanswered=0,
            remind_prompted=True,
        )
        .execution_options(**NO_SYNC)
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
        .execution_options(**NO_SYNC)
    )
    if result.first() is None:
        raise NotFound(NO_PROFILE)
    return await get_status(session, user_id)


async def reschedule_for_timezone(
    session: AsyncSession, user_id: int, timezone: str, now: dt.datetime
) -> dt.datetime | None:
    """A member's time zone changed (``bot.core.hooks`` listener, same unit of work): when
    reminders are on, ``remind_next_at`` moves to the next reminder instant in the new zone,
    unless a sweep holds a live lease on the user (that send's outcome writes the next
    instant itself)."""
    found = await profile_state(session, user_id, lock=True)
    if found is None:
        return None
    state = found[0]
    in_flight = state.lease_until is not None and state.lease_until > to_utc(now)
    if not state.enabled or state.hour is None or in_flight:
        return None
    next_at = next_reminder_at(
        to_utc(now),
        timezone,
        state.hour,
        reminded_on=state.reminded_on,
        last_studied=state.last_studied,
    )
    await session.execute(
        update(P)
        .where(P.user_id == user_id)
        .values(remind_next_at=to_utc(next_at))
        .execution_options(**NO_SYNC)
    )
    log.info("reminder rescheduled for a new time zone", extra={"user_id": user_id})
    return next_at
