"""Pre-aggregated leaderboards and per-objective answer counts: writes and the hot reads.

Every write here is an atomic upsert (``ON CONFLICT DO UPDATE SET x = x + excluded.x``) inside
the caller's transaction; nothing commits. The design, the indexes and their query plans are in
docs/queries.md. In short:

* ``board_scores`` holds one row per (board, scope, period, period start, user). A finished
  attempt moves up to 18 rows (xp, exam and streak boards; global and the guild's scope; week,
  month and all time) in four statements, one per way of combining a value.
* ``board_histogram`` counts the users of each board per value (level 0) and per 32, 1024
  and 32768 values (levels 1-3), moved in the same transaction from the ``prev_value`` and
  ``value`` that the score upsert returns. A rank is ``1 + users strictly above`` (RANK()
  semantics: equal values share a rank), summed from at most 31 rows on each of levels 0-2
  plus the top-level rows above (``max value / 32768``): it does not grow with the rank.
* Within equal values the board order is who reached the value first, then the user id.

Lock order, to rule out deadlocks between concurrent finishes: score rows are written in
primary-key order, histogram rows afterwards in key order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import insert
from db.models import Question, User, UserAnswer
from db.models_boards import BoardHistogram, BoardScore, UserObjectiveStats

log = logging.getLogger(__name__)

Period = Literal["week", "month", "all"]
PERIODS: tuple[Period, ...] = ("week", "month", "all")
ALL_TIME_START = dt.date(1970, 1, 1)
"""``period_start`` of the all-time boards."""
GLOBAL_SCOPE = 0
"""``scope_id`` of the global boards; other scopes are guild ids."""
XP_BOARD = "xp"
STREAK_BOARD = "streak"
EXAM_BOARD_PREFIX = "exam:"
EXAM_MIN_QUIZZES = 3
"""Completed quizzes of an exam in a period before the user appears on that exam board."""
SCORE_SCALE = 100
"""Exam board values are average scores in hundredths of a percent (87.25 % is 8725)."""
FANOUT_BITS = 5
"""Each histogram level groups 2 ** 5 = 32 buckets of the level below."""
LEVELS = 4
"""Histogram levels 0..3, bucket = value >> (5 * level): widths 1, 32, 1024 and 32768."""
TOP_LEVEL = LEVELS - 1
CHUNK = 500

_Mode = Literal["set", "add", "max", "avg"]
_SCORE_PK = ("user_id", "board", "scope_id", "period", "period_start")
_HIST_PK = ("board", "scope_id", "period", "period_start", "level", "bucket")


# --- periods ------------------------------------------------------------------------------


def as_utc(when: dt.datetime) -> dt.datetime:
    """``when`` in UTC; a naive datetime is taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def period_start(period: Period, when: dt.datetime) -> dt.date:
    """First day of the period holding ``when``: weeks start Monday 00:00 UTC, months on the 1st
    (UTC); all time is :data:`ALL_TIME_START`."""
    day = as_utc(when).date()
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "all":
        return ALL_TIME_START
    raise ValueError(f"unknown period {period!r}")


def next_period_start(period: Period, when: dt.datetime) -> dt.datetime | None:
    """When the board of ``period`` holding ``when`` resets (UTC), or None for all time."""
    start = period_start(period, when)
    if period == "week":
        nxt = start + dt.timedelta(days=7)
    elif period == "month":
        nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    else:
        return None
    return dt.datetime.combine(nxt, dt.time(), tzinfo=dt.UTC)


def exam_board(exam_type: str) -> str:
    return EXAM_BOARD_PREFIX + exam_type


@dataclass(frozen=True, slots=True, order=True)
class BoardKey:
    """One board: which ranking, which scope, which period."""

    board: str
    scope_id: int
    period: str
    period_start: dt.date

    @classmethod
    def of(cls, board: str, scope_id: int, period: Period, when: dt.datetime) -> BoardKey:
        return cls(board, scope_id, period, period_start(period, when))


@dataclass(frozen=True, slots=True)
class BoardRow:
    """A user's place on one board, with what a board line shows."""

    user_id: int
    value: int
    quizzes: int
    reached_at: dt.datetime
    username: str
    discord_id: int | None


def _is(cols: Any, key: BoardKey) -> ColumnElement[bool]:
    return and_(
        cols.board == key.board,
        cols.scope_id == key.scope_id,
        cols.period == key.period,
        cols.period_start == key.period_start,
    )


# --- writes -------------------------------------------------------------------------------


async def record_progress(
    session: AsyncSession,
    *,
    user_id: int,
    guild_id: int | None,
    exam_type: str,
    xp_gained: int,
    total_xp: int,
    score_percentage: float,
    streak_current: int,
    when: dt.datetime,
) -> None:
    """Move every board one finished attempt touches, in the caller's transaction.

    Boards, each global and (with ``guild_id``) for that guild, each for the week, the month
    and all time of ``when``:

    * ``xp``: XP earned (``xp_gained`` added); the global all-time board is the user's total
      XP (``total_xp``, so XP granted outside quizzes counts too);
    * ``exam:<exam_type>``: average ``score_percentage`` of the period's quizzes of that exam,
      listed from :data:`EXAM_MIN_QUIZZES` quizzes on;
    * ``streak``: the best ``streak_current`` reached in the period (all time: longest).

    Call it once per finished attempt, late in the transaction (histogram rows are shared,
    so their row locks are best held briefly).
    """
    if xp_gained < 0 or total_xp < 0:
        raise ValueError("XP cannot be negative")
    if not 0.0 <= score_percentage <= 100.0:
        raise ValueError(f"score_percentage out of range: {score_percentage}")
    when = as_utc(when)
    score = int(score_percentage * SCORE_SCALE + 0.5)  # half up, as SQL ROUND
    scopes = [GLOBAL_SCOPE] if not guild_id else [GLOBAL_SCOPE, guild_id]
    rows: dict[_Mode, list[dict[str, Any]]] = {"set": [], "add": [], "max": [], "avg": []}

    def row(
        board: str, scope: int, period: Period, value: int | None, total: int
    ) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "board": board,
            "scope_id": scope,
            "period": period,
            "period_start": period_start(period, when),
            "value": value,
            "prev_value": None,
            "total": total,
            "quizzes": 1,
            "reached_at": when,
        }

    for scope in scopes:
        for period in PERIODS:
            if scope == GLOBAL_SCOPE and period == "all":
                rows["set"].append(row(XP_BOARD, scope, period, total_xp, total_xp))
            else:
                rows["add"].append(row(XP_BOARD, scope, period, xp_gained, xp_gained))
            first_avg = score if EXAM_MIN_QUIZZES <= 1 else None
            rows["avg"].append(row(exam_board(exam_type), scope, period, first_avg, score))
            if streak_current > 0:
                rows["max"].append(row(STREAK_BOARD, scope, period, streak_current, 0))
    moves: list[tuple[BoardKey, int | None, int | None]] = []
    for mode, mode_rows in rows.items():
        if mode_rows:
            moves += await _upsert_scores(session, mode, mode_rows)
    await _move_histogram(session, moves)


async def _upsert_scores(
    session: AsyncSession, mode: _Mode, rows: list[dict[str, Any]]
) -> list[tuple[BoardKey, int | None, int | None]]:
    """Upsert score rows combining values by ``mode``; return (key, old value, new value)."""
    rows = sorted(rows, key=lambda r: tuple(r[c] for c in _SCORE_PK))
    stmt = insert(session, BoardScore).values(rows)
    t, ex = BoardScore.__table__.c, stmt.excluded
    quizzes = t.quizzes + ex.quizzes
    total = t.total + ex.total
    value: ColumnElement[Any]
    if mode == "set":
        total, value = ex.total, ex.value
        changed = ex.value != t.value
    elif mode == "add":
        value = t.value + ex.total
        changed = ex.total != 0
    elif mode == "max":
        total = t.total
        changed = ex.value > t.value
        value = case((changed, ex.value), else_=t.value)
    else:  # avg
        value = case((quizzes >= EXAM_MIN_QUIZZES, total // quizzes), else_=null())
        changed = value.is_distinct_from(t.value)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_SCORE_PK),
        set_={
            "prev_value": t.value,
            "value": value,
            "total": total,
            "quizzes": quizzes,
            "reached_at": case((changed, ex.reached_at), else_=t.reached_at),
        },
    ).returning(t.board, t.scope_id, t.period, t.period_start, t.prev_value, t.value)
    result = await session.execute(stmt)
    return [(BoardKey(b, s, p, d), old, new) for b, s, p, d, old, new in result]


def _bucket(value: int | None, level: int) -> int | None:
    return None if value is None else value >> (FANOUT_BITS * level)


async def _move_histogram(
    session: AsyncSession, moves: Iterable[tuple[BoardKey, int | None, int | None]]
) -> None:
    """Apply value moves (None = not on the board) to every histogram level, atomically.

    A level's rows change only when the value crosses one of its bucket boundaries, so adding
    a quiz's XP usually touches levels 0 and 1 only."""
    deltas: Counter[tuple[BoardKey, int, int]] = Counter()
    for key, old, new in moves:
        for level in range(LEVELS):
            was, now = _bucket(old, level), _bucket(new, level)
            if was != now:
                if was is not None:
                    deltas[(key, level, was)] -= 1
                if now is not None:
                    deltas[(key, level, now)] += 1
    rows = [
        {
            "board": key.board,
            "scope_id": key.scope_id,
            "period": key.period,
            "period_start": key.period_start,
            "level": level,
            "bucket": bucket,
            "count": delta,
        }
        for (key, level, bucket), delta in sorted(deltas.items())
        if delta
    ]
    for start in range(0, len(rows), CHUNK):
        stmt = insert(session, BoardHistogram).values(rows[start : start + CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_HIST_PK),
            set_={"count": BoardHistogram.__table__.c.count + stmt.excluded.count},
        )
        await session.execute(stmt)


async def _take_rows(
    session: AsyncSession, user_id: int
) -> list[tuple[BoardKey, int | None, int | None]]:
    """Lock a user's board rows; return the moves that take them off their boards."""
    stmt = (
        select(
            BoardScore.board,
            BoardScore.scope_id,
            BoardScore.period,
            BoardScore.period_start,
            BoardScore.value,
        )
        .where(BoardScore.user_id == user_id)
        .order_by(*(getattr(BoardScore, c) for c in _SCORE_PK))
        .with_for_update()
    )
    rows = await session.execute(stmt)
    return [(BoardKey(b, s, p, d), value, None) for b, s, p, d, value in rows]


async def merge_users(session: AsyncSession, *, from_user_id: int, into_user_id: int) -> None:
    """Fold every board row and objective count of ``from_user_id`` into ``into_user_id``.

    XP and answer counts add up, exam averages are recomputed from the summed totals, streaks
    keep the better one; ``from_user_id`` is left with no rows and the histograms stay exact.
    """
    if from_user_id == into_user_id:
        return
    moves = await _take_rows(session, from_user_id)
    t = BoardScore.__table__.c
    source = select(
        t.board,
        t.scope_id,
        t.period,
        t.period_start,
        literal(into_user_id, Integer).label("user_id"),
        t.value,
        null().label("prev_value"),
        t.total,
        t.quizzes,
        t.reached_at,
    ).where(t.user_id == from_user_id)
    columns = [
        "board", "scope_id", "period", "period_start", "user_id",
        "value", "prev_value", "total", "quizzes", "reached_at",
    ]  # fmt: skip
    stmt = insert(session, BoardScore).from_select(columns, source)
    ex = stmt.excluded
    quizzes = t.quizzes + ex.quizzes
    total = t.total + ex.total
    is_exam = t.board.startswith(EXAM_BOARD_PREFIX)
    is_streak = t.board == STREAK_BOARD
    later = case((ex.reached_at > t.reached_at, ex.reached_at), else_=t.reached_at)
    earlier = case((ex.reached_at < t.reached_at, ex.reached_at), else_=t.reached_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_SCORE_PK),
        set_={
            "prev_value": t.value,
            "value": case(
                (is_streak, case((ex.value > t.value, ex.value), else_=t.value)),
                (is_exam, case((quizzes >= EXAM_MIN_QUIZZES, total // quizzes), else_=null())),
                else_=t.value + ex.value,
            ),
            "total": total,
            "quizzes": quizzes,
            "reached_at": case(
                (
                    is_streak,
                    case(
                        (ex.value > t.value, ex.reached_at),
                        (ex.value == t.value, earlier),
                        else_=t.reached_at,
                    ),
                ),
                else_=later,
            ),
        },
    ).returning(t.board, t.scope_id, t.period, t.period_start, t.prev_value, t.value)
    result = await session.execute(stmt)
    moves += [(BoardKey(b, s, p, d), old, new) for b, s, p, d, old, new in result]
    await session.execute(delete(BoardScore).where(BoardScore.user_id == from_user_id))
    await _move_histogram(session, moves)

    o = UserObjectiveStats.__table__.c
    stats_source = select(
        literal(into_user_id, Integer).label("user_id"),
        o.exam_type,
        o.objective,
        o.answered,
        o.correct,
    ).where(o.user_id == from_user_id)
    stats = insert(session, UserObjectiveStats).from_select(
        ["user_id", "exam_type", "objective", "answered", "correct"], stats_source
    )
    stats = stats.on_conflict_do_update(
        index_elements=["user_id", "exam_type", "objective"],
        set_={
            "answered": o.answered + stats.excluded.answered,
            "correct": o.correct + stats.excluded.correct,
        },
    )
    await session.execute(stats)
    await session.execute(
        delete(UserObjectiveStats).where(UserObjectiveStats.user_id == from_user_id)
    )
    log.info("merged board rows of user %d into user %d", from_user_id, into_user_id)


async def remove_user(session: AsyncSession, *, user_id: int) -> None:
    """Take a user off every board and drop their objective counts (account deletion).

    Deleting the ``users`` row cascades to these tables but cannot fix the histograms: call
    this first, in the same transaction.
    """
    moves = await _take_rows(session, user_id)
    await session.execute(delete(BoardScore).where(BoardScore.user_id == user_id))
    await _move_histogram(session, moves)
    await session.execute(delete(UserObjectiveStats).where(UserObjectiveStats.user_id == user_id))


async def prune_periods(session: AsyncSession, *, before: dt.date) -> None:
    """Delete the week and month boards that started before ``before`` (all time stays)."""
    for model in (BoardScore, BoardHistogram):
        await session.execute(
            delete(model).where(model.period != "all", model.period_start < before)
        )


async def record_answers_stats(
    session: AsyncSession, rows: Sequence[tuple[int, str, str | None, bool]]
) -> None:
    """Count answers per (user, exam, objective): rows of (user_id, exam_type, objective,
    is_correct). Call it from the answer recorder, in its transaction, for answers that were
    actually inserted (not for a repeated click that the unique constraint turned away).
    An unknown objective (NULL ``questions.domain``) is counted under ``""``."""
    answered: Counter[tuple[int, str, str]] = Counter()
    correct: Counter[tuple[int, str, str]] = Counter()
    for user_id, exam_type, objective, is_correct in rows:
        key = (user_id, exam_type, objective or "")
        answered[key] += 1
        correct[key] += int(is_correct)
    values = [
        {"user_id": u, "exam_type": e, "objective": o, "answered": n, "correct": correct[(u, e, o)]}
        for (u, e, o), n in sorted(answered.items())
    ]
    if not values:
        return
    stmt = insert(session, UserObjectiveStats).values(values)
    o = UserObjectiveStats.__table__.c
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "exam_type", "objective"],
            set_={
                "answered": o.answered + stmt.excluded.answered,
                "correct": o.correct + stmt.excluded.correct,
            },
        )
    )


# --- reads: statements (also EXPLAINed by the plan tests) ----------------------------------


def page_stmt(key: BoardKey, *, offset: int, limit: int) -> Select[*tuple[Any, ...]]:
    """A page of the board in board order: LIMIT/OFFSET on ``ix_board_scores_rank`` alone,
    then the users of those rows only."""
    s = BoardScore
    page = (
        select(s.user_id, s.value, s.quizzes, s.reached_at)
        .where(_is(s, key), s.value.is_not(None))
        .order_by(s.value.desc(), s.reached_at, s.user_id)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return _with_users(page).order_by(page.c.value.desc(), page.c.reached_at, page.c.user_id)


def _with_users(rows: Any) -> Select[*tuple[Any, ...]]:
    return select(
        rows.c.user_id,
        rows.c.value,
        rows.c.quizzes,
        rows.c.reached_at,
        User.username,
        User.discord_id,
    ).join(User, User.id == rows.c.user_id)


def own_row_stmt(key: BoardKey, user_id: int) -> Select[*tuple[Any, ...]]:
    """The user's row by primary key."""
    return _with_users(BoardScore.__table__).where(
        _is(BoardScore, key), BoardScore.user_id == user_id
    )


def total_stmt(key: BoardKey) -> Select[*tuple[Any, ...]]:
    """Users on the board: the sum of the top-level buckets (a handful of rows)."""
    return select(_users_counted(key))


def _users_counted(key: BoardKey) -> ColumnElement[Any]:
    h = BoardHistogram
    return (
        select(func.coalesce(func.sum(h.count), 0))
        .where(_is(h, key), h.level == TOP_LEVEL)
        .scalar_subquery()
    )


def _users_above(key: BoardKey, value: int) -> ColumnElement[Any]:
    """Users with a value above ``value``: at each level, the buckets after the value's own
    bucket within the same parent bucket (at most 31 rows a level), plus every higher bucket
    of the top level. Each user above is counted once, at the level where the paths part."""
    h = BoardHistogram
    parts: list[ColumnElement[Any]] = []
    for level in range(LEVELS):
        mine = value >> (FANOUT_BITS * level)
        within = [h.bucket > mine]
        if level < TOP_LEVEL:
            within.append(h.bucket < ((mine >> FANOUT_BITS) + 1) << FANOUT_BITS)
        parts.append(
            select(func.coalesce(func.sum(h.count), 0))
            .where(_is(h, key), h.level == level, *within)
            .scalar_subquery()
        )
    return sum(parts[1:], parts[0])


def rank_stmt(key: BoardKey, values: Sequence[int]) -> Select[*tuple[Any, ...]]:
    """One row: the number of users on the board, then the rank (1 + users strictly above)
    of each of ``values``."""
    return select(_users_counted(key), *(1 + _users_above(key, v) for v in values))


def neighbours_stmt(key: BoardKey, row: BoardRow, k: int) -> Select[*tuple[Any, ...]]:
    """Up to ``k`` rows just above ``row`` and ``k`` just below, in one statement of four
    bounded index range scans: its ties before and after it, higher and lower values."""
    s = BoardScore
    v, tie = s.value, tuple_(s.reached_at, s.user_id)
    mine = tuple_(literal(row.reached_at, s.reached_at.type), literal(row.user_id))
    base = select(s.user_id, s.value, s.quizzes, s.reached_at).where(_is(s, key)).limit(k)
    later = (s.reached_at.desc(), s.user_id.desc())
    sooner = (s.reached_at, s.user_id)
    parts = (
        base.where(v == row.value, tie < mine).order_by(*later),
        base.where(v > row.value).order_by(v.asc(), *later),
        base.where(v == row.value, tie > mine).order_by(*sooner),
        base.where(v < row.value).order_by(v.desc(), *sooner),
    )
    return _with_users(union_all(*(p.subquery().select() for p in parts)).subquery())


def objective_stats_stmt(user_id: int, exam_type: str | None) -> Select[*tuple[Any, ...]]:
    s = UserObjectiveStats
    stmt = select(s.exam_type, s.objective, s.answered, s.correct).where(s.user_id == user_id)
    if exam_type is not None:
        stmt = stmt.where(s.exam_type == exam_type)
    return stmt


def difficulty_stmt(
    exam_type: str | None, *, min_answers: int, limit: int
) -> Select[*tuple[Any, ...]]:
    """Questions with at least ``min_answers`` answers, lowest share of correct answers first."""
    q, a = Question, UserAnswer
    answered = func.count(a.id)
    correct = func.sum(case((a.is_correct, 1), else_=0))
    share = cast(correct, Float) / cast(answered, Float)
    stmt = (
        select(q.id, q.question_id, q.exam_type, q.domain, q.question_text, answered, correct)
        .join(a, a.question_id == q.id)
        .group_by(q.id, q.question_id, q.exam_type, q.domain, q.question_text)
        .having(answered >= min_answers)
        .order_by(share, answered.desc(), q.id)
        .limit(limit)
    )
    if exam_type is not None:
        stmt = stmt.where(q.exam_type == exam_type)
    return stmt


# --- reads: helpers -----------------------------------------------------------------------


def _board_row(r: Any) -> BoardRow:
    return BoardRow(
        user_id=int(r.user_id),
        value=int(r.value),
        quizzes=int(r.quizzes),
        reached_at=r.reached_at,
        username=str(r.username),
        discord_id=None if r.discord_id is None else int(r.discord_id),
    )


async def board_total(session: AsyncSession, key: BoardKey) -> int:
    return int((await session.execute(total_stmt(key))).scalar_one())


async def board_page(
    session: AsyncSession, key: BoardKey, *, offset: int, limit: int
) -> list[BoardRow]:
    result = await session.execute(page_stmt(key, offset=offset, limit=limit))
    return [_board_row(r) for r in result]


async def own_row(session: AsyncSession, key: BoardKey, user_id: int) -> BoardRow | None:
    """The user's row, or None when they are not on this board (yet)."""
    r = (await session.execute(own_row_stmt(key, user_id))).first()
    return None if r is None or r.value is None else _board_row(r)


async def standing(
    session: AsyncSession, key: BoardKey, values: Iterable[int]
) -> tuple[int, dict[int, int]]:
    """(users on the board, the rank each of ``values`` has there): RANK() semantics."""
    distinct = sorted(set(values))
    total, *ranks = (await session.execute(rank_stmt(key, distinct))).one()
    return int(total), {v: int(r) for v, r in zip(distinct, ranks, strict=True)}


def _board_order(row: BoardRow) -> tuple[int, dt.datetime, int]:
    return (-row.value, row.reached_at, row.user_id)


async def neighbours(
    session: AsyncSession, key: BoardKey, row: BoardRow, k: int
) -> tuple[list[BoardRow], list[BoardRow]]:
    """(the ``k`` rows just above ``row``, the ``k`` rows just below), both in board order."""
    found = sorted(
        (_board_row(r) for r in await session.execute(neighbours_stmt(key, row, k))),
        key=_board_order,
    )
    mine = _board_order(row)
    above = [r for r in found if _board_order(r) < mine][-k:]
    below = [r for r in found if _board_order(r) > mine][:k]
    return above, below


async def objective_counts(
    session: AsyncSession, user_id: int, exam_type: str | None
) -> list[tuple[str, str, int, int]]:
    """(exam_type, objective, answered, correct) of one user."""
    result = await session.execute(objective_stats_stmt(user_id, exam_type))
    return [(e, o, int(n), int(c)) for e, o, n, c in result]


@dataclass(frozen=True, slots=True)
class DifficultyRow:
    id: int
    question_id: str | None
    exam_type: str | None
    objective: str | None
    question_text: str
    answered: int
    correct: int


async def difficulty_rows(
    session: AsyncSession, exam_type: str | None, *, min_answers: int, limit: int
) -> list[DifficultyRow]:
    stmt = difficulty_stmt(exam_type, min_answers=min_answers, limit=limit)
    return [
        DifficultyRow(int(i), qid, e, d, str(text_), int(n), int(c))
        for i, qid, e, d, text_, n, c in await session.execute(stmt)
    ]
