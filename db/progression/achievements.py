"""Achievement and avatar queries, and the award step shared by quiz finish and account merge.

``gather_stats`` is the one query behind every criterion; the rules themselves are pure
(``bot/progression/achievements.py``). Unlocks are idempotent through the composite primary keys
(``INSERT … ON CONFLICT DO NOTHING RETURNING``): only rows actually inserted award XP.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.accounts.queries import as_aware, to_utc
from db.dialect import dialect_name, insert
from db.models import (
    EXAM_TYPES,
    Achievement,
    Avatar,
    QuizAttempt,
    UserAchievement,
    UserAvatar,
    UserProfile,
)
from db.progression.records import (
    HIGH_SCORE_PERCENT,
    AchievementDef,
    UnlockedAvatar,
    UserStats,
)

log = logging.getLogger(__name__)

COMPLETED = "completed"


def _definition(row: Any) -> AchievementDef:
    return AchievementDef(
        id=int(row.id),
        name=str(row.name),
        description=str(row.description),
        criteria_type=str(row.criteria_type),
        criteria_value=int(row.criteria_value),
        xp_reward=row.xp_reward or 0,
        unlocks_avatar_id=row.unlocks_avatar_id,
        is_hidden=bool(row.is_hidden),
        exam_type=row.exam_type,
        category=row.category,
        display_order=row.display_order or 0,
    )


_A = Achievement.__table__.c
_V = Avatar.__table__.c
_DEFINITIONS = select(
    _A.id,
    _A.name,
    _A.description,
    _A.criteria_type,
    _A.criteria_value,
    _A.xp_reward,
    _A.unlocks_avatar_id,
    _A.is_hidden,
    _A.exam_type,
    _A.category,
    _A.display_order,
).order_by(_A.display_order, _A.id)
_AVATARS = select(_V.id, _V.name, _V.rarity, _V.image_url, _V.description, _V.display_order)

# PostgreSQL: a checksum of both catalog tables, whole rows, computed in the same statement as
# what it guards (the catalog rows themselves, or a user's stats): a cached catalog is used
# only while it matches what this transaction sees, so no invalidation is needed (re-seeding,
# an edit by the web app, a test's rolled-back rows all change the checksum).
_PG_CHECKSUM = literal_column(
    "(SELECT coalesce(md5(string_agg(a::text, ',' ORDER BY a.id)), '') FROM achievements a)"
    " || '/' || "
    "(SELECT coalesce(md5(string_agg(v::text, ',' ORDER BY v.id)), '') FROM avatars v)",
    String,
)


def _checksum(dialect: str) -> ColumnElement[Any]:
    return _PG_CHECKSUM if dialect == "postgresql" else null()


@dataclass(frozen=True, slots=True)
class Catalog:
    """The achievement and avatar definitions (seeded; read-only at run time)."""

    definitions: tuple[AchievementDef, ...]
    avatars: Mapping[int, tuple[UnlockedAvatar, int | None]]
    """``{avatar id: (avatar, display_order)}``."""
    checksum: str | None
    """PostgreSQL's checksum of the rows this was read from; None: never cached (SQLite)."""

    @property
    def exam_types(self) -> frozenset[str]:
        return frozenset(EXAM_TYPES) | {d.exam_type for d in self.definitions if d.exam_type}


_catalogs: weakref.WeakKeyDictionary[Engine, Catalog] = weakref.WeakKeyDictionary()


def _engine(session: AsyncSession) -> Engine:
    return session.get_bind().engine


async def read_catalog(session: AsyncSession) -> Catalog:
    dialect = dialect_name(session)
    checksum = _checksum(dialect).label("checksum")
    for _ in range(3):
        rows = (await session.execute(_DEFINITIONS.add_columns(checksum))).all()
        avatar_rows = (await session.execute(_AVATARS.add_columns(checksum))).all()
        sums = {r.checksum for r in rows} | {r.checksum for r in avatar_rows}
        if len(sums) <= 1:  # both statements saw the same catalog (no edit in between)
            break
    else:  # the catalog kept changing under us: use it, don't cache it
        sums = {None}
    catalog = Catalog(
        definitions=tuple(_definition(r) for r in rows),
        avatars={
            int(r.id): (
                UnlockedAvatar(int(r.id), str(r.name), r.rarity, str(r.image_url), r.description),
                r.display_order,
            )
            for r in avatar_rows
        },
        checksum=next(iter(sums), None),
    )
    if catalog.checksum is not None:
        _catalogs[_engine(session)] = catalog
    return catalog


async def catalog_of(session: AsyncSession, checksum: str | None = None) -> Catalog:
    """The catalog as this transaction sees it.

    With the ``checksum`` that a statement of this transaction returned (the stats query's),
    the catalog cached for the engine is used if it matches; otherwise (and always on SQLite)
    the catalog is read, and cached on PostgreSQL.
    """
    cached = _catalogs.get(_engine(session))
    if cached is not None and checksum is not None and checksum == cached.checksum:
        return cached
    return await read_catalog(session)


_P = UserProfile.__table__.c
_QA = QuizAttempt.__table__.c
_UA = UserAchievement.__table__.c
_stats_statements: dict[tuple[str, tuple[str, ...]], Any] = {}


def _stats_statement(dialect: str, exams: tuple[str, ...]) -> Any:
    """The one stats query (see ``gather_stats``) plus the earned achievement ids and the
    catalog checksum; built once per dialect and set of exams, executed with ``user_id``."""
    key = (dialect, exams)
    stmt = _stats_statements.get(key)
    if stmt is not None:
        return stmt
    p, qa, ua = _P, _QA, _UA
    per_exam = [
        func.coalesce(func.sum(case((qa.exam_type == e, 1), else_=0)), 0).label(f"exam_{i}")
        for i, e in enumerate(exams)
    ]
    earned = (
        select(func.aggregate_strings(cast(ua.achievement_id, String), ","))
        .where(ua.user_id == p.user_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            p.xp,
            p.level,
            p.study_streak_current,
            p.study_streak_longest,
            func.count(qa.id),
            func.coalesce(
                func.sum(case((qa.correct_answers == qa.total_questions, 1), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((qa.score_percentage >= HIGH_SCORE_PERCENT, 1), else_=0)), 0
            ),
            func.coalesce(func.sum(qa.correct_answers), 0),
            earned.label("earned"),
            _checksum(dialect).label("checksum"),
            *per_exam,
        )
        .select_from(
            UserProfile.__table__.outerjoin(
                QuizAttempt.__table__,
                and_(qa.user_id == p.user_id, qa.status == COMPLETED),
            )
        )
        .where(p.user_id == bindparam("user_id"))
        .group_by(p.user_id, p.xp, p.level, p.study_streak_current, p.study_streak_longest)
    )
    _stats_statements[key] = stmt
    return stmt


@dataclass(frozen=True, slots=True)
class AwardInputs:
    """What the award step evaluates: the user's stats, the ids already earned, the catalog."""

    stats: UserStats
    earned: frozenset[int]
    catalog: Catalog


async def gather_award_inputs(session: AsyncSession, user_id: int) -> AwardInputs | None:
    """Stats, earned ids and catalog in one round trip when the cached catalog is current
    (None if the user has no profile). Quiz counts cover completed attempts only."""
    dialect = dialect_name(session)
    # unverified yet: checked against the checksum the stats statement returns
    catalog = _catalogs.get(_engine(session)) or await read_catalog(session)
    for _ in range(3):
        exams = tuple(sorted(catalog.exam_types))
        stmt = _stats_statement(dialect, exams)
        row = (await session.execute(stmt, {"user_id": user_id})).first()
        if row is None:
            return None
        if row.checksum == catalog.checksum:
            break
        # the catalog changed since it was cached: read it again, and the stats if its exams did
        fresh = await catalog_of(session, row.checksum)
        stale_exams = fresh.exam_types != catalog.exam_types
        catalog = fresh
        if not stale_exams:
            break
    if row is None:  # unreachable: a missing row returned None in the loop
        raise RuntimeError(f"no stats row was read for user {user_id}")
    earned = row[8]
    ids = frozenset(int(a) for a in earned.split(",")) if earned else frozenset()
    return AwardInputs(_stats_of(row, exams), ids, catalog)


def _stats_of(row: Any, exams: Sequence[str]) -> UserStats:
    """``UserStats`` from a row of ``_stats_statement`` (earned ids and checksum at 8 and 9)."""
    xp, level, cur, longest, quizzes, perfect, high, correct = row[:8]
    return UserStats(
        quizzes_completed=int(quizzes),
        perfect_quizzes=int(perfect),
        high_score_quizzes=int(high),
        correct_answers=int(correct),
        streak_current=int(cur or 0),
        streak_longest=int(longest or 0),
        level=int(level or 1),
        xp=int(xp or 0),
        quizzes_by_exam={e: int(n) for e, n in zip(exams, row[10:], strict=True)},
    )


async def gather_stats(
    session: AsyncSession, user_id: int, exam_types: Iterable[str] = EXAM_TYPES
) -> UserStats | None:
    """All criteria inputs of one user in ONE query (None if the user has no profile).

    Quiz counts cover completed attempts only; ``correct_answers`` is the sum over them.
    """
    exams = tuple(sorted(set(exam_types)))
    stmt = _stats_statement(dialect_name(session), exams)
    row = (await session.execute(stmt, {"user_id": user_id})).first()
    if row is None:
        return None
    return _stats_of(row, exams)


async def earned_achievements(session: AsyncSession, user_id: int) -> dict[int, dt.datetime]:
    stmt = select(UserAchievement.achievement_id, UserAchievement.earned_at).where(
        UserAchievement.user_id == user_id
    )
    result: dict[int, dt.datetime] = {}
    for aid, earned_at in await session.execute(stmt):
        result[int(aid)] = as_aware(earned_at) or dt.datetime.min.replace(tzinfo=dt.UTC)
    return result


def _build_unlock_achievement(stmt: Any) -> Any:
    return stmt.on_conflict_do_nothing(index_elements=["user_id", "achievement_id"]).returning(
        _UA.achievement_id
    )


def _build_unlock_avatar(stmt: Any) -> Any:
    t = UserAvatar.__table__.c
    return stmt.on_conflict_do_nothing(index_elements=["user_id", "avatar_id"]).returning(
        t.avatar_id
    )


_INSERTS: dict[tuple[str, str], Any] = {}


def _prebuilt_insert(session: AsyncSession, table: Any, build: Any) -> Any:
    # executemany form, compiled once: still one multi-row INSERT … RETURNING (insertmanyvalues)
    key = (dialect_name(session), table.name)
    if key not in _INSERTS:
        _INSERTS[key] = build(insert(session, table))
    return _INSERTS[key]


async def insert_user_achievements(
    session: AsyncSession, user_id: int, achievement_ids: Sequence[int], now: dt.datetime
) -> set[int]:
    """Unlock; returns the ids actually inserted (already-earned ones are skipped)."""
    if not achievement_ids:
        return set()
    when = to_utc(now)
    stmt = _prebuilt_insert(session, UserAchievement.__table__, _build_unlock_achievement)
    rows = [{"user_id": user_id, "achievement_id": a, "earned_at": when} for a in achievement_ids]
    return {int(a) for (a,) in await session.execute(stmt, rows)}


async def insert_user_avatars(
    session: AsyncSession,
    user_id: int,
    avatar_ids: Sequence[int],
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> list[UnlockedAvatar]:
    """Unlock avatars; returns those actually new for the user, in display order."""
    ids = sorted(set(avatar_ids))
    if not ids:
        return []
    when = to_utc(now)
    stmt = _prebuilt_insert(session, UserAvatar.__table__, _build_unlock_avatar)
    rows = [{"user_id": user_id, "avatar_id": a, "unlocked_at": when} for a in ids]
    new_ids = {int(a) for (a,) in await session.execute(stmt, rows)}
    if not new_ids:
        return []
    if catalog is None:
        catalog = await read_catalog(session)
    nulls_first = dialect_name(session) == "sqlite"  # as ORDER BY display_order sorts NULL

    def order(avatar_id: int) -> tuple[bool, int, int]:
        shown = catalog.avatars[avatar_id][1]
        return (nulls_first != (shown is None), shown or 0, avatar_id)

    return [catalog.avatars[a][0] for a in sorted(new_ids, key=order)]








