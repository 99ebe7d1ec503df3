"""Review deck queries (db/review/models.py). Flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import dialect_name, insert
from db.models import Question, UserProfile
from db.review.models import ReviewCard
from db.utc import as_aware, to_utc

C = ReviewCard
CARD_COLUMNS = (
    "state",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "interval_days",
    "reps",
    "lapses",
    "last_correct",
)


@dataclass(frozen=True, slots=True)
class CardRow:
    user_id: int
    question_id: int
    exam_type: str
    objective: str | None
    state: int
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None
    interval_days: int
    reps: int
    lapses: int
    last_correct: bool | None


def _row(r: Any) -> CardRow:
    due = as_aware(r.due)
    if due is None:
        raise RuntimeError("a review card without a due date")
    return CardRow(
        user_id=int(r.user_id),
        question_id=int(r.question_id),
        exam_type=str(r.exam_type),
        objective=r.objective,
        state=int(r.state),
        stability=r.stability,
        difficulty=r.difficulty,
        due=due,
        last_review=as_aware(r.last_review),
        interval_days=int(r.interval_days),
        reps=int(r.reps),
        lapses=int(r.lapses),
        last_correct=r.last_correct,
    )


async def cards(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], CardRow]:
    """The cards of these (user id, question id) pairs that exist, in one query."""
    if not keys:
        return {}
    wanted = set(keys)
    users = sorted({u for u, _ in wanted})
    questions = sorted({q for _, q in wanted})
    # the primary key serves (user_id IN …, question_id IN …); pairs are filtered here
    stmt = select(C).where(C.user_id.in_(users), C.question_id.in_(questions))
    rows = (await session.execute(stmt)).scalars()
    return {
        (r.user_id, r.question_id): _row(r) for r in rows if (r.user_id, r.question_id) in wanted
    }


async def timezones(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    stmt = select(UserProfile.user_id, UserProfile.timezone).where(
        UserProfile.user_id.in_(list(set(user_ids)))
    )
    return {int(u): str(z or "UTC") for u, z in await session.execute(stmt)}


_UPSERTS: dict[str, Any] = {}


def _upsert(session: AsyncSession) -> Any:
    """The card upsert, built once per dialect: executed with a list of parameter dicts it is
    one multi-row statement compiled once (not 50 rows of binds compiled on every finish)."""
    dialect = dialect_name(session)
    if dialect not in _UPSERTS:
        stmt = insert(session, ReviewCard.__table__)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["user_id", "question_id"],
            set_={column: stmt.excluded[column] for column in CARD_COLUMNS},
        )
    return _UPSERTS[dialect]


async def upsert_cards(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or move cards (keys: user_id, question_id, exam_type, objective and the card
    columns), in key order so concurrent finishes lock rows in the same order."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: (r["user_id"], r["question_id"]))
    await session.execute(_upsert(session), [{**r, "due": to_utc(r["due"])} for r in ordered])


async def merge_cards(session: AsyncSession, source: int, target: int) -> int:
    """Give ``source``'s cards to ``target``, except for questions ``target`` has a card of
    (theirs is kept); ``source``'s remaining cards go with the account. Returns cards moved."""
    theirs = select(C.question_id).where(C.user_id == target)
    result = await session.execute(
        update(C)
        .where(C.user_id == source, C.question_id.not_in(theirs))
        .values(user_id=target)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def due_cards(
    session: AsyncSession,
    user_id: int,
    before: dt.datetime,
    *,
    exam_type: str | None = None,
    limit: int = 50,
) -> list[CardRow]:
    """This member's cards due before ``before``, most overdue first (the question still in
    the bank)."""
    stmt = select(C).where(C.user_id == user_id, C.due < to_utc(before))
    if exam_type:
        stmt = stmt.where(C.exam_type == exam_type)
    stmt = stmt.order_by(C.due, C.question_id).limit(limit)
    return [_row(r) for r in (await session.execute(stmt)).scalars()]


async def count_due(
    session: AsyncSession,
    user_id: int,
    *,
    before: Sequence[dt.datetime],
    exam_type: str | None = None,
) -> list[int]:
    """How many of this member's cards are due before each instant of ``before``."""
    wheres = [C.user_id == user_id]
    if exam_type:
        wheres.append(C.exam_type == exam_type)
    columns = [func.count().filter(C.due < to_utc(b)) for b in before]
    row = (await session.execute(select(*columns).where(and_(*wheres)))).one()
    return [int(n or 0) for n in row]


async def count_due_of(
    session: AsyncSession, user_ids: Sequence[int], before: dt.datetime
) -> dict[int, int]:
    """user id → their cards due before ``before`` (members without any are left out)."""
    if not user_ids:
        return {}
    stmt = (
        select(C.user_id, func.count())
        .where(C.user_id.in_(list(set(user_ids))), C.due < to_utc(before))
        .group_by(C.user_id)
    )
    return {int(u): int(n) for u, n in await session.execute(stmt)}


async def unseen_questions(
    session: AsyncSession,
    user_id: int,
    exam_type: str,
    objectives: Sequence[str],
    *,
    limit: int,
) -> list[tuple[int, str]]:
    """(question id, objective) of questions of these objectives the member has no card for."""
    if not objectives or limit <= 0:
        return []
    seen = select(C.question_id).where(C.user_id == user_id)
    stmt = (
        select(Question.id, Question.domain)
        .where(
            Question.exam_type == exam_type,
            Question.domain.in_(list(objectives)),
            Question.id.not_in(seen),
        )
        .order_by(Question.id)
    )
    return [(int(i), str(d or "")) for i, d in await session.execute(stmt)][: limit * 5]




async def exam_with_most_due(
    session: AsyncSession, user_id: int, before: dt.datetime
) -> str | None:
    stmt = (
        select(C.exam_type, func.count())
        .where(C.user_id == user_id, C.due < to_utc(before))
        .group_by(C.exam_type)
        .order_by(func.count().desc(), C.exam_type)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else str(row[0])
