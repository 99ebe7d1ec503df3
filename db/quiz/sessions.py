"""Queries of live quiz sessions (db/quiz/models.py). Flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question, QuizAttempt, User, UserAnswer, UserProfile
from db.quiz.models import QuizPlayer, QuizSession
from db.utc import as_aware, to_utc


@dataclass(frozen=True, slots=True)
class QuestionData:
    id: int
    exam_type: str
    objective: str
    text: str
    correct: str
    options: dict[str, dict[str, str]]


async def candidates(
    session: AsyncSession, exam_type: str, objective: str | None
) -> list[tuple[int, str]]:
    stmt = select(Question.id, Question.domain).where(Question.exam_type == exam_type)
    if objective:
        stmt = stmt.where(Question.domain == objective)
    return [(int(i), d or "") for i, d in await session.execute(stmt)]


async def likely_players(
    session: AsyncSession,
    host_discord_id: int,
    channel_id: int,
    mode: str,
    since: dt.datetime,
) -> list[int]:
    """The user ids a new quiz will most likely have: the host, and for a group quiz the
    players of this channel's quizzes started since ``since``."""
    players: set[int] = set()
    host = (
        await session.execute(select(User.id).where(User.discord_id == host_discord_id))
    ).scalar_one_or_none()
    if host is not None:
        players.add(int(host))
    if mode == "group":
        stmt = (
            select(QuizPlayer.user_id)
            .join(QuizSession, QuizSession.id == QuizPlayer.session_id)
            .where(QuizSession.channel_id == channel_id, QuizSession.question_started_at >= since)
            .distinct()
            .limit(500)
        )
        players.update(int(u) for (u,) in await session.execute(stmt))
    return sorted(players)


async def last_seen(
    session: AsyncSession, user_ids: Sequence[int], question_ids: Sequence[int], since: dt.datetime
) -> dict[int, dt.datetime]:
    """question id → the last time one of ``user_ids`` answered it since ``since``."""
    if not user_ids or not question_ids:
        return {}
    stmt = (
        select(UserAnswer.question_id, func.max(UserAnswer.answered_at))
        .where(
            UserAnswer.user_id.in_(list(user_ids)),
            UserAnswer.answered_at >= to_utc(since),
            UserAnswer.question_id.in_(list(question_ids)),
        )
        .group_by(UserAnswer.question_id)
    )
    seen: dict[int, dt.datetime] = {}
    for qid, when in await session.execute(stmt):
        aware = as_aware(when)
        if qid is not None and aware is not None:
            seen[int(qid)] = aware
    return seen


async def missed_most(
    session: AsyncSession, guild_id: int, exam_type: str, since: dt.datetime, limit: int
) -> list[tuple[int, int]]:
    """(question id, misses) of the questions this server's players missed most since
    ``since`` (most missed first, then the latest miss), for a group review quiz."""
    misses = func.count(UserAnswer.id)
    stmt = (
        select(UserAnswer.question_id, misses)
        .join(QuizAttempt, QuizAttempt.id == UserAnswer.quiz_attempt_id)
        .join(Question, Question.id == UserAnswer.question_id)
        .where(
            QuizAttempt.guild_id == guild_id,
            Question.exam_type == exam_type,
            UserAnswer.is_correct.is_(False),
            UserAnswer.answered_at >= to_utc(since),
        )
        .group_by(UserAnswer.question_id)
        .order_by(misses.desc(), func.max(UserAnswer.answered_at).desc(), UserAnswer.question_id)
        .limit(limit)
    )
    return [(int(q), int(n)) for q, n in await session.execute(stmt) if q is not None]


async def objectives_with_questions(session: AsyncSession, exam_type: str) -> list[str]:
    stmt = (
        select(Question.domain)
        .where(Question.exam_type == exam_type, Question.domain.is_not(None))
        .distinct()
    )
    return sorted((d for (d,) in await session.execute(stmt) if d), key=_objective_key)


def _objective_key(objective: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in objective.split("."))


async def question(session: AsyncSession, question_id: int) -> QuestionData | None:
    q = await session.get(Question, question_id)
    if q is None:
        return None
    return QuestionData(
        q.id, q.exam_type or "", q.domain or "", q.question_text, q.correct_answer, q.options
    )


async def running_group_in_channel(session: AsyncSession, channel_id: int) -> QuizSession | None:
    stmt = select(QuizSession).where(
        QuizSession.channel_id == channel_id,
        QuizSession.status == "running",
        QuizSession.mode == "group",
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_session(session: AsyncSession, **values: object) -> QuizSession | None:
    """Insert a session; None when the one-running-group-quiz-per-channel index says no."""
    row = QuizSession(**values)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def get_session(session: AsyncSession, session_id: int) -> QuizSession | None:
    return await session.get(QuizSession, session_id, populate_existing=True)


async def running_group_sessions(session: AsyncSession) -> Sequence[QuizSession]:
    stmt = (
        select(QuizSession)
        .where(QuizSession.status == "running", QuizSession.mode == "group")
        .order_by(QuizSession.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def set_message(session: AsyncSession, session_id: int, message_id: int) -> None:
    await session.execute(
        update(QuizSession).where(QuizSession.id == session_id).values(message_id=message_id)
    )


async def claim_reveal(session: AsyncSession, session_id: int, index: int) -> bool:
    """asking → revealed for question ``index``; exactly one caller wins."""
    stmt = (
        update(QuizSession)
        .where(
            QuizSession.id == session_id,
            QuizSession.status == "running",
            QuizSession.current_index == index,
            QuizSession.phase == "asking",
        )
        .values(phase="revealed")
        .returning(QuizSession.id)
    )
    return (await session.execute(stmt)).first() is not None


async def claim_advance(
    session: AsyncSession,
    session_id: int,
    index: int,
    now: dt.datetime,
    deadline: dt.datetime | None,
) -> bool:
    stmt = (
        update(QuizSession)
        .where(
            QuizSession.id == session_id,
            QuizSession.status == "running",
            QuizSession.current_index == index,
            QuizSession.phase == "revealed",
        )
        .values(
            current_index=index + 1,
            phase="asking",
            question_started_at=now,
            deadline_at=deadline,
            message_id=None,
        )
        .returning(QuizSession.id)
    )
    return (await session.execute(stmt)).first() is not None


async def claim_finish(session: AsyncSession, session_id: int, now: dt.datetime) -> bool:
    stmt = (
        update(QuizSession)
        .where(QuizSession.id == session_id, QuizSession.status == "running")
        .values(status="finished", finished_at=now)
        .returning(QuizSession.id)
    )
    return (await session.execute(stmt)).first() is not None


async def player_attempt(session: AsyncSession, session_id: int, user_id: int) -> int | None:
    stmt = select(QuizPlayer.attempt_id).where(
        QuizPlayer.session_id == session_id, QuizPlayer.user_id == user_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_player(
    session: AsyncSession, session_id: int, user_id: int, attempt_id: int, name: str
) -> bool:
    """Register a player; False if they were registered concurrently (caller re-reads)."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(QuizPlayer).values(
                    session_id=session_id,
                    user_id=user_id,
                    attempt_id=attempt_id,
                    display_name=name[:100],
                )
            )
    except IntegrityError:
        return False
    return True


async def players(session: AsyncSession, session_id: int) -> list[QuizPlayer]:
    stmt = (
        select(QuizPlayer)
        .where(QuizPlayer.session_id == session_id)
        .order_by(QuizPlayer.joined_at, QuizPlayer.user_id)
    )
    return list((await session.execute(stmt)).scalars())


FinalRow = tuple[int, int, str, str | None, bool, dt.datetime, str]


async def final_answers(session: AsyncSession, session_id: int) -> list[FinalRow]:
    """Every stored answer of this quiz's players: (user id, question id, exam type,
    objective, is correct, answered at, the member's time zone), in one query."""
    stmt = (
        select(
            UserAnswer.user_id,
            UserAnswer.question_id,
            Question.exam_type,
            Question.domain,
            UserAnswer.is_correct,
            UserAnswer.answered_at,
            UserProfile.timezone,
        )
        .join(QuizPlayer, QuizPlayer.attempt_id == UserAnswer.quiz_attempt_id)
        .join(Question, Question.id == UserAnswer.question_id)
        .outerjoin(UserProfile, UserProfile.user_id == UserAnswer.user_id)
        .where(QuizPlayer.session_id == session_id)
        .order_by(UserAnswer.user_id, UserAnswer.question_id)
    )
    out: list[FinalRow] = []
    for user_id, question_id, exam, objective, correct, at, zone in await session.execute(stmt):
        when = as_aware(at)
        if user_id is None or question_id is None or when is None:
            continue
        out.append(
            (
                int(user_id),
                int(question_id),
                str(exam),
                objective,
                bool(correct),
                when,
                zone or "UTC",
            )
        )
    return out


async def discord_ids(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, int]:
    """user id → Discord id, in one query (players of a finishing quiz)."""
    if not user_ids:
        return {}
    stmt = select(User.id, User.discord_id).where(User.id.in_(user_ids))
    return {int(u): int(d or 0) for u, d in await session.execute(stmt)}


@dataclass(frozen=True, slots=True)
class AnswerLine:
    user_id: int
    name: str
    letter: str
    is_correct: bool
    seconds: int | None


async def answers_to(session: AsyncSession, session_id: int, question_id: int) -> list[AnswerLine]:
    """Everyone's answer to one question of this session, in the order they answered."""
    stmt = (
        select(
            QuizPlayer.user_id,
            QuizPlayer.display_name,
            UserAnswer.user_answer,
            UserAnswer.is_correct,
            UserAnswer.time_spent_seconds,
        )
        .join(UserAnswer, UserAnswer.quiz_attempt_id == QuizPlayer.attempt_id)
        .where(QuizPlayer.session_id == session_id, UserAnswer.question_id == question_id)
        .order_by(UserAnswer.answered_at, UserAnswer.id)
    )
    return [AnswerLine(int(u), n, a, bool(c), s) for u, n, a, c, s in await session.execute(stmt)]


async def player_totals(session: AsyncSession, session_id: int) -> dict[int, tuple[int, int, int]]:
    """user id → (answered, correct, seconds spent) within this session."""
    stmt = (
        select(
            QuizPlayer.user_id,
            func.count(UserAnswer.id),
            func.coalesce(func.sum(case((UserAnswer.is_correct, 1), else_=0)), 0),
            func.coalesce(func.sum(UserAnswer.time_spent_seconds), 0),
        )
        .join(UserAnswer, UserAnswer.quiz_attempt_id == QuizPlayer.attempt_id, isouter=True)
        .where(QuizPlayer.session_id == session_id)
        .group_by(QuizPlayer.user_id)
    )
    return {int(u): (int(n), int(c), int(s)) for u, n, c, s in await session.execute(stmt)}
