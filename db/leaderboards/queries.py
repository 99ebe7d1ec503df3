"""Pre-aggregated leaderboards and per-objective answer counts: writes and the hot reads.

Every write here is an atomic upsert (``ON CONFLICT DO UPDATE SET x = x + excluded.x``) inside
the caller's transaction; nothing commits. The design, the indexes and their query plans are in
docs/queries.md. In short:

* ``board_scores`` holds one row per (board, scope, period, period start, user). A finished
  attempt moves up to 18 rows (xp, exam and streak boards; global and the guild's scope; week,
  month and all time) in one statement; how a row combines its value (set, add, max,
  average) follows from its key, in a ``CASE``.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    SmallInteger,
    and_,
    bindparam,
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

from db.dialect import dialect_name, insert
from db.leaderboards.models import BoardHistogram, BoardScore, UserObjectiveStats
from db.models import Question, User, UserAnswer
from db.utc import read_utc

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

_Mode = Literal["set", "add", "max", "avg"]
_SCORE_PK = ("user_id", "board", "scope_id", "period", "period_start")
_HIST_PK = ("board", "scope_id", "period", "period_start", "level", "bucket")


# --- periods ------------------------------------------------------------------------------


as_utc = read_utc
"""Period arithmetic also runs on values read back from SQLite (naive UTC)."""


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
    # one statement for every mode (the combining rule follows from the row's board key)
    all_rows = [r for mode_rows in rows.values() for r in mode_rows]
    moves = await _upsert_scores(session, "progress", all_rows)
    await _move_histogram(session, moves)


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _prebuilt(session: AsyncSession, name: str, table: Any, build: Callable[[Any], Any]) -> Any:
    """An upsert built once per dialect from ``insert(table)``: executed with a list of
    parameter dicts it runs as one multi-row statement, compiled once, not on every call."""
    key = (dialect_name(session), name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build(insert(session, table))
    return _STATEMENTS[key]


def _combine(mode: _Mode, t: Any, ex: Any) -> tuple[Any, Any, Any]:
    """(value, total, changed) of an existing row ``t`` updated by ``ex`` under ``mode``."""
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
    return value, total, changed


def _build_score_upsert(mode: _Mode | Literal["progress"]) -> Callable[[Any], Any]:
    """The score upsert of one combining mode, or of ``"progress"``: every mode in one
    statement, chosen per row from its key as ``record_progress`` assigns them (the global
    all-time xp board "set", other xp boards "add", streak boards "max", exam boards "avg")."""

    def build(stmt: Any) -> Any:
        t, ex = BoardScore.__table__.c, stmt.excluded
        if mode != "progress":
            value, total, changed = _combine(mode, t, ex)
        else:
            is_xp = ex.board == XP_BOARD
            whens: list[tuple[ColumnElement[bool], _Mode]] = [
                (and_(is_xp, ex.scope_id == GLOBAL_SCOPE, ex.period == "all"), "set"),
                (is_xp, "add"),
                (ex.board == STREAK_BOARD, "max"),
            ]
            parts = {m: _combine(m, t, ex) for m in ("set", "add", "max", "avg")}

            def pick(i: int) -> Any:
                return case(*((w, parts[m][i]) for w, m in whens), else_=parts["avg"][i])

            value, total, changed = pick(0), pick(1), pick(2)
        return stmt.on_conflict_do_update(
            index_elements=list(_SCORE_PK),
            set_={
                "prev_value": t.value,
                "value": value,
                "total": total,
                "quizzes": t.quizzes + ex.quizzes,
                "reached_at": case((changed, ex.reached_at), else_=t.reached_at),
            },
        ).returning(t.board, t.scope_id, t.period, t.period_start, t.prev_value, t.value)

    return build


async def _upsert_scores(
    session: AsyncSession, mode: _Mode | Literal["progress"], rows: list[dict[str, Any]]
) -> list[tuple[BoardKey, int | None, int | None]]:
    """Upsert score rows combining values by ``mode``; return (key, old value, new value)."""
    rows = sorted(rows, key=lambda r: tuple(r[c] for c in _SCORE_PK))
    stmt = _prebuilt(session, mode, BoardScore.__table__, _build_score_upsert(mode))
    result = await session.execute(stmt, rows)
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
    if rows:
        stmt = _prebuilt(session, "histogram", BoardHistogram.__table__, _build_count_upsert)
        await session.execute(stmt, rows)


def _build_count_upsert(stmt: Any) -> Any:
    return stmt.on_conflict_do_update(
        index_elements=list(_HIST_PK),
        set_={"count": BoardHistogram.__table__.c.count + stmt.excluded.count},
    )


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
    log.info("merged board rows", extra={"from_user_id": from_user_id, "user_id": into_user_id})


async def remove_user(session: AsyncSession, *, user_id: int) -> None:
    """Take a user off every board and drop their objective counts (account deletion).

    Deleting the ``users`` row cascades to these tables but cannot fix the histograms: call
    this first, in the same transaction.
    """
    moves = await _take_rows(session, user_id)
    await session.execute(delete(BoardScore).where(BoardScore.user_id == user_id))
    await _move_histogram(session, moves)
    await session.execute(delete(UserObjectiveStats).where(UserObjectiveStats.user_id == user_id))


async def prune_periods(
    session: AsyncSession, *, weeks_before: dt.date, months_before: dt.date
) -> int:
    """Delete the week boards that started before ``weeks_before`` and the month boards that
    started before ``months_before``; the all-time boards are never touched. Returns the
    number of rows deleted (scores and histograms). Flushes, never commits."""
    deleted = 0
    for model in (BoardScore, BoardHistogram):
        for period, before in (("week", weeks_before), ("month", months_before)):
            result = await session.execute(
                delete(model)
                .where(model.period == period, model.period_start < before)
                .execution_options(synchronize_session=False)
            )
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


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
    if values:
        stmt = _prebuilt(session, "objectives", UserObjectiveStats.__table__, _build_answer_upsert)
        await session.execute(stmt, values)


def _build_answer_upsert(stmt: Any) -> Any:
    o = UserObjectiveStats.__table__.c
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "exam_type", "objective"],
        set_={
            "answered": o.answered + stmt.excluded.answered,
            "correct": o.correct + stmt.excluded.correct,
        },
    )


# --- reads: statements --------------------------------------------------------------------
#
# The hot statements are built once, with bind parameters, and executed with a parameter dict:
# building a SQLAlchemy statement costs more Python time than PostgreSQL needs to run these.
# The ``*_stmt(key, ...)`` functions return them with values bound, for EXPLAIN and tests.

RANK_SLOTS = 2
"""Values one standing statement ranks (the page's first row, the viewer)."""
COUNT_SLOTS = 5
"""Values one standing statement counts users at (the viewer and four neighbours)."""
TOTAL_TAG = 0
_UNUSED_TAG = -1000
_NO_END = 1 << 62


def _key_params(key: BoardKey) -> dict[str, Any]:
    return {
        "board": key.board,
        "scope_id": key.scope_id,
        "period": key.period,
        "period_start": key.period_start,
    }


def _on_board(cols: Any) -> ColumnElement[bool]:
    return and_(
        cols.board == bindparam("board"),
        cols.scope_id == bindparam("scope_id"),
        cols.period == bindparam("period"),
        cols.period_start == bindparam("period_start"),
    )


def _with_users(rows: Any) -> Select[*tuple[Any, ...]]:
    return select(
        rows.c.user_id,
        rows.c.value,
        rows.c.quizzes,
        rows.c.reached_at,
        User.username,
        User.discord_id,
    ).join(User, User.id == rows.c.user_id)


@cache
def _page() -> Select[*tuple[Any, ...]]:
    s = BoardScore
    page = (
        select(s.user_id, s.value, s.quizzes, s.reached_at)
        .where(_on_board(s), s.value.is_not(None))
        .order_by(s.value.desc(), s.reached_at, s.user_id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return _with_users(page).order_by(page.c.value.desc(), page.c.reached_at, page.c.user_id)


def page_stmt(key: BoardKey, *, offset: int, limit: int) -> Select[*tuple[Any, ...]]:
    """A page of the board in board order: LIMIT/OFFSET on ``ix_board_scores_rank`` alone,
    then the users of those rows only."""
    return _page().params(**_key_params(key), offset=offset, limit=limit)


@cache
def _own_row() -> Select[*tuple[Any, ...]]:
    s = BoardScore
    return _with_users(s.__table__).where(_on_board(s), s.user_id == bindparam("user_id"))


def own_row_stmt(key: BoardKey, user_id: int) -> Select[*tuple[Any, ...]]:
    """The user's row, by primary key."""
    return _own_row().params(**_key_params(key), user_id=user_id)


@cache
def _neighbours() -> Select[*tuple[Any, ...]]:
    s = BoardScore
    v, tie = s.value, tuple_(s.reached_at, s.user_id)
    mine = tuple_(
        bindparam("reached_at", type_=s.reached_at.type), bindparam("user_id", type_=Integer)
    )
    base = (
        select(s.user_id, s.value, s.quizzes, s.reached_at)
        .where(_on_board(s))
        .limit(bindparam("k", type_=Integer))
    )
    value = bindparam("value", type_=BigInteger)
    later = (s.reached_at.desc(), s.user_id.desc())
    sooner = (s.reached_at, s.user_id)
    parts = (
        base.where(v == value, tie < mine).order_by(*later),
        base.where(v > value).order_by(v.asc(), *later),
        base.where(v == value, tie > mine).order_by(*sooner),
        base.where(v < value).order_by(v.desc(), *sooner),
    )
    return _with_users(union_all(*(p.subquery().select() for p in parts)).subquery())


def _neighbour_params(key: BoardKey, row: BoardRow, k: int) -> dict[str, Any]:
    return {
        **_key_params(key),
        "value": row.value,
        "reached_at": row.reached_at,
        "user_id": row.user_id,
        "k": k,
    }


def neighbours_stmt(key: BoardKey, row: BoardRow, k: int) -> Select[*tuple[Any, ...]]:
    """Up to ``k`` rows just above ``row`` and ``k`` just below, in one statement of four
    bounded index range scans: its ties before and after it, higher and lower values."""
    return _neighbours().params(**_neighbour_params(key, row, k))


def _above_ranges(value: int) -> list[tuple[int, int, int]]:
    """(level, after bucket, before bucket) ranges holding exactly the users above ``value``:
    on each level the buckets after the value's own within the same parent (at most 31),
    on the top level every higher bucket. Each user above is counted once, on the level
    where their value and ``value`` part."""
    ranges = []
    for level in range(LEVELS):
        mine = value >> (FANOUT_BITS * level)
        end = ((mine >> FANOUT_BITS) + 1) << FANOUT_BITS if level < TOP_LEVEL else _NO_END
        ranges.append((level, mine, end))
    return ranges


_RANGES = 1 + RANK_SLOTS * LEVELS + COUNT_SLOTS


@cache
def _standing() -> Select[*tuple[Any, ...]]:
    wanted = union_all(
        *(
            select(
                bindparam(f"tag{i}", type_=Integer).label("tag"),
                bindparam(f"level{i}", type_=SmallInteger).label("level"),
                bindparam(f"after{i}", type_=BigInteger).label("after"),
                bindparam(f"before{i}", type_=BigInteger).label("before"),
            )
            for i in range(_RANGES)
        )
    ).cte("wanted")
    h = BoardHistogram
    # A correlated subquery, not a join: each range must stay its own small index range scan
    # (as a join, the planner may hash the board's whole histogram instead).
    users = (
        select(func.coalesce(func.sum(h.count), 0))
        .where(
            _on_board(h),
            h.level == wanted.c.level,
            h.bucket > wanted.c.after,
            h.bucket < wanted.c.before,
        )
        .scalar_subquery()
    )
    return select(wanted.c.tag, users)


def _standing_params(
    key: BoardKey, rank_of: Sequence[int], count_of: Sequence[int]
) -> dict[str, Any]:
    """Tag 0: every user on the board (the top-level buckets); tag ``1 + i``: the users above
    ``rank_of[i]``; tag ``-1 - i``: the users at exactly ``count_of[i]``; unused slots are
    empty ranges."""
    if len(rank_of) > RANK_SLOTS or len(count_of) > COUNT_SLOTS:
        raise ValueError("too many values for one standing statement")
    ranges = [(TOTAL_TAG, TOP_LEVEL, -1, _NO_END)]
    for i, value in enumerate(rank_of):
        ranges += [(1 + i, *r) for r in _above_ranges(value)]
    ranges += [(-1 - i, 0, value - 1, value + 1) for i, value in enumerate(count_of)]
    ranges += [(_UNUSED_TAG, 0, 0, 0)] * (_RANGES - len(ranges))
    params = _key_params(key)
    for i, (tag, level, after, before) in enumerate(ranges):
        params.update(
            {f"tag{i}": tag, f"level{i}": level, f"after{i}": after, f"before{i}": before}
        )
    return params


def standing_stmt(
    key: BoardKey, *, rank_of: Sequence[int] = (), count_of: Sequence[int] = ()
) -> Select[*tuple[Any, ...]]:
    """(tag, users) rows: histogram sums over at most 14 small bucket ranges (see
    :func:`_standing_params`), one index range scan each."""
    return _standing().params(**_standing_params(key, rank_of, count_of))


@cache
def _total() -> Select[*tuple[Any, ...]]:
    h = BoardHistogram
    return select(func.coalesce(func.sum(h.count), 0)).where(_on_board(h), h.level == TOP_LEVEL)


def total_stmt(key: BoardKey) -> Select[*tuple[Any, ...]]:
    """Users on the board: the sum of the top-level buckets (a handful of rows)."""
    return _total().params(**_key_params(key))


@cache
def _objective_stats(one_exam: bool) -> Select[*tuple[Any, ...]]:
    s = UserObjectiveStats
    stmt = select(s.exam_type, s.objective, s.answered, s.correct).where(
        s.user_id == bindparam("user_id")
    )
    return stmt.where(s.exam_type == bindparam("exam_type")) if one_exam else stmt


def _objective_params(user_id: int, exam_type: str | None) -> dict[str, Any]:
    return (
        {"user_id": user_id} if exam_type is None else {"user_id": user_id, "exam_type": exam_type}
    )


def objective_stats_stmt(user_id: int, exam_type: str | None) -> Select[*tuple[Any, ...]]:
    """A user's per-objective counts, by primary key prefix."""
    return _objective_stats(exam_type is not None).params(**_objective_params(user_id, exam_type))


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
    return int((await session.execute(_total(), _key_params(key))).scalar_one())


async def board_page(
    session: AsyncSession, key: BoardKey, *, offset: int, limit: int
) -> list[BoardRow]:
    params = {**_key_params(key), "offset": offset, "limit": limit}
    return [_board_row(r) for r in await session.execute(_page(), params)]


async def own_row(session: AsyncSession, key: BoardKey, user_id: int) -> BoardRow | None:
    """The user's row, or None when they are not on this board (yet)."""
    params = {**_key_params(key), "user_id": user_id}
    r = (await session.execute(_own_row(), params)).first()
    return None if r is None or r.value is None else _board_row(r)


@dataclass(frozen=True, slots=True)
class Standing:
    total: int
    """Users on the board."""
    ranks: dict[int, int]
    """Rank (1 + users strictly above: RANK() semantics) of each value asked for."""
    counts: dict[int, int]
    """Users at exactly each value asked for."""


async def standing(
    session: AsyncSession,
    key: BoardKey,
    *,
    rank_of: Iterable[int] = (),
    count_of: Iterable[int] = (),
) -> Standing:
    """The board's size, ranks of ``rank_of`` and user counts at ``count_of``, from a few
    dozen histogram rows per value however deep the values are (one statement for up to
    :data:`RANK_SLOTS` ranks and :data:`COUNT_SLOTS` counts)."""
    ranked, counted = sorted(set(rank_of)), sorted(set(count_of))
    total, ranks, counts = 0, {}, {}
    while True:
        some_ranks, ranked = ranked[:RANK_SLOTS], ranked[RANK_SLOTS:]
        some_counts, counted = counted[:COUNT_SLOTS], counted[COUNT_SLOTS:]
        params = _standing_params(key, some_ranks, some_counts)
        sums: Counter[int] = Counter()
        for tag, users in await session.execute(_standing(), params):
            sums[tag] += int(users)
        total = sums[TOTAL_TAG]
        ranks.update({v: 1 + sums[1 + i] for i, v in enumerate(some_ranks)})
        counts.update({v: sums[-1 - i] for i, v in enumerate(some_counts)})
        if not ranked and not counted:
            return Standing(total, ranks, counts)


def _board_order(row: BoardRow) -> tuple[int, dt.datetime, int]:
    return (-row.value, row.reached_at, row.user_id)


async def neighbours(
    session: AsyncSession, key: BoardKey, row: BoardRow, k: int
) -> tuple[list[BoardRow], list[BoardRow]]:
    """(the ``k`` rows just above ``row``, the ``k`` rows just below), both in board order."""
    found = sorted(
        (
            _board_row(r)
            for r in await session.execute(_neighbours(), _neighbour_params(key, row, k))
        ),
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
    result = await session.execute(
        _objective_stats(exam_type is not None), _objective_params(user_id, exam_type)
    )
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
