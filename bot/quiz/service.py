"""Quiz sessions as services: start, answer, reveal, advance, finish, stop.

Every function takes the unit of work's ``AsyncSession`` first and knows nothing of Discord;
the quiz cog renders what these return. The database is the source of truth, so a restarted
bot continues any running quiz from here.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.errors import BotError, Conflict, InvalidInput, NotAllowed, NotFound
from bot.core.events import FinalAnswer
from bot.core.hooks import hooks
from bot.quiz.records import FinishResult, finish_attempt, record_answer, start_attempt
from bot.quiz.rules import (
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_QUESTIONS,
    MIN_SECONDS,
    RECENTLY_SEEN,
    OptionShare,
    Refusal,
    Standing,
    answer_refusal,
    draw_questions,
    on_screen,
    option_shares,
    rank_players,
    seconds_between,
)
from db.exams import exam_label, exams
from db.models import LETTERS, QuizAttempt
from db.quiz import sessions as q
from db.quiz.models import QuizSession

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuestionView:
    session_id: int
    mode: str
    index: int
    total: int
    exam_type: str
    objective: str
    objective_title: str
    text: str
    options: dict[str, str]
    deadline: dt.datetime | None
    host_discord_id: int

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True, slots=True)
class RevealView:
    question: QuestionView
    correct: str
    explanations: dict[str, str]
    shares: list[OptionShare]
    answered: int
    correct_names: list[str]
    fastest_name: str | None
    fastest_seconds: int | None
    is_last: bool


@dataclass(frozen=True, slots=True)
class AnswerAck:
    letter: str
    first_time: bool
    is_correct: bool
    # solo mode reveals at once
    reveal: RevealView | None = None


@dataclass(frozen=True, slots=True)
class PlayerResult:
    standing: Standing
    discord_id: int
    result: FinishResult


@dataclass(frozen=True, slots=True)
class QuizResults:
    session_id: int
    mode: str
    exam_type: str
    asked: int
    total: int
    players: list[PlayerResult] = field(default_factory=list)
    stopped_early: bool = False
    # (user id, Discord id) of the players the cog can still answer privately (their last
    # click is fresh, or a solo quiz): other features may follow up with them
    reachable: tuple[tuple[int, int], ...] = ()
    # the question message on screen when the quiz ended (its buttons should go)
    open_message_id: int | None = None


def _now_deadline(s: QuizSession, now: dt.datetime) -> dt.datetime | None:
    if s.mode != "group":
        return None
    return now + dt.timedelta(seconds=s.seconds_per_question)


async def _question_view(session: AsyncSession, s: QuizSession) -> QuestionView:
    qid = s.question_ids[s.current_index]
    data = await q.question(session, qid)
    if data is None:  # deleted from the bank mid-quiz: show a neutral placeholder
        raise NotFound("This question was removed from the bank. Stop and start a new quiz.")
    exam = exams()[s.exam_type]
    objective = exam.objective(data.objective)
    return QuestionView(
        session_id=s.id,
        mode=s.mode,
        index=s.current_index,
        total=len(s.question_ids),
        exam_type=s.exam_type,
        objective=data.objective,
        objective_title=objective.title if objective else "",
        text=data.text,
        options={k: v["text"] for k, v in sorted(data.options.items())},
        deadline=s.deadline_at,
        host_discord_id=s.host_discord_id,
    )


async def objective_choices(
    session: AsyncSession, exam_type: str, typed: str
) -> list[tuple[str, str]]:
    """(label, value) pairs for autocomplete: only objectives that have questions."""
    exam = exams().get(exam_type)
    if exam is None:
        return []
    typed = typed.strip().lower()
    out: list[tuple[str, str]] = []
    for objective_id in await q.objectives_with_questions(session, exam_type):
        objective = exam.objective(objective_id)
        label = f"{objective_id} — {objective.title if objective else ''}"
        if not typed or typed in label.lower():
            out.append((label[:100], objective_id))
    return out[:25]


async def start_quiz(
    session: AsyncSession,
    *,
    host_discord_id: int,
    host_name: str,
    guild_id: int | None,
    channel_id: int,
    exam_type: str,
    objective: str | None,
    count: int,
    seconds: int,
    mode: str,
    now: dt.datetime,
    rng: random.Random | None = None,
    question_ids: Sequence[int] | None = None,
) -> QuestionView:
    """Start a quiz: drawn from the bank, or of exactly ``question_ids`` (a review set, in
    that order; those not in the exam's bank any more are left out)."""
    exam = exams().get(exam_type)
    if exam is None:
        raise InvalidInput("Pick an exam from the list of `/quiz start`.")
    if not MIN_QUESTIONS <= count <= MAX_QUESTIONS:
        raise InvalidInput(f"A quiz has {MIN_QUESTIONS}–{MAX_QUESTIONS} questions.")
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidInput(f"Each question lasts {MIN_SECONDS}–{MAX_SECONDS} seconds.")
    if objective and exam.objective(objective) is None:
        raise InvalidInput(
            f"{exam.short_name} has no objective {objective}. Pick one from the list."
        )
    if mode == "review":  # a group quiz of what this server missed most lately
        question_ids = await _group_review_set(session, guild_id, exam_type, count, now)
        mode = "group"
    if mode == "group" and guild_id is None:
        mode = "solo"
    if mode == "group":
        running = await q.running_group_in_channel(session, channel_id)
        if running is not None:
            raise Conflict(_already_running(running))
    pool = await q.candidates(session, exam_type, objective)
    if not pool:
        where = f"objective {objective}" if objective else exam.short_name
        raise NotFound(f"There are no questions for {where} yet.")
    if question_ids is not None:
        in_bank = {qid for qid, _ in pool}
        drawn = [qid for qid in dict.fromkeys(question_ids) if qid in in_bank][:count]
        if not drawn:
            raise NotFound("None of those questions is in the bank any more.")
    else:
        since = now - RECENTLY_SEEN
        players = await q.likely_players(session, host_discord_id, channel_id, mode, since)
        last_seen = await q.last_seen(session, players, [qid for qid, _ in pool], since)
        rng = rng or random.Random()  # noqa: S311  - quiz shuffling, not security
        drawn = draw_questions(pool, count, rng, last_seen)
    row = await q.insert_session(
        session,
        mode=mode,
        exam_type=exam_type,
        objective=objective,
        guild_id=guild_id,
        channel_id=channel_id,
        host_discord_id=host_discord_id,
        host_name=host_name[:100],
        question_ids=drawn,
        current_index=0,
        seconds_per_question=seconds,
        question_started_at=now,
        deadline_at=None,
        phase="asking",
        status="running",
    )
    if row is None:  # lost a race with another /quiz start in this channel
        running = await q.running_group_in_channel(session, channel_id)
        raise Conflict(_already_running(running) if running else "A quiz just started here.")
    row.deadline_at = _now_deadline(row, now)
    await session.flush()
    return await _question_view(session, row)


def _already_running(s: QuizSession) -> str:
    return (
        f"A quiz is already running in this channel (started by {s.host_name}). "
        "They, or anyone with Manage Messages, can end it with `/quiz stop`."
    )


async def set_question_message(session: AsyncSession, session_id: int, message_id: int) -> None:
    await q.set_message(session, session_id, message_id)


REFUSALS: dict[Refusal, tuple[type[BotError], str]] = {
    Refusal.NOT_A_LETTER: (InvalidInput, "Answer with A, B, C or D."),
    Refusal.ENDED: (NotFound, "This quiz has ended. Start a new one with `/quiz start`."),
    Refusal.TOO_LATE: (Conflict, "Too late: that question is closed."),
    Refusal.QUESTION_GONE: (NotFound, "This question was removed from the bank."),
    Refusal.SOLO: (Conflict, "This is a solo quiz."),
}
"""What a member is told when the eligibility rule refuses their answer (every path)."""


def refusal_error(refusal: Refusal) -> BotError:
    kind, text = REFUSALS[refusal]
    return kind(text)


REVIEW_WINDOW = dt.timedelta(days=30)
MIN_REVIEW_QUESTIONS = 5
"""A group review needs this many questions the server missed (or the count asked, if less)."""


async def _group_review_set(
    session: AsyncSession, guild_id: int | None, exam_type: str, count: int, now: dt.datetime
) -> list[int]:
    """The questions this server's players missed most in the last 30 days, most missed
    first; with too little data, a clear refusal that offers a normal quiz."""
    if guild_id is None:
        raise InvalidInput("A group review runs in a server's channel: start it there.")
    missed = await q.missed_most(session, guild_id, exam_type, now - REVIEW_WINDOW, count)
    needed = min(count, MIN_REVIEW_QUESTIONS)
    if len(missed) < needed:
        label = exam_label(exam_type)
        raise NotFound(
            f"Not enough misses in this server yet for a {label} review: "
            f"{len(missed)} question(s) missed in the last 30 days, a review needs {needed}. "
            f"Start a normal quiz instead: `/quiz start exam:{label}`."
        )
    return [qid for qid, _ in missed]


def chosen_exam(exam: str | None, retired_exam: str | None) -> str:
    """The exam of ``/quiz start``: a current one (``exam``) or a retired one (``retired_exam``),
    exactly one of them."""
    if exam and retired_exam:
        raise InvalidInput("Pick one exam: either `exam` or `retired_exam`, not both.")
    picked = exam or retired_exam
    if not picked:
        raise InvalidInput("Which exam? Pick one in the `exam` option of `/quiz start`.")
    if picked not in exams():
        raise InvalidInput(f"I don't know the exam `{picked[:20]}`. Pick one from the list.")
    return picked


async def _running(session: AsyncSession, session_id: int) -> QuizSession:
    s = await q.get_session(session, session_id)
    if s is None or s.status != "running":
        raise refusal_error(Refusal.ENDED)
    return s


async def join_quiz(
    session: AsyncSession,
    *,
    session_id: int,
    exam_type: str,
    question_count: int,
    guild_id: int | None,
    discord_id: int,
    display_name: str,
    now: dt.datetime,
) -> tuple[int, int]:
    """The member's (user id, attempt id) in this quiz: account and attempt on first use."""
    account = await get_or_create_account(session, discord_id, display_name)
    attempt_id = await q.player_attempt(session, session_id, account.user_id)
    if attempt_id is not None:
        return account.user_id, attempt_id
    new_attempt = await start_attempt(
        session, account.user_id, exam_type, question_count, guild_id, now
    )
    if await q.add_player(session, session_id, account.user_id, new_attempt, display_name):
        return account.user_id, new_attempt
    # lost a race with this member's other click: drop the spare attempt
    await session.execute(delete(QuizAttempt).where(QuizAttempt.id == new_attempt))
    attempt_id = await q.player_attempt(session, session_id, account.user_id)
    if attempt_id is None:
        raise RuntimeError(f"quiz {session_id}: user {account.user_id} joined without an attempt")
    return account.user_id, attempt_id


async def answer(
    session: AsyncSession,
    *,
    session_id: int,
    index: int,
    letter: str,
    discord_id: int,
    display_name: str,
    now: dt.datetime,
) -> AnswerAck:
    """Store a member's answer the moment it is given; the first answer counts."""
    if letter not in LETTERS:
        raise refusal_error(Refusal.NOT_A_LETTER)
    s = await _running(session, session_id)
    qid = s.question_ids[index] if 0 <= index < len(s.question_ids) else None
    data = None if qid is None else await q.question(session, qid)
    refusal = answer_refusal(
        letter=letter,
        status=s.status,
        mode=s.mode,
        shown=on_screen(
            index=index,
            current_index=s.current_index,
            phase=s.phase,
            deadline_at=s.deadline_at,
            at=now,
        ),
        question_gone=data is None,
    )
    if refusal is not None and refusal is not Refusal.SOLO:  # solo answers go on here
        raise refusal_error(refusal)
    if qid is None or data is None:
        raise refusal_error(Refusal.QUESTION_GONE)
    user_id, attempt_id = await join_quiz(
        session,
        session_id=s.id,
        exam_type=s.exam_type,
        question_count=len(s.question_ids),
        guild_id=s.guild_id,
        discord_id=discord_id,
        display_name=display_name,
        now=now,
    )
    outcome = await record_answer(
        session,
        attempt_id,
        user_id,
        qid,
        letter,
        data.correct,
        seconds_between(s.question_started_at, now),
        now,
    )
    reveal = None
    if s.mode == "solo":
        await q.claim_reveal(session, s.id, index)
        reveal = await _reveal_view(session, s, data)
    return AnswerAck(outcome.user_answer, outcome.stored, outcome.is_correct, reveal)


async def _reveal_view(session: AsyncSession, s: QuizSession, data: q.QuestionData) -> RevealView:
    view = await _question_view(session, s)
    lines = await q.answers_to(session, s.id, data.id)
    counts = Counter(line.letter for line in lines)
    correct_lines = [line for line in lines if line.is_correct]
    fastest = min(
        (line for line in correct_lines if line.seconds is not None),
        key=lambda line: line.seconds or 0,
        default=None,
    )
    return RevealView(
        question=view,
        correct=data.correct,
        explanations={k: v["explanation"] for k, v in sorted(data.options.items())},
        shares=option_shares(dict(counts)),
        answered=len(lines),
        correct_names=[line.name for line in correct_lines],
        fastest_name=fastest.name if fastest else None,
        fastest_seconds=fastest.seconds if fastest else None,
        is_last=s.current_index + 1 >= len(s.question_ids),
    )


async def reveal(session: AsyncSession, session_id: int, index: int) -> RevealView | None:
    """Close question ``index`` and gather its statistics; None if already revealed."""
    s = await _running(session, session_id)
    if not await q.claim_reveal(session, session_id, index):
        return None
    data = await q.question(session, s.question_ids[index])
    if data is None:
        return None
    return await _reveal_view(session, s, data)


async def next_question(
    session: AsyncSession, session_id: int, index: int, now: dt.datetime
) -> QuestionView | None:
    """Move from revealed question ``index`` to the next; None when the quiz is over."""
    s = await _running(session, session_id)
    if index + 1 >= len(s.question_ids):
        return None
    deadline = _now_deadline(s, now)
    if not await q.claim_advance(session, session_id, index, now, deadline):
        raise Conflict("The quiz already moved on.")
    s = await _running(session, session_id)
    return await _question_view(session, s)


async def current_question(session: AsyncSession, session_id: int) -> QuestionView:
    return await _question_view(session, await _running(session, session_id))


async def finish_quiz(
    session: AsyncSession,
    session_id: int,
    now: dt.datetime,
    *,
    stopped_early: bool = False,
    can_ask: frozenset[int] | None = None,
) -> QuizResults | None:
    """Finish exactly once: every player's attempt is finalized; None if already finished.

    ``can_ask``: Discord ids of players the cog can still answer privately (their last click
    is fresh). Each of them who never was is asked once about streak reminders; solo players
    always can be.
    """
    s = await q.get_session(session, session_id)
    if s is None or not await q.claim_finish(session, session_id, now):
        return None
    asked = s.current_index + (1 if s.phase == "revealed" or s.mode == "solo" else 0)
    asked = max(1, min(asked, len(s.question_ids)))
    totals = await q.player_totals(session, session_id)
    results: list[PlayerResult] = []
    players = await q.players(session, session_id)
    discord_ids = await q.discord_ids(session, [p.user_id for p in players])
    for player in players:
        answered, correct, seconds = totals.get(player.user_id, (0, 0, 0))
        result = await finish_attempt(
            session, player.attempt_id, now, questions_asked=max(asked, answered)
        )
        if not result.finished:
            continue
        discord_id = discord_ids.get(player.user_id, 0)
        results.append(
            PlayerResult(
                Standing(player.user_id, player.display_name, correct, answered, seconds),
                discord_id,
                result,
            )
        )
    # the answers are final: the features that learn from them (the review deck) take them
    # now, in this unit of work, for every player at once
    answers = [
        FinalAnswer(u, qid, exam, objective, correct, at, zone)
        for u, qid, exam, objective, correct, at, zone in await q.final_answers(session, session_id)
    ]
    await hooks.answers_final(session, answers, now)
    order = {st.user_id: i for i, st in enumerate(rank_players([r.standing for r in results]))}
    results.sort(key=lambda r: order[r.standing.user_id])
    reachable = tuple(
        (p.standing.user_id, p.discord_id)
        for p in results
        if s.mode == "solo" or (can_ask is not None and p.discord_id in can_ask)
    )
    open_message = s.message_id if s.mode == "group" and s.phase == "asking" else None
    return QuizResults(
        session_id,
        s.mode,
        s.exam_type,
        asked,
        len(s.question_ids),
        results,
        stopped_early,
        reachable,
        open_message,
    )


async def stop_quiz(
    session: AsyncSession,
    *,
    channel_id: int,
    requester_discord_id: int,
    can_manage: bool,
    now: dt.datetime,
    can_ask: frozenset[int] | None = None,
) -> QuizResults:
    s = await q.running_group_in_channel(session, channel_id)
    if s is None:
        raise NotFound("No quiz is running in this channel.")
    if s.host_discord_id != requester_discord_id and not can_manage:
        raise NotAllowed(
            f"Only {s.host_name} (who started it) or someone with Manage Messages "
            "can stop this quiz."
        )
    results = await finish_quiz(session, s.id, now, stopped_early=True, can_ask=can_ask)
    if results is None:
        raise NotFound("This quiz has already ended.")
    return results


async def host_next(
    session: AsyncSession,
    *,
    session_id: int,
    index: int,
    requester_discord_id: int,
    can_manage: bool,
) -> None:
    s = await _running(session, session_id)
    if s.host_discord_id != requester_discord_id and not can_manage:
        raise NotAllowed(f"Only {s.host_name} (who started the quiz) can skip ahead.")
    if s.current_index != index or s.phase != "asking":
        raise Conflict("That question is already closed.")


@dataclass(frozen=True, slots=True)
class LiveQuiz:
    """What the runner needs to pick up a group quiz after a restart."""

    session_id: int
    channel_id: int
    phase: str
    index: int
    deadline: dt.datetime | None
    message_id: int | None


async def live_quiz(session: AsyncSession, session_id: int) -> LiveQuiz | None:
    """One running group quiz's state, by id (what its runner reads at every step)."""
    s = await q.get_session(session, session_id)
    if s is None or s.status != "running" or s.mode != "group":
        return None
    return LiveQuiz(s.id, s.channel_id, s.phase, s.current_index, s.deadline_at, s.message_id)


async def running_group_quizzes(session: AsyncSession) -> list[LiveQuiz]:
    return [
        LiveQuiz(s.id, s.channel_id, s.phase, s.current_index, s.deadline_at, s.message_id)
        for s in await q.running_group_sessions(session)
    ]
