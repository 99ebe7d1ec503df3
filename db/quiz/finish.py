"""The quiz finalizer's profile statements (``bot.quiz.records.finish_attempt``).

Finishing a quiz used to read and write the user's profile row in six statements (lock,
``apply_quiz``, ``add_xp``, ``set_level``, ``on_study``'s read and write). Here it is two, both
built once (Core, no ORM) and executed with parameters:

* :func:`lock_for_finish` reads the profile ``FOR UPDATE`` with its reminder settings and the
  attempt's answer totals. The totals may share the statement: the attempt is claimed (row
  locked) before, so no answer can be added to it any more, and this statement's snapshot is
  taken after the claim.
* :func:`store_finish` moves XP (``xp = xp + :gain``, atomic), the quiz counters, the streak,
  the level and the reminder state (``on_study``'s rules, ``db.reminders.queries.next_after_study``)
  in one UPDATE.

Flush at most, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Integer, bindparam, case, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.accounts.queries import LockedProfile
from db.base import UtcDateTime
from db.models import UserAnswer, UserProfile
from db.progression.records import StreakUpdate
from db.quiz.attempts import AnswerTotals
from db.reminders.records import ReminderState

_PROFILES: Any = UserProfile.__table__
_P: Any = _PROFILES.c
_UA: Any = UserAnswer.__table__.c

_TOTALS = (
    select(
        func.count(_UA.id).label("answered"),
        func.coalesce(func.sum(case((_UA.is_correct, 1), else_=0)), 0).label("correct"),
        func.sum(_UA.time_spent_seconds).label("spent"),
    )
    .where(_UA.quiz_attempt_id == bindparam("attempt_id"))
    .subquery("totals")
)

_LOCK = (
    select(
        _P.user_id,
        _P.xp,
        _P.level,
        _P.study_streak_current,
        _P.study_streak_longest,
        _P.total_exams_taken,
        _P.total_questions_answered,
        _P.last_activity_date,
        _P.timezone,
        _P.selected_avatar_id,
        _P.remind_enabled,
        _P.remind_hour,
        _P.reminded_on,
        _TOTALS.c.answered,
        _TOTALS.c.correct,
        _TOTALS.c.spent,
    )
    .select_from(UserProfile.__table__.join(_TOTALS, true()))
    .where(_P.user_id == bindparam("user_id"))
    .with_for_update(of=UserProfile.__table__)
)


@dataclass(frozen=True, slots=True)
class FinishLock:
    profile: LockedProfile
    reminders: ReminderState
    totals: AnswerTotals


async def lock_for_finish(
    session: AsyncSession, user_id: int, attempt_id: int
) -> FinishLock | None:
    """The profile, locked, with its reminder state and the answer totals of ``attempt_id``
    (claimed by this transaction); None when the user has no profile."""
    row = (await session.execute(_LOCK, {"user_id": user_id, "attempt_id": attempt_id})).first()
    if row is None:
        return None
    profile = LockedProfile(
        user_id=int(row.user_id),
        xp=int(row.xp or 0),
        level=int(row.level or 1),
        streak_current=int(row.study_streak_current or 0),
        streak_longest=int(row.study_streak_longest or 0),
        total_exams_taken=int(row.total_exams_taken or 0),
        total_questions_answered=int(row.total_questions_answered or 0),
        last_activity_date=row.last_activity_date,
        timezone=str(row.timezone or "UTC"),
        selected_avatar_id=row.selected_avatar_id,
    )
    reminders = ReminderState(
        enabled=bool(row.remind_enabled),
        hour=None if row.remind_hour is None else int(row.remind_hour),
        timezone=profile.timezone,
        streak=None if row.study_streak_current is None else int(row.study_streak_current),
        last_studied=row.last_activity_date,
        reminded_on=row.reminded_on,
    )
    totals = AnswerTotals(
        int(row.answered), int(row.correct), None if row.spent is None else int(row.spent)
    )
    return FinishLock(profile, reminders, totals)


_STORE = (
    update(_PROFILES)
    .where(_P.user_id == bindparam("user_id_"))
    .values(
        xp=_P.xp + bindparam("xp_gain", type_=Integer),
        total_exams_taken=func.coalesce(_P.total_exams_taken, 0) + 1,
        total_questions_answered=func.coalesce(_P.total_questions_answered, 0)
        + bindparam("answered", type_=Integer),
        study_streak_current=bindparam("streak_after", type_=Integer),
        study_streak_longest=bindparam("longest_after", type_=Integer),
        last_activity_date=bindparam("last_date_after", type_=Date),
        level=bindparam("level_", type_=Integer),
        # db.reminders.queries.on_study: studying on a reminded day answers the reminder
        remind_unanswered=case(
            (_P.reminded_on == bindparam("study_day", type_=Date), 0),
            else_=_P.remind_unanswered,
        ),
        remind_next_at=func.coalesce(
            bindparam("next_remind_at", type_=UtcDateTime()), _P.remind_next_at
        ),
    )
    .returning(_P.xp)
)


async def store_finish(
    session: AsyncSession,
    user_id: int,
    *,
    xp_gain: int,
    answered: int,
    streak: StreakUpdate,
    level: int,
    study_day: dt.date,
    next_remind_at: dt.datetime | None,
) -> int:
    """Add a finished quiz to the (locked) profile in one UPDATE; returns the new total XP.

    ``level`` is the level of the expected total (the locked XP plus ``xp_gain``);
    ``next_remind_at`` None leaves ``remind_next_at`` as it is (reminders off).
    """
    params = {
        "user_id_": user_id,
        "xp_gain": xp_gain,
        "answered": answered,
        "streak_after": streak.after,
        "longest_after": streak.longest_after,
        "last_date_after": streak.last_date_after,
        "level_": level,
        "study_day": study_day,
        "next_remind_at": next_remind_at,
    }
    return int((await session.execute(_STORE, params)).scalar_one())
