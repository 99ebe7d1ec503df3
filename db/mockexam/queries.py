"""Mock exam queries (``db.mockexam.models``). Flush at most, never commit: the caller's unit
of work owns the transaction. Every change of a sitting is a conditional UPDATE on a running,
unexpired sitting, so a click after the deadline or after the end changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.mockexam.models import RUNNING, MockExam, MockExamItem
from db.models import Question, User, UserAnswer
from db.utc import as_aware, to_utc


@dataclass(frozen=True, slots=True)
class ItemRow:
    position: int
    question_id: int
    domain: str
    objective: str
    difficulty: int
    text: str
    correct: str
    options: dict[str, dict[str, str]]
    chosen: str | None
    flagged: bool
    answered_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Mark:
    """Where one item stands on the review screen."""

    position: int
    answered: bool
    flagged: bool


async def bank(session: AsyncSession, exam_type: str) -> list[tuple[int, str]]:
    """(question id, objective) of every question of the exam with an objective."""
    stmt = select(Question.id, Question.domain).where(
        Question.exam_type == exam_type, Question.domain.is_not(None)
    )
    return [(int(i), str(d)) for i, d in await session.execute(stmt) if d]


async def answered_since(
    session: AsyncSession, user_id: int, exam_type: str, since: dt.datetime
) -> set[int]:
    """Questions of the exam the member answered anywhere since ``since``."""
    stmt = (
        select(UserAnswer.question_id)
        .join(Question, Question.id == UserAnswer.question_id)
        .where(
            UserAnswer.user_id == user_id,
            Question.exam_type == exam_type,
            UserAnswer.answered_at >= to_utc(since),
        )
        .distinct()
    )
    return {int(q) for (q,) in await session.execute(stmt) if q is not None}


async def running_of(session: AsyncSession, user_id: int) -> MockExam | None:
    stmt = select(MockExam).where(MockExam.user_id == user_id, MockExam.status == RUNNING)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, exam_id: int) -> MockExam | None:
    return await session.get(MockExam, exam_id, populate_existing=True)


async def insert_sitting(
    session: AsyncSession,
    *,
    user_id: int,
    exam_type: str,
    time_limit_seconds: int,
    started_at: dt.datetime,
    items: Sequence[tuple[int, str]],
) -> int | None:
    """A running sitting with its items ((question id, domain) in the order shown); None when
    the member already has one running (the database allows one)."""
    try:
        async with session.begin_nested():
            exam_id = (
                await session.execute(
                    insert(MockExam)
                    .values(
                        user_id=user_id,
                        exam_type=exam_type,
                        status=RUNNING,
                        question_count=len(items),
                        time_limit_seconds=time_limit_seconds,
                        started_at=to_utc(started_at),
                        ends_at=to_utc(started_at) + dt.timedelta(seconds=time_limit_seconds),
                        position=0,
                    )
                    .returning(MockExam.id)
                )
            ).scalar_one()
    except IntegrityError:
        return None
    await session.execute(
        insert(MockExamItem),
        [
            {"exam_id": exam_id, "position": i, "question_id": qid, "domain": domain}
            for i, (qid, domain) in enumerate(items)
        ],
    )
    return int(exam_id)


def _live(exam_id: int, now: dt.datetime) -> object:
    return exists().where(
        MockExam.id == exam_id, MockExam.status == RUNNING, MockExam.ends_at > to_utc(now)
    )


async def choose(
    session: AsyncSession, exam_id: int, position: int, letter: str, now: dt.datetime
) -> bool:
    """The member's answer to the item (a change replaces it); False if the sitting is over."""
    result = await session.execute(
        update(MockExamItem)
        .where(
            MockExamItem.exam_id == exam_id,
            MockExamItem.position == position,
            _live(exam_id, now),  # type: ignore[arg-type]
        )
        .values(chosen=letter, answered_at=to_utc(now))
        .returning(MockExamItem.position)
    )
    return result.first() is not None


async def toggle_flag(
    session: AsyncSession, exam_id: int, position: int, now: dt.datetime
) -> bool | None:
    """Flag or unflag the item for review; its new flag, or None if the sitting is over."""
    result = await session.execute(
        update(MockExamItem)
        .where(
            MockExamItem.exam_id == exam_id,
            MockExamItem.position == position,
            _live(exam_id, now),  # type: ignore[arg-type]
        )
        .values(flagged=~MockExamItem.flagged)
        .returning(MockExamItem.flagged)
    )
    row = result.first()
    return None if row is None else bool(row[0])


async def move_to(session: AsyncSession, exam_id: int, position: int, now: dt.datetime) -> bool:
    """The question on screen is now ``position``; False if the sitting is over."""
    result = await session.execute(
        update(MockExam)
        .where(
            MockExam.id == exam_id,
            MockExam.status == RUNNING,
            MockExam.ends_at > to_utc(now),
            MockExam.question_count > position,
        )
        .values(position=position)
        .returning(MockExam.id)
    )
    return result.first() is not None


def _item_row(item: MockExamItem, question: Question) -> ItemRow:
    return ItemRow(
        position=item.position,
        question_id=item.question_id,
        domain=item.domain,
        objective=question.domain or "",
        difficulty=int(question.difficulty or 2),
        text=question.question_text,
        correct=question.correct_answer,
        options=question.options,
        chosen=item.chosen,
        flagged=bool(item.flagged),
        answered_at=as_aware(item.answered_at),
    )


async def item(session: AsyncSession, exam_id: int, position: int) -> ItemRow | None:
    stmt = (
        select(MockExamItem, Question)
        .join(Question, Question.id == MockExamItem.question_id)
        .where(MockExamItem.exam_id == exam_id, MockExamItem.position == position)
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else _item_row(row[0], row[1])


async def items(session: AsyncSession, exam_id: int) -> list[ItemRow]:
    stmt = (
        select(MockExamItem, Question)
        .join(Question, Question.id == MockExamItem.question_id)
        .where(MockExamItem.exam_id == exam_id)
        .order_by(MockExamItem.position)
        .execution_options(populate_existing=True)
    )
    return [_item_row(i, q) for i, q in await session.execute(stmt)]


async def marks(session: AsyncSession, exam_id: int) -> list[Mark]:
    stmt = (
        select(MockExamItem.position, MockExamItem.chosen, MockExamItem.flagged)
        .where(MockExamItem.exam_id == exam_id)
        .order_by(MockExamItem.position)
    )
    return [Mark(int(p), c is not None, bool(f)) for p, c, f in await session.execute(stmt)]


async def claim_end(
    session: AsyncSession,
    exam_id: int,
    status: str,
    finished_at: dt.datetime,
    *,
    only_expired_at: dt.datetime | None = None,
) -> bool:
    """running → ``status``; exactly one caller wins. With ``only_expired_at``, only a sitting
    whose deadline has passed by then (the time-out sweep)."""
    conditions = [MockExam.id == exam_id, MockExam.status == RUNNING]
    if only_expired_at is not None:
        conditions.append(MockExam.ends_at <= to_utc(only_expired_at))
    result = await session.execute(
        update(MockExam)
        .where(and_(*conditions))
        .values(status=status, finished_at=to_utc(finished_at))
        .returning(MockExam.id)
    )
    return result.first() is not None


async def store_score(
    session: AsyncSession, exam_id: int, *, correct: int, scaled: int, passed: bool
) -> None:
    await session.execute(
        update(MockExam)
        .where(MockExam.id == exam_id)
        .values(correct_count=correct, scaled_score=scaled, passed=passed)
    )


async def expired(session: AsyncSession, now: dt.datetime, limit: int) -> list[int]:
    """Running sittings whose time is up, oldest deadline first."""
    stmt = (
        select(MockExam.id)
        .where(MockExam.status == RUNNING, MockExam.ends_at <= to_utc(now))
        .order_by(MockExam.ends_at)
        .limit(limit)
    )
    return [int(i) for (i,) in await session.execute(stmt)]


async def finished_of(session: AsyncSession, user_id: int, limit: int) -> list[MockExam]:
    """The member's ended sittings, newest first."""
    stmt = (
        select(MockExam)
        .where(MockExam.user_id == user_id, MockExam.status != RUNNING)
        .order_by(MockExam.started_at.desc(), MockExam.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def discord_id_of(session: AsyncSession, user_id: int) -> int | None:
    value = (
        await session.execute(select(User.discord_id).where(User.id == user_id))
    ).scalar_one_or_none()
    return None if value is None else int(value)


async def prune_finished(session: AsyncSession, before: dt.datetime) -> int:
    """Delete sittings that ended before ``before`` (their items go with them)."""
    old = select(MockExam.id).where(
        MockExam.status != RUNNING, MockExam.finished_at < to_utc(before)
    )
    await session.execute(delete(MockExamItem).where(MockExamItem.exam_id.in_(old)))
    result = await session.execute(delete(MockExam).where(MockExam.id.in_(old)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def merge(session: AsyncSession, source: int, target: int) -> None:
    """The source member's sittings become the target's; a running one stays behind (and goes
    with the source account) when the target has one running already."""
    target_running = exists().where(MockExam.user_id == target, MockExam.status == RUNNING)
    await session.execute(
        update(MockExam)
        .where(MockExam.user_id == source, (MockExam.status != RUNNING) | ~target_running)
        .values(user_id=target)
    )

