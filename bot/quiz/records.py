"""Quiz recording service: start an attempt, store answers at once, finish exactly once.

Every function takes the caller's ``AsyncSession`` first and never commits: one interaction
(or one batch of button clicks) is one transaction, owned by the cog's unit of work.

* ``record_answer`` / ``record_answers_bulk`` store each (attempt, question) at most once. A
  repeated click is a no-op that reports the *first* answer.
* ``finish_attempt`` claims the attempt with ``UPDATE … WHERE status = 'in_progress'``; a
  second, concurrent call gets ``status == "already_finished"`` and awards nothing.
* An attempt finished with no answers is deleted (``status == "discarded"``): no XP, no streak,
  no quiz counted. See docs/progression.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import require_aware
from bot.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.core.hooks import PracticeAnswer, PracticeOutcome, hooks
from bot.progression import awards
from bot.progression.achievements import UnlockedAchievement, UnlockedAvatar
from bot.progression.levels import XpBreakdown, level_for, quiz_xp
from bot.progression.streaks import StreakUpdate, apply_study, local_date
from db.accounts import queries as account_db
from db.leaderboards import queries as boards  # the boards follow every finish
from db.models import EXAM_TYPES, LETTERS
from db.progression import achievements as achievement_db
from db.quiz import attempts as attempt_db
from db.quiz import finish as finish_db
from db.quiz.attempts import AnswerRow, StoredAnswer

log = logging.getLogger(__name__)

MAX_QUESTIONS = 500

AnswerInput = AnswerRow
"""One answer to record: ``AnswerInput(attempt_id, user_id, question_id, user_answer,
correct_answer, time_spent_seconds, answered_at)`` (``answered_at`` time-zone aware)."""

RejectReason = Literal["no_such_quiz", "not_your_quiz", "quiz_closed"]
FinishStatus = Literal["finished", "already_finished", "discarded"]


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What happened to one answer.

    ``stored`` is True only for the call that stored it. Otherwise ``user_answer`` and
    ``is_correct`` describe the answer that *is* stored (the first one), or, when the answer was
    rejected (``rejected`` is set) and none is stored, the submitted one.
    """

    stored: bool
    user_answer: str
    is_correct: bool
    rejected: RejectReason | None = None


@dataclass(frozen=True, slots=True)
class FinishResult:
    """Everything a cog announces after a quiz.

    Announce only when ``status == "finished"``. ``"already_finished"`` means another call
    finished this attempt (its score fields are the stored ones, nothing was awarded now);
    ``"discarded"`` means the attempt had no answers and was deleted.
    """

    attempt_id: int
    status: FinishStatus
    user_id: int | None
    exam_type: str
    guild_id: int | None
    total_questions: int
    answered: int
    correct_answers: int
    score_percentage: float
    time_taken_seconds: int | None
    quiz_xp: XpBreakdown | None
    achievement_xp: int
    xp_gained: int
    total_xp: int
    old_level: int
    new_level: int
    streak: StreakUpdate | None
    achievements: tuple[UnlockedAchievement, ...] = ()
    avatars: tuple[UnlockedAvatar, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def already_finished(self) -> bool:
        return self.status == "already_finished"

    @property
    def discarded(self) -> bool:
        return self.status == "discarded"

    @property
    def perfect(self) -> bool:
        return self.total_questions > 0 and self.correct_answers == self.total_questions

    @property
    def level_ups(self) -> tuple[int, ...]:
        """Each level newly reached, in order (empty when the level did not change)."""
        return tuple(range(self.old_level + 1, self.new_level + 1))

    @property
    def leveled_up(self) -> bool:
        return self.new_level > self.old_level

    @property
    def streak_before(self) -> int:
        return self.streak.before if self.streak else 0

    @property
    def streak_after(self) -> int:
        return self.streak.after if self.streak else 0

    @property
    def streak_grew(self) -> bool:
        return bool(self.streak and self.streak.grew)

    @property
    def streak_reset(self) -> bool:
        return bool(self.streak and self.streak.reset)


async def start_attempt(
    session: AsyncSession,
    user_id: int,
    exam_type: str,
    total_questions: int,
    guild_id: int | None,
    now: dt.datetime,
) -> int:
    """Open an attempt (``status = 'in_progress'``) and return its id."""
    require_aware(now)
    if exam_type not in EXAM_TYPES:
        raise InvalidInput(f"Unknown exam {exam_type!r}; choose one of {', '.join(EXAM_TYPES)}.")
    if not 0 < total_questions <= MAX_QUESTIONS:
        raise InvalidInput(f"A quiz has between 1 and {MAX_QUESTIONS} questions.")
    return await attempt_db.insert_attempt(
        session,
        user_id=user_id,
        exam_type=exam_type,
        total_questions=total_questions,
        guild_id=guild_id,
        started_at=now,
    )


def _validate(answer: AnswerRow) -> None:
    if answer.user_answer not in LETTERS or answer.correct_answer not in LETTERS:
        raise InvalidInput("An answer is one of the letters A, B, C or D.")
    if answer.time_spent_seconds is not None and answer.time_spent_seconds < 0:
        raise InvalidInput("Time spent on a question cannot be negative.")
    require_aware(answer.answered_at)


async def record_answers_bulk(
    session: AsyncSession, answers: Sequence[AnswerInput]
) -> list[AnswerOutcome]:
    """Store many answers with one INSERT; one outcome per input, in input order.

    Per answer: stored once per (attempt, question); a repeat (in the database or earlier in
    the same batch) reports the first answer; an answer to a missing, someone else's or
    completed quiz is rejected (``rejected`` set), without failing the rest of the batch.
    """
    for a in answers:
        _validate(a)
    attempts = await attempt_db.share_lock_attempts(session, (a.attempt_id for a in answers))

    def reason(a: AnswerRow) -> RejectReason | None:
        state = attempts.get(a.attempt_id)
        if state is None:
            return "no_such_quiz"
        if state.user_id != a.user_id:
            return "not_your_quiz"
        return None if state.status == attempt_db.IN_PROGRESS else "quiz_closed"

    to_insert: dict[tuple[int, int], AnswerRow] = {}
    for a in answers:
        if reason(a) is None:
            to_insert.setdefault(a.key, a)
    inserted = await attempt_db.insert_answers(session, list(to_insert.values()))
    if inserted:
        await _count_objectives(session, [to_insert[k] for k in inserted], attempts)
    lookup = {a.key for a in answers if reason(a) in (None, "quiz_closed")} - inserted.keys()
    existing = await attempt_db.existing_answers(session, lookup)

    outcomes: list[AnswerOutcome] = []
    reported: set[tuple[int, int]] = set()
    for a in answers:
        why = reason(a)
        stored: StoredAnswer | None = inserted.get(a.key) or existing.get(a.key)
        if why == "no_such_quiz" or why == "not_your_quiz":
            outcomes.append(AnswerOutcome(False, a.user_answer, a.is_correct, why))
        elif stored is None:
            if why is None:  # cannot happen: the conflicting row is committed before we read
                log.warning("an answer was neither stored nor found", extra={"key": str(a.key)})
            outcomes.append(AnswerOutcome(False, a.user_answer, a.is_correct, why or "quiz_closed"))
        else:
            first = a.key in inserted and a.key not in reported
            reported.add(a.key)
            outcomes.append(AnswerOutcome(first, stored.user_answer, stored.is_correct))
    return outcomes


async def _count_objectives(
    session: AsyncSession,
    rows: Sequence[AnswerRow],
    attempts: dict[int, attempt_db.AttemptState],
) -> None:
    """Per-objective answer counts (the leaderboards module's hook) for newly stored answers."""
    objectives = await attempt_db.question_objectives(session, (r.question_id for r in rows))

    await boards.record_answers_stats(
        session,
        [
            (
                r.user_id,
                attempts[r.attempt_id].exam_type,
                objectives.get(r.question_id),
                r.is_correct,
            )
            for r in rows
        ],
    )


async def record_answer(
    session: AsyncSession,
    attempt_id: int,
    user_id: int,
    question_id: int,
    user_answer: str,
    correct_answer: str,
    time_spent_seconds: int | None,
    now: dt.datetime,
) -> AnswerOutcome:
    """Store one answer at once (see :func:`record_answers_bulk`).

    Raises ``NotFound`` / ``NotAllowed`` / ``Conflict`` for a missing quiz, someone else's
    quiz, or a quiz already completed (unless that question was answered before: then the
    first answer is reported as for any repeat).
    """
    row = AnswerRow(
        attempt_id, user_id, question_id, user_answer, correct_answer, time_spent_seconds, now
    )
    (outcome,) = await record_answers_bulk(session, [row])
    if outcome.rejected == "no_such_quiz":
        raise NotFound("That quiz no longer exists.")
    if outcome.rejected == "not_your_quiz":
        raise NotAllowed("Only the person taking this quiz can answer it.")
    if outcome.rejected == "quiz_closed":
        raise Conflict("This quiz is already over; that answer was not recorded.")
    return outcome


def _elapsed_seconds(started_at: dt.datetime | None, now: dt.datetime) -> int | None:
    if started_at is None:
        return None
    return max(int((now - started_at).total_seconds()), 0)


async def finish_attempt(
    session: AsyncSession,
    attempt_id: int,
    now: dt.datetime,
    tz: str | None = None,
    *,
    questions_asked: int | None = None,
) -> FinishResult:
    """Finalize an attempt exactly once, in the caller's transaction.

    ``tz`` overrides the profile's time zone for the study day. The quiz's total is the number
    of questions asked: ``questions_asked`` when given, else the attempt's ``total_questions``
    (set at start; a quiz stopped early passes ``questions_asked`` or lowers it first), and
    never less than the number answered. Unanswered questions count as wrong.
    """
    require_aware(now)
    claimed = await attempt_db.claim_attempt(session, attempt_id, now)
    if claimed is None:
        return await _already_finished(session, attempt_id)
    user_id = claimed.user_id
    # the profile lock and the answer totals in one statement (db/quiz/finish.py says why it may)
    locked = await finish_db.lock_for_finish(session, user_id, attempt_id) if user_id else None
    totals = locked.totals if locked else await attempt_db.answer_totals(session, attempt_id)
    if totals.answered == 0 or user_id is None:
        await attempt_db.delete_attempt(session, attempt_id)
        log.info("an attempt had no answers; discarded", extra={"attempt_id": attempt_id})
        return FinishResult(
            attempt_id=attempt_id,
            status="discarded",
            user_id=claimed.user_id,
            exam_type=claimed.exam_type,
            guild_id=claimed.guild_id,
            total_questions=0,
            answered=0,
            correct_answers=0,
            score_percentage=0.0,
            time_taken_seconds=None,
            quiz_xp=None,
            achievement_xp=0,
            xp_gained=0,
            total_xp=0,
            old_level=1,
            new_level=1,
            streak=None,
        )
    if locked is None:
        await account_db.ensure_profile(session, user_id)
        locked = await finish_db.lock_for_finish(session, user_id, attempt_id)
        if locked is None:
            raise RuntimeError(f"attempt {attempt_id} of user {user_id} can't be locked to finish")
    profile = locked.profile

    study_day = local_date(now, tz or profile.timezone)
    streak = apply_study(
        profile.streak_current,
        profile.streak_longest,
        profile.last_activity_date,
        study_day,
    )
    asked = questions_asked if questions_asked is not None else claimed.total_questions
    total = max(totals.answered, asked)
    correct = totals.correct
    score = correct * 100.0 / total
    xp = quiz_xp(correct, total, streak.after)
    time_taken = totals.time_spent_total
    if time_taken is None:
        time_taken = _elapsed_seconds(claimed.started_at, now)
    await attempt_db.complete_attempt(
        session,
        attempt_id,
        total_questions=total,
        correct_answers=correct,
        score_percentage=score,
        time_taken_seconds=time_taken,
        xp_earned=xp.total,
    )
    # Achievements see the profile as the quiz leaves it: the row is locked, so its XP will be
    # the locked XP plus this quiz's; the profile itself is written once, below.
    inputs = await achievement_db.gather_award_inputs(session, user_id)
    if inputs is None:  # the profile exists: it is locked
        raise RuntimeError(f"user {user_id} has no profile while finishing a quiz")
    stats = replace(
        inputs.stats,
        xp=profile.xp + xp.total,
        streak_current=streak.after,
        streak_longest=streak.longest_after,
    )
    awarded = await awards.unlock_earned(
        session, user_id, now, replace(inputs, stats=stats)
    )
    xp_gained = xp.total + awarded.xp_awarded
    if awarded.xp_awarded:
        await attempt_db.set_attempt_xp(session, attempt_id, xp_gained)
    # the study answers any reminder of the day and moves the next one (the reminders
    # feature's rule, bot.reminders.store.next_after_study, registered in bot.core.hooks)
    next_reminder = hooks.next_reminder_after_study
    next_remind_at = (
        None
        if next_reminder is None
        else next_reminder(
            replace(locked.reminders, last_studied=streak.last_date_after), study_day, now
        )
    )
    total_xp = await finish_db.store_finish(
        session,
        user_id,
        xp_gain=xp_gained,
        answered=totals.answered,
        streak=streak,
        level=level_for(awarded.total_xp),
        study_day=study_day,
        next_remind_at=next_remind_at,
    )
    new_level = level_for(total_xp)
    if total_xp != awarded.total_xp:  # cannot happen while the row is locked; stay correct
        log.warning(
            "XP differs from the expected total",
            extra={"user_id": user_id, "xp": total_xp, "expected": awarded.total_xp},
        )
        await account_db.set_level(session, user_id, new_level)


    await boards.record_progress(
        session,
        user_id=user_id,
        guild_id=claimed.guild_id,
        exam_type=claimed.exam_type,
        xp_gained=xp_gained,
        total_xp=total_xp,
        score_percentage=score,
        streak_current=streak.after,
        when=now,
    )
    return FinishResult(
        attempt_id=attempt_id,
        status="finished",
        user_id=user_id,
        exam_type=claimed.exam_type,
        guild_id=claimed.guild_id,
        total_questions=total,
        answered=totals.answered,
        correct_answers=correct,
        score_percentage=score,
        time_taken_seconds=time_taken,
        quiz_xp=xp,
        achievement_xp=awarded.xp_awarded,
        xp_gained=xp_gained,
        total_xp=total_xp,
        old_level=level_for(profile.xp),
        new_level=new_level,
        streak=streak,
        achievements=awarded.achievements,
        avatars=awarded.avatars,
    )


async def _already_finished(session: AsyncSession, attempt_id: int) -> FinishResult:
    row = await attempt_db.get_attempt(session, attempt_id)
    if row is None:
        raise NotFound("That quiz no longer exists.")
    account = await account_db.find_by_user_id(session, row.user_id) if row.user_id else None
    xp = account.xp if account else 0
    totals = await attempt_db.answer_totals(session, attempt_id)
    return FinishResult(
        attempt_id=attempt_id,
        status="already_finished",
        user_id=row.user_id,
        exam_type=row.exam_type,
        guild_id=row.guild_id,
        total_questions=row.total_questions,
        answered=totals.answered,
        correct_answers=row.correct_answers,
        score_percentage=row.score_percentage,
        time_taken_seconds=row.time_taken_seconds,
        quiz_xp=None,
        achievement_xp=0,
        xp_gained=0,
        total_xp=xp,
        old_level=level_for(xp),
        new_level=level_for(xp),
        streak=None,
    )


async def record_practice(
    session: AsyncSession,
    *,
    user_id: int,
    exam_type: str,
    questions: int,
    answers: Sequence[PracticeAnswer],
    started_at: dt.datetime,
    now: dt.datetime,
) -> PracticeOutcome | None:
    """``hooks.practice_recorder``: answers given outside a quiz (a mock exam) become one
    attempt of ``questions`` questions, finished at once: XP, streak, achievements and boards
    exactly as a solo quiz of the same answers. None when there are no answers (nothing is
    stored)."""
    if not answers:
        return None
    attempt_id = await start_attempt(session, user_id, exam_type, questions, None, started_at)
    await record_answers_bulk(
        session,
        [
            AnswerRow(
                attempt_id=attempt_id,
                user_id=user_id,
                question_id=a.question_id,
                user_answer=a.chosen,
                correct_answer=a.correct,
                time_spent_seconds=None,
                answered_at=a.answered_at,
            )
            for a in answers
        ],
    )
    result = await finish_attempt(session, attempt_id, now, questions_asked=questions)
    if not result.finished:
        return None
    return PracticeOutcome(
        xp_gained=result.xp_gained,
        level=result.new_level,
        leveled_up=result.leveled_up,
        streak=result.streak.after if result.streak else 0,
    )
