"""Mock exams: start or resume a member's sitting, move through it, end it exactly once
(submitted, or timed out by the sweep), and show the result and every answer afterwards.

Every call is one unit of work of the caller's; none commits. A sitting's whole state is in
the database (``db.mockexam``), so any process, after any restart, serves any click: a button
names its sitting and question, and the time left is the stored deadline minus now.
Ending claims the sitting with a conditional UPDATE in the same transaction that scores it,
records it as a finished attempt (``hooks.practice_recorder``: XP, streak, /stats, readiness)
and hands its answers to the review deck (``hooks.answers_final``), so a sitting is scored
once however many clicks and sweeps race for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.service import get_or_create_account
from bot.core.clock import to_utc
from bot.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.core.events import FinalAnswer
from bot.core.hooks import PracticeAnswer, PracticeOutcome, hooks
from bot.core.scheduler import Scheduler
from bot.mockexam import rules
from db.exams import exam_label, exams
from db.mockexam import queries as mock_db
from db.mockexam.models import RUNNING, SUBMITTED, TIMED_OUT, MockExam
from db.mockexam.queries import ItemRow, Mark
from db.models import LETTERS

log = logging.getLogger(__name__)

SWEEP_BATCH = 50
"""Sittings one sweep ends at most (the next sweep takes the rest)."""
HISTORY = 10
"""Ended sittings ``/exam results`` lists."""


@dataclass(frozen=True, slots=True)
class Sitting:
    id: int
    exam_type: str
    label: str
    questions: int
    started_at: dt.datetime
    ends_at: dt.datetime
    time_limit_seconds: int


def _sitting(row: MockExam) -> Sitting:
    return Sitting(
        id=row.id,
        exam_type=row.exam_type,
        label=exam_label(row.exam_type),
        questions=row.question_count,
        started_at=to_utc(row.started_at),
        ends_at=to_utc(row.ends_at),
        time_limit_seconds=row.time_limit_seconds,
    )


@dataclass(frozen=True, slots=True)
class QuestionScreen:
    """One question of a running sitting, as the member sees it: no feedback."""

    sitting: Sitting
    item: ItemRow
    answered: int
    flagged: int
    notice: str | None = None

    @property
    def is_first(self) -> bool:
        return self.item.position == 0

    @property
    def is_last(self) -> bool:
        return self.item.position == self.sitting.questions - 1


@dataclass(frozen=True, slots=True)
class ReviewScreen:
    """The review screen: what is flagged and what is unanswered, before submitting."""

    sitting: Sitting
    marks: tuple[Mark, ...]
    position: int
    """The question the member came from (Back returns there)."""

    @property
    def flagged(self) -> tuple[int, ...]:
        return tuple(m.position for m in self.marks if m.flagged)

    @property
    def unanswered(self) -> tuple[int, ...]:
        return tuple(m.position for m in self.marks if not m.answered)

    @property
    def answered(self) -> int:
        return sum(1 for m in self.marks if m.answered)


@dataclass(frozen=True, slots=True)
class ResultScreen:
    sitting: Sitting
    status: str
    """``submitted`` or ``timed_out``."""
    result: rules.Result
    time_used_seconds: int
    misses: tuple[int, ...]
    """Positions answered wrong or not answered (the answer review steps through them)."""
    practice: PracticeOutcome | None = None
    """What recording the sitting earned; only on the call that ended it."""
    just_ended: bool = False


@dataclass(frozen=True, slots=True)
class AnswerScreen:
    """One question of an ended sitting, with the member's answer and every explanation."""

    sitting: Sitting
    item: ItemRow
    misses: tuple[int, ...]

    @property
    def right(self) -> bool:
        return self.item.chosen == self.item.correct


Screen = QuestionScreen | ResultScreen


# --- starting ---------------------------------------------------------------------------------


async def start(
    session: AsyncSession,
    *,
    discord_id: int,
    display_name: str,
    exam_type: str,
    questions: int | None,
    now: dt.datetime,
    rng: random.Random | None = None,
) -> Screen:
    """A new sitting at its first question; or, when the member has one running, that one at
    the question they were on (a mock exam is never lost to a dismissed message)."""
    exam = exams().get(exam_type)
    if exam is None:
        raise InvalidInput("Pick an exam from the list.")
    wanted = exam.max_questions if questions is None else questions
    if not rules.MIN_QUESTIONS <= wanted <= exam.max_questions:
        raise InvalidInput(
            f"A mock exam has {rules.MIN_QUESTIONS}–{exam.max_questions} questions."
        )
    account = await get_or_create_account(session, discord_id, display_name)
    running = await mock_db.running_of(session, account.user_id)
    if running is not None:
        return await _resume(session, running, now, exam_type)
    bank = await mock_db.bank(session, exam_type)
    available: dict[str, int] = {}
    for _, objective in bank:
        domain = exam.domain_of(objective)
        if domain is not None:
            available[domain.number] = available.get(domain.number, 0) + 1
    length = rules.fitting_length(exam, wanted, available)
    if length < rules.MIN_QUESTIONS:
        raise NotFound(
            f"The {exam_label(exam_type)} bank is too small for a mock exam in proportion to "
            "the exam's domains. Try `/quiz start` for that exam instead."
        )
    recent = await mock_db.answered_since(session, account.user_id, exam_type, now - rules.RECENT)
    drawn = rules.draw(exam, length, bank, recent, rng or random.Random())  # noqa: S311
    limit = rules.time_limit_seconds(exam, length)
    exam_id = await mock_db.insert_sitting(
        session,
        user_id=account.user_id,
        exam_type=exam_type,
        time_limit_seconds=limit,
        started_at=now,
        items=drawn,
    )
    if exam_id is None:  # another click started one a moment ago
        running = await mock_db.running_of(session, account.user_id)
        if running is None:
            raise Conflict("Your mock exam is starting; try `/exam mock` again in a moment.")
        return await _resume(session, running, now, exam_type)
    notice = None
    if length < wanted:
        notice = (
            f"The bank holds enough {exam_label(exam_type)} questions for {length} in the "
            f"exam's domain proportions, so this sitting has {length} (time scaled to match)."
        )
    return await _question(session, exam_id, 0, notice)


async def _resume(
    session: AsyncSession, running: MockExam, now: dt.datetime, asked_for: str
) -> Screen:
    if to_utc(running.ends_at) <= now:
        ended = await _end(session, running.id, TIMED_OUT, now, only_expired=True)
        if ended is not None:
            return ended
    notice = "▶️ Resumed your mock exam where you left it; the clock kept running."
    if running.exam_type != asked_for:
        notice = (
            f"You already have a {exam_label(running.exam_type)} mock exam running, so here "
            "it is. Submit it (or let its time run out) to start another."
        )
    return await _question(session, running.id, running.position, notice)


async def _question(
    session: AsyncSession, exam_id: int, position: int, notice: str | None = None
) -> QuestionScreen:
    row = await mock_db.get(session, exam_id)
    item = await mock_db.item(session, exam_id, position)
    if row is None or item is None:
        raise NotFound("That mock exam is gone.")
    marks = await mock_db.marks(session, exam_id)
    return QuestionScreen(
        _sitting(row),
        item,
        answered=sum(1 for m in marks if m.answered),
        flagged=sum(1 for m in marks if m.flagged),
        notice=notice,
    )


# --- moving through a running sitting ---------------------------------------------------------


async def _owned(session: AsyncSession, exam_id: int, discord_id: int) -> MockExam:
    row = await mock_db.get(session, exam_id)
    if row is None:
        raise NotFound("That mock exam is gone (ended sittings are kept for a year).")
    owner = await mock_db.discord_id_of(session, row.user_id)
    if owner != discord_id:
        raise NotAllowed("This is someone else's mock exam.")
    return row


async def _live_or_result(
    session: AsyncSession, row: MockExam, now: dt.datetime
) -> ResultScreen | None:
    """None while the sitting runs; else its result (ending it first when its time is up)."""
    if row.status == RUNNING:
        if to_utc(row.ends_at) > now:
            return None
        ended = await _end(session, row.id, TIMED_OUT, now, only_expired=True)
        if ended is not None:
            return ended
        row = await mock_db.get(session, row.id) or row
    return await _result(session, row)


async def _open(
    session: AsyncSession, exam_id: int, discord_id: int, position: int, now: dt.datetime
) -> ResultScreen | None:
    """The member's own sitting, at one of its questions: None while it runs, else its result
    (ending it first when its time is up)."""
    row = await _owned(session, exam_id, discord_id)
    if not 0 <= position < row.question_count:
        raise InvalidInput("That question is not part of this mock exam.")
    return await _live_or_result(session, row, now)


async def show(
    session: AsyncSession, exam_id: int, discord_id: int, position: int, now: dt.datetime
) -> Screen:
    """Go to question ``position`` (Previous, Next, a jump from the review screen)."""
    if (ended := await _open(session, exam_id, discord_id, position, now)) is not None:
        return ended
    await mock_db.move_to(session, exam_id, position, now)
    return await _question(session, exam_id, position)


async def choose(
    session: AsyncSession,
    exam_id: int,
    discord_id: int,
    position: int,
    letter: str,
    now: dt.datetime,
) -> Screen:
    """Answer (or change the answer to) question ``position``; no feedback until the end."""
    if letter not in LETTERS:
        raise InvalidInput("An answer is one of the letters A, B, C or D.")
    if (ended := await _open(session, exam_id, discord_id, position, now)) is not None:
        return ended
    await mock_db.choose(session, exam_id, position, letter, now)
    await mock_db.move_to(session, exam_id, position, now)
    return await _question(session, exam_id, position)


async def flag(
    session: AsyncSession, exam_id: int, discord_id: int, position: int, now: dt.datetime
) -> Screen:
    """Flag question ``position`` for review, or clear its flag."""
    if (ended := await _open(session, exam_id, discord_id, position, now)) is not None:
        return ended
    await mock_db.toggle_flag(session, exam_id, position, now)
    return await _question(session, exam_id, position)


async def review(
    session: AsyncSession, exam_id: int, discord_id: int, position: int, now: dt.datetime
) -> ReviewScreen | ResultScreen:
    """The review screen: flagged and unanswered questions, and the way to submit."""
    if (ended := await _open(session, exam_id, discord_id, position, now)) is not None:
        return ended
    row = await mock_db.get(session, exam_id)
    if row is None:
        raise NotFound("That mock exam is gone.")
    marks = await mock_db.marks(session, exam_id)
    return ReviewScreen(_sitting(row), tuple(marks), position)


async def submit(
    session: AsyncSession, exam_id: int, discord_id: int, now: dt.datetime
) -> ResultScreen:
    """End the sitting and score it (a second submit shows the same result)."""
    row = await _owned(session, exam_id, discord_id)
    ended = await _live_or_result(session, row, now)
    if ended is not None:
        return ended
    result = await _end(session, exam_id, SUBMITTED, now)
    if result is not None:
        return result
    row = await mock_db.get(session, exam_id) or row
    return await _result(session, row)


# --- ending, exactly once ---------------------------------------------------------------------


def _right(item: ItemRow) -> bool | None:
    return None if item.chosen is None else item.chosen == item.correct


async def _end(
    session: AsyncSession,
    exam_id: int,
    status: str,
    now: dt.datetime,
    *,
    only_expired: bool = False,
) -> ResultScreen | None:
    """Claim and score the sitting; None if another call ended it first."""
    row = await mock_db.get(session, exam_id)
    if row is None:
        return None
    ends_at = to_utc(row.ends_at)
    finished_at = min(now, ends_at)  # a sitting swept late still ended at its deadline
    if not await mock_db.claim_end(
        session, exam_id, status, finished_at, only_expired_at=now if only_expired else None
    ):
        return None
    exam = exams()[row.exam_type]
    items = await mock_db.items(session, exam_id)
    result = rules.score(exam, [(i.domain, _right(i)) for i in items])
    await mock_db.store_score(
        session, exam_id, correct=result.right, scaled=result.scaled, passed=result.passed
    )
    answered = [i for i in items if i.chosen is not None and i.answered_at is not None]
    practice = None
    recorder = hooks.practice_recorder
    if recorder is not None:
        practice = await recorder(
            session,
            user_id=row.user_id,
            exam_type=row.exam_type,
            questions=len(items),
            answers=[
                PracticeAnswer(i.question_id, i.chosen or "", i.correct, i.answered_at or now)
                for i in answered
            ],
            started_at=to_utc(row.started_at),
            now=finished_at,
        )
    # the review deck: every answered item moves its card (a miss comes back tomorrow);
    # questions never answered are not posed later as "reviews" of something not seen
    await hooks.answers_final(
        session,
        [
            FinalAnswer(
                user_id=row.user_id,
                question_id=i.question_id,
                exam_type=row.exam_type,
                objective=i.objective or None,
                correct=i.chosen == i.correct,
                answered_at=i.answered_at or finished_at,
            )
            for i in answered
        ],
        finished_at,
    )
    log.info(
        "mock exam ended",
        extra={"mock_exam": exam_id, "status": status, "right": result.right, "of": len(items)},
    )
    return ResultScreen(
        _sitting(row),
        status,
        result,
        time_used_seconds=int((finished_at - to_utc(row.started_at)).total_seconds()),
        misses=tuple(i.position for i in items if _right(i) is not True),
        practice=practice,
        just_ended=True,
    )


async def _result(session: AsyncSession, row: MockExam) -> ResultScreen:
    items = await mock_db.items(session, row.id)
    result = rules.score(exams()[row.exam_type], [(i.domain, _right(i)) for i in items])
    finished = to_utc(row.finished_at) if row.finished_at is not None else to_utc(row.ends_at)
    return ResultScreen(
        _sitting(row),
        row.status,
        result,
        time_used_seconds=int((finished - to_utc(row.started_at)).total_seconds()),
        misses=tuple(i.position for i in items if _right(i) is not True),
    )


async def end_expired(
    sessions: async_sessionmaker[AsyncSession], clock: Callable[[], dt.datetime]
) -> list[tuple[int, ResultScreen]]:
    """The time-out sweep: end and score every sitting whose time is up, each in its own unit
    of work (a failure leaves the others ended and that one for the next sweep). Returns
    (Discord id, result) of the sittings this call ended, to tell their members."""
    async with sessions.begin() as session:
        due = await mock_db.expired(session, clock(), SWEEP_BATCH)
    ended: list[tuple[int, ResultScreen]] = []
    for exam_id in due:
        try:
            async with sessions.begin() as session:
                result = await _end(session, exam_id, TIMED_OUT, clock(), only_expired=True)
                row = await mock_db.get(session, exam_id) if result is not None else None
                owner = None if row is None else await mock_db.discord_id_of(session, row.user_id)
        except Exception:
            log.exception("ending a timed-out mock exam failed", extra={"mock_exam": exam_id})
            continue
        if result is not None and owner is not None:
            ended.append((owner, result))
    return ended


# --- afterwards -------------------------------------------------------------------------------


async def result(session: AsyncSession, exam_id: int, discord_id: int, now: dt.datetime) -> Screen:
    """An ended sitting's result (a running one: its current question)."""
    row = await _owned(session, exam_id, discord_id)
    ended = await _live_or_result(session, row, now)
    if ended is not None:
        return ended
    return await _question(session, exam_id, row.position)


async def answer(
    session: AsyncSession, exam_id: int, discord_id: int, position: int, now: dt.datetime
) -> AnswerScreen | QuestionScreen:
    """Question ``position`` of an ended sitting with the member's answer and every option's
    explanation (a running sitting shows no answers: its question instead)."""
    ended = await _open(session, exam_id, discord_id, position, now)
    if ended is None:
        row = await mock_db.get(session, exam_id)
        return await _question(session, exam_id, row.position if row else 0)
    item = await mock_db.item(session, exam_id, position)
    if item is None:
        raise NotFound("That question is gone from the bank.")
    return AnswerScreen(ended.sitting, item, ended.misses)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    id: int
    label: str
    started_at: dt.datetime
    status: str
    scaled: int | None
    passing_score: int
    passed: bool | None
    right: int | None
    questions: int


async def history(session: AsyncSession, discord_id: int, display_name: str) -> list[HistoryLine]:
    """The member's ended sittings, newest first (``/exam results``)."""
    account = await get_or_create_account(session, discord_id, display_name)
    rows = await mock_db.finished_of(session, account.user_id, HISTORY)
    if not rows:
        raise NotFound("You have no finished mock exams yet: start one with `/exam mock`.")
    return [
        HistoryLine(
            r.id,
            exam_label(r.exam_type),
            to_utc(r.started_at),
            r.status,
            r.scaled_score,
            exams()[r.exam_type].passing_score,
            r.passed,
            r.correct_count,
            r.question_count,
        )
        for r in rows
    ]


async def merge_sittings(session: AsyncSession, source: int, target: int) -> None:
    """``hooks.users_merged``: the source account's sittings become the target's."""
    await mock_db.merge(session, source, target)


async def prune(session: AsyncSession, now: dt.datetime, *, days: int) -> int:
    """Retention: delete sittings that ended more than ``days`` days ago."""
    if days < 1:
        raise ValueError("keep ended mock exams at least a day")
    return await mock_db.prune_finished(session, now - dt.timedelta(days=days))


RETENTION_JOB = "mockexam.prune"


def schedule_retention(
    scheduler: Scheduler,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], dt.datetime],
    *,
    days: int,
) -> None:
    """Prune ended sittings once a day (00:23 UTC); deleting what is gone deletes nothing, so
    a run repeated in another process or after a restart changes nothing more."""

    async def job() -> None:
        try:
            async with sessions.begin() as session:
                deleted = await prune(session, clock(), days=days)
        except Exception:
            log.exception("pruning old mock exams failed; the next day tries again")
            return
        log.info("pruned old mock exams", extra={"rows": deleted})

    scheduler.add_cron(RETENTION_JOB, "prune ended mock exams", job, hour=0, minute=23)

