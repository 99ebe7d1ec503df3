"""Leaderboards as players see them, on PostgreSQL and SQLite.

Every story drives the public API: ``record_progress`` (what finishing a quiz does) and
``leaderboard`` (what ``/leaderboard`` shows). The plan test at the end runs on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.errors import InvalidInput
from bot.leaderboards.service import LeaderboardPage, leaderboard
from db.engine import create_engine
from db.leaderboards import queries as boards
from db.leaderboards.models import BoardHistogram, BoardScore
from db.leaderboards.queries import (
    PERIODS,
    BoardKey,
    Period,
    merge_users,
    record_progress,
    remove_user,
)
from db.migrate import downgrade_to, upgrade_to_head
from db.models import QuizAttempt, User, UserProfile
from tests.conftest import PG_ADMIN_URL, _pg_admin

UTC = dt.UTC
WEDNESDAY = dt.datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222


@dataclass
class Players:
    """A tiny world: users who finish quizzes; their total XP is tracked like the profile's."""

    session: AsyncSession
    total_xp: Counter[int] = field(default_factory=Counter)
    names: dict[str, int] = field(default_factory=dict)

    async def join(self, name: str, discord_id: int | None = None) -> int:
        user_id = (
            await self.session.execute(
                insert(User)
                .values(
                    email=f"{name}@example.test",
                    username=name,
                    hashed_password="!",
                    discord_id=discord_id,
                )
                .returning(User.id)
            )
        ).scalar_one()
        await self.session.execute(insert(UserProfile).values(user_id=user_id))
        self.names[name] = user_id
        return int(user_id)

    async def finish(
        self,
        user_id: int,
        *,
        xp: int = 10,
        guild: int | None = None,
        exam: str = "security",
        score: float = 80.0,
        streak: int = 1,
        when: dt.datetime = WEDNESDAY,
    ) -> None:
        self.total_xp[user_id] += xp
        await record_progress(
            self.session,
            user_id=user_id,
            guild_id=guild,
            exam_type=exam,
            xp_gained=xp,
            total_xp=self.total_xp[user_id],
            score_percentage=score,
            streak_current=streak,
            when=when,
        )

    async def board(
        self,
        board: Any = "xp",
        *,
        guild: int | None = None,
        period: Period = "all",
        exam: str | None = None,
        page: int = 1,
        viewer: int | None = None,
        now: dt.datetime = WEDNESDAY,
    ) -> LeaderboardPage:
        return await leaderboard(
            self.session,
            board=board,
            scope_guild_id=guild,
            period=period,
            exam_type=exam,
            page=page,
            viewer_user_id=viewer,
            now=now,
        )


@pytest.fixture
def players(session: AsyncSession) -> Players:
    return Players(session)


def lines(page: LeaderboardPage) -> list[tuple[int, str, int | float]]:
    return [(e.rank, e.username, e.value) for e in page.entries]


async def test_global_xp_board_ranks_by_xp_and_ties_go_to_who_got_there_first(
    players: Players,
) -> None:
    ada = await players.join("ada", discord_id=1001)
    bob = await players.join("bob")
    cy = await players.join("cy")
    dee = await players.join("dee")
    await players.finish(bob, xp=100, when=WEDNESDAY - dt.timedelta(hours=3))
    await players.finish(ada, xp=100, when=WEDNESDAY - dt.timedelta(hours=1))
    await players.finish(cy, xp=150, when=WEDNESDAY - dt.timedelta(hours=2))
    await players.finish(dee, xp=40, when=WEDNESDAY - dt.timedelta(hours=4))

    page = await players.board("xp", period="all")

    assert lines(page) == [(1, "cy", 150), (2, "bob", 100), (2, "ada", 100), (4, "dee", 40)]
    assert page.total_entries == 4 and page.page_count == 1
    assert page.entries[2].discord_id == 1001 and page.entries[2].quizzes == 1


async def test_equal_values_reached_at_the_same_moment_are_ordered_by_user_id(
    players: Players,
) -> None:
    ids = [await players.join(name) for name in ("zed", "yan", "xia")]
    for user_id in reversed(ids):
        await players.finish(user_id, xp=70)

    page = await players.board("xp", period="week")

    assert [e.user_id for e in page.entries] == sorted(ids)
    assert {e.rank for e in page.entries} == {1}


async def test_the_weekly_board_starts_over_on_monday_and_the_monthly_on_the_first(
    players: Players,
) -> None:
    eve = await players.join("eve")
    sunday_night = dt.datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    monday = dt.datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    december = dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    await players.finish(eve, xp=30, when=sunday_night)
    await players.finish(eve, xp=20, when=monday)
    await players.finish(eve, xp=5, when=december)

    assert lines(await players.board(period="week", now=sunday_night)) == [(1, "eve", 30)]
    # Tuesday 1 December is in the same week as Monday 30 November, but in a new month.
    assert lines(await players.board(period="week", now=monday)) == [(1, "eve", 25)]
    assert lines(await players.board(period="week", now=december)) == [(1, "eve", 25)]
    assert lines(await players.board(period="month", now=monday)) == [(1, "eve", 50)]
    assert lines(await players.board(period="month", now=december)) == [(1, "eve", 5)]
    assert lines(await players.board(period="all", now=december)) == [(1, "eve", 55)]
    empty = await players.board(period="week", now=december + dt.timedelta(days=7))
    assert empty.entries == () and empty.total_entries == 0 and empty.page_count == 1
    assert empty.resets_at == dt.datetime(2026, 12, 14, tzinfo=UTC)


async def test_a_server_board_counts_only_xp_earned_in_that_server(players: Players) -> None:
    fay = await players.join("fay")
    gus = await players.join("gus")
    await players.finish(fay, xp=50, guild=GUILD)
    await players.finish(fay, xp=500, guild=OTHER_GUILD)
    await players.finish(fay, xp=900)  # in direct messages
    await players.finish(gus, xp=80, guild=GUILD)

    here = await players.board(guild=GUILD, period="week")
    there = await players.board(guild=OTHER_GUILD, period="all")
    everywhere = await players.board(period="all")

    assert lines(here) == [(1, "gus", 80), (2, "fay", 50)]
    assert lines(there) == [(1, "fay", 500)]
    assert lines(everywhere) == [(1, "fay", 1450), (2, "gus", 80)]


async def test_a_player_outside_the_top_ten_sees_their_rank_and_neighbours(
    players: Players,
) -> None:
    ids = [await players.join(f"p{i:02d}") for i in range(25)]
    for i, user_id in enumerate(ids):  # p00 has 250 XP ... p24 has 10 XP
        await players.finish(user_id, xp=(25 - i) * 10)
    viewer = ids[17]

    page = await players.board(period="week", viewer=viewer)

    assert [e.rank for e in page.entries] == list(range(1, 11))
    assert page.viewer is not None and page.viewer.rank == 18 and page.viewer.is_viewer
    assert [(e.rank, e.username) for e in page.around_viewer] == [
        (16, "p15"), (17, "p16"), (18, "p17"), (19, "p18"), (20, "p19"),
    ]  # fmt: skip
    assert page.total_entries == 25 and page.page_count == 3


async def test_a_player_on_the_page_is_marked_and_gets_no_separate_block(
    players: Players,
) -> None:
    ids = [await players.join(f"q{i}") for i in range(3)]
    for i, user_id in enumerate(ids):
        await players.finish(user_id, xp=100 - i)

    page = await players.board(period="week", viewer=ids[1])

    assert page.viewer == page.entries[1] and page.viewer.is_viewer
    assert page.around_viewer == ()


async def test_neighbours_near_the_ends_and_among_ties(players: Players) -> None:
    ids = [await players.join(f"t{i:02d}") for i in range(14)]
    for i, user_id in enumerate(ids[:11]):
        await players.finish(user_id, xp=200 - i)
    for i, user_id in enumerate(ids[11:]):  # three players tied at 50, in this order
        await players.finish(user_id, xp=50, when=WEDNESDAY + dt.timedelta(minutes=i))

    last = await players.board(period="week", viewer=ids[-1])
    middle = await players.board(period="week", viewer=ids[12])

    assert [(e.rank, e.username) for e in last.around_viewer] == [
        (12, "t11"), (12, "t12"), (12, "t13"),
    ]  # fmt: skip
    assert [(e.rank, e.username) for e in middle.around_viewer] == [
        (11, "t10"), (12, "t11"), (12, "t12"), (12, "t13"),
    ]  # fmt: skip


async def test_pages_of_ten_keep_shared_ranks_across_the_page_break(players: Players) -> None:
    ids = [await players.join(f"r{i:02d}") for i in range(23)]
    for i, user_id in enumerate(ids):
        xp = 1000 - 10 * min(i, 9) if i <= 11 else 1000 - 10 * i  # positions 10-12 tie
        await players.finish(user_id, xp=xp, when=WEDNESDAY + dt.timedelta(seconds=i))

    second = await players.board(period="week", page=2)
    third = await players.board(period="week", page=3)
    beyond = await players.board(period="week", page=99)

    assert [e.rank for e in second.entries] == [10, 10, 13, 14, 15, 16, 17, 18, 19, 20]
    assert [e.username for e in second.entries][:2] == ["r10", "r11"]
    assert [e.rank for e in third.entries] == [21, 22, 23]
    assert beyond.page == 3 and lines(beyond) == lines(third)


async def test_the_exam_board_averages_scores_once_a_player_has_three_quizzes(
    players: Players,
) -> None:
    hal = await players.join("hal")
    ivy = await players.join("ivy")
    for score in (100.0, 90.0):
        await players.finish(hal, exam="network", score=score)
    for score in (70.0, 80.0, 95.0):
        await players.finish(ivy, exam="network", score=score)
    await players.finish(hal, exam="security", score=100.0)

    before = await players.board("exam", exam="network", period="week", viewer=hal)
    await players.finish(hal, exam="network", score=60.0)
    after = await players.board("exam", exam="network", period="week", viewer=hal)

    # averages are kept in hundredths of a percent, rounded down: 245 / 3 -> 81.66
    assert lines(before) == [(1, "ivy", 81.66)] and before.viewer is None
    assert lines(after) == [(1, "hal", 83.33), (2, "ivy", 81.66)]
    assert after.viewer is not None and after.viewer.quizzes == 3
    assert (await players.board("exam", exam="security", period="week")).entries == ()


async def test_the_streak_board_keeps_the_best_streak_reached_in_the_period(
    players: Players,
) -> None:
    jo = await players.join("jo")
    kim = await players.join("kim")
    await players.finish(jo, streak=5, when=WEDNESDAY)
    await players.finish(jo, streak=1, when=WEDNESDAY + dt.timedelta(days=2))  # broke it
    await players.finish(kim, streak=3, when=WEDNESDAY)
    next_monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await players.finish(jo, streak=2, when=next_monday)

    assert lines(await players.board("streak", period="week")) == [(1, "jo", 5), (2, "kim", 3)]
    assert lines(await players.board("streak", period="week", now=next_monday)) == [(1, "jo", 2)]
    assert lines(await players.board("streak", period="all", now=next_monday)) == [
        (1, "jo", 5),
        (2, "kim", 3),
    ]


async def test_unknown_boards_and_exams_are_refused(players: Players) -> None:
    with pytest.raises(InvalidInput):
        await players.board("exam", exam="cissp")
    with pytest.raises(InvalidInput):
        await players.board("exam", exam=None)
    with pytest.raises(InvalidInput):
        await players.board("karma")
    with pytest.raises(InvalidInput):
        await players.board(period="decade")  # type: ignore[arg-type]


async def histogram_ranks(session: AsyncSession, key: BoardKey) -> dict[int, int]:
    """user id -> rank from the histogram, checked against the rows themselves."""
    result = await session.execute(
        select(BoardScore.user_id, BoardScore.value).where(
            BoardScore.board == key.board,
            BoardScore.scope_id == key.scope_id,
            BoardScore.period == key.period,
            BoardScore.period_start == key.period_start,
            BoardScore.value.is_not(None),
        )
    )
    rows = [(int(user_id), int(value or 0)) for user_id, value in result]
    values = [v for _, v in rows]
    known = await boards.standing(session, key, rank_of=values, count_of=values)
    for user_id, value in rows:
        assert known.ranks[value] == 1 + sum(1 for _, v in rows if v > value), (user_id, value)
        assert known.counts[value] == values.count(value)
    assert known.total == await boards.board_total(session, key) == len(rows)
    ranks = known.ranks
    return {user_id: ranks[value] for user_id, value in rows}


async def test_a_merged_discord_account_brings_its_progress_along(players: Players) -> None:
    web = await players.join("lin")
    discord = await players.join("lin_discord", discord_id=4242)
    rival = await players.join("max")
    await players.finish(web, xp=100, guild=GUILD, exam="a1101", score=90.0, streak=4)
    await players.finish(web, xp=10, exam="a1101", score=80.0, streak=5)
    await players.finish(discord, xp=60, guild=GUILD, exam="a1101", score=50.0, streak=2)
    await players.finish(discord, xp=5, guild=OTHER_GUILD, exam="network", score=75.0)
    await players.finish(rival, xp=150, guild=GUILD)

    await merge_users(players.session, from_user_id=discord, into_user_id=web)

    assert lines(await players.board(period="all")) == [(1, "lin", 175), (2, "max", 150)]
    assert lines(await players.board(guild=GUILD, period="week")) == [
        (1, "lin", 160),
        (2, "max", 150),
    ]
    assert lines(await players.board(guild=OTHER_GUILD, period="month")) == [(1, "lin", 5)]
    exam = await players.board("exam", exam="a1101", period="week")
    assert lines(exam) == [(1, "lin", round((9000 + 8000 + 5000) // 3 / 100, 2))]
    assert exam.entries[0].quizzes == 3
    assert lines(await players.board("streak", period="all")) == [(1, "lin", 5), (2, "max", 1)]
    left = await players.session.scalar(
        select(func.count()).select_from(BoardScore).where(BoardScore.user_id == discord)
    )
    assert left == 0
    for board, scope in (("xp", 0), ("xp", GUILD), ("streak", 0), ("exam:a1101", 0)):
        for period in PERIODS:
            await histogram_ranks(players.session, BoardKey.of(board, scope, period, WEDNESDAY))


async def test_a_removed_account_leaves_every_board(players: Players) -> None:
    nat = await players.join("nat")
    oz = await players.join("oz")
    await players.finish(nat, xp=90, guild=GUILD)
    await players.finish(oz, xp=30, guild=GUILD)

    await remove_user(players.session, user_id=nat)

    page = await players.board(guild=GUILD, period="week", viewer=nat)
    assert lines(page) == [(1, "oz", 30)] and page.total_entries == 1 and page.viewer is None


async def test_ranks_stay_exact_through_many_random_finishes(players: Players) -> None:
    """A model check: replay random finishes, compare every board with a plain recomputation."""
    rng = random.Random(20261118)
    ids = [await players.join(f"m{i:02d}") for i in range(30)]
    earned: dict[tuple[int, int], int] = Counter()
    reached: dict[tuple[int, int], tuple[int, dt.datetime]] = {}
    for step in range(150):
        user_id = rng.choice(ids)
        guild = rng.choice([GUILD, OTHER_GUILD, None])
        xp = rng.choice([0, 10, 10, 20, 30, 1030, 33000])  # ties; crossing every bucket level
        when = WEDNESDAY + dt.timedelta(seconds=step)
        await players.finish(user_id, xp=xp, guild=guild, when=when)
        for scope in {0, guild or 0}:
            earned[(scope, user_id)] += xp
            if xp or (scope, user_id) not in reached:
                reached[(scope, user_id)] = (earned[(scope, user_id)], when)

    for scope in (0, GUILD, OTHER_GUILD):
        expected = sorted(
            ((v, when, u) for (s, u), (v, when) in reached.items() if s == scope),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        shown: list[tuple[int, int, int]] = []
        board = await players.board(guild=scope or None, period="week")
        for number in range(1, board.page_count + 1):
            page = await players.board(guild=scope or None, period="week", page=number)
            shown += [(e.rank, e.user_id, int(e.value)) for e in page.entries]
        want = [(1 + sum(1 for w in expected if w[0] > v), u, v) for v, _, u in expected]
        assert shown == want
        ranks = await histogram_ranks(players.session, BoardKey.of("xp", scope, "week", WEDNESDAY))
        for rank, user_id, _ in want:
            assert ranks[user_id] == rank
            me = await players.board(guild=scope or None, period="week", viewer=user_id)
            assert me.viewer is not None and me.viewer.rank == rank
            order = [u for _, u, _ in want]
            at = order.index(user_id)
            assert bool(me.around_viewer) == (at >= 10)
            if me.around_viewer:
                assert [e.user_id for e in me.around_viewer] == order[max(0, at - 2) : at + 3]


# --- the upgrade fills the all-time boards from existing data ------------------------------


@pytest.fixture(params=["postgresql", "sqlite"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'boards.sqlite3'}"
        return
    name = f"certquest_boards_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_upgrading_fills_the_all_time_boards_from_existing_data(empty_url: str) -> None:
    await upgrade_to_head(empty_url)
    await downgrade_to(empty_url, "0002")
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            old = AsyncSession(bind=conn)
            web = Players(old)
            pat = await web.join("pat")
            quinn = await web.join("quinn")
            await conn.execute(
                update(UserProfile)
                .where(UserProfile.user_id == pat)
                .values(xp=1200, study_streak_longest=9)
            )
            for score, guild in ((80.0, GUILD), (90.0, GUILD), (100.0, None)):
                await conn.execute(
                    insert(QuizAttempt).values(
                        user_id=quinn,
                        exam_type="network",
                        total_questions=10,
                        correct_answers=int(score / 10),
                        score_percentage=score,
                        xp_earned=int(score),
                        guild_id=guild,
                    )
                )
        await upgrade_to_head(empty_url)
        async with engine.connect() as conn:
            new = Players(AsyncSession(bind=conn))
            assert lines(await new.board(period="all")) == [(1, "pat", 1200)]
            assert lines(await new.board(guild=GUILD, period="all")) == [(1, "quinn", 170)]
            assert lines(await new.board("exam", exam="network", period="all")) == [
                (1, "quinn", 90.0)
            ]
            assert lines(await new.board("streak", period="all")) == [(1, "pat", 9)]
            assert lines(await new.board(period="week")) == []
    finally:
        await engine.dispose()


# --- PostgreSQL: concurrent finishes ------------------------------------------------------


@pytest.mark.postgres_only
async def test_concurrent_finishes_neither_deadlock_nor_miscount(pg_engine: AsyncEngine) -> None:
    """Eight players finish quizzes at the same moment, many times, each in its own committed
    transaction: shared histogram rows are locked in one order, so nobody deadlocks, and every
    board still ranks exactly. Rows live in a far-future week and are removed afterwards."""
    when = dt.datetime(2031, 3, 5, 12, 0, tzinfo=UTC)
    tag = uuid.uuid4().hex[:8]
    async with pg_engine.begin() as conn:
        ids = [
            int(
                (
                    await conn.execute(
                        insert(User)
                        .values(
                            email=f"c{i}-{tag}@example.test",
                            username=f"c{i}-{tag}",
                            hashed_password="!",
                        )
                        .returning(User.id)
                    )
                ).scalar_one()
            )
            for i in range(8)
        ]
    rng = random.Random(5)
    plans = {u: [rng.choice([10, 30, 40, 1100]) for _ in range(12)] for u in ids}

    async def player(user_id: int) -> None:
        total = 0
        for step, xp in enumerate(plans[user_id]):
            total += xp
            async with pg_engine.begin() as conn:
                await record_progress(
                    AsyncSession(bind=conn),
                    user_id=user_id,
                    guild_id=GUILD,
                    exam_type="security",
                    xp_gained=xp,
                    total_xp=total,
                    score_percentage=float(rng.choice([50, 80, 100])),
                    streak_current=1 + step % 4,
                    when=when,
                )

    try:
        await asyncio.gather(*(player(u) for u in ids))
        async with pg_engine.connect() as conn:
            session = AsyncSession(bind=conn)
            for board, scope in (("xp", 0), ("xp", GUILD), ("exam:security", 0), ("streak", GUILD)):
                for period in PERIODS:
                    ranks = await histogram_ranks(session, BoardKey.of(board, scope, period, when))
                    assert set(ranks) == set(ids)
            week = await histogram_ranks(session, BoardKey.of("xp", GUILD, "week", when))
            sums = {u: sum(plans[u]) for u in ids}
            for u in ids:
                assert week[u] == 1 + sum(1 for v in sums.values() if v > sums[u])
    finally:
        async with pg_engine.begin() as conn:
            for user_id in ids:
                await remove_user(AsyncSession(bind=conn), user_id=user_id)
            await conn.execute(delete(User).where(User.id.in_(ids)))
            await conn.execute(
                delete(BoardHistogram).where(
                    BoardHistogram.period_start.in_(
                        [boards.period_start(p, when) for p in ("week", "month")]
                    )
                )
            )


# --- PostgreSQL: the hot queries use the indexes --------------------------------------------


def plan_of(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def scans(plan: Any) -> list[tuple[str, str]]:
    """(node type, relation) of every scan node in a JSON plan."""
    found: list[tuple[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.append((node["Node Type"], node["Relation Name"]))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


@pytest.mark.postgres_only
async def test_hot_queries_use_the_indexes_on_postgresql(pg_engine: AsyncEngine) -> None:
    """50 000 players on one weekly board and a server board; every hot query is an index scan."""
    now = WEDNESDAY
    week = BoardKey.of("xp", 0, "week", now)
    server_week = BoardKey.of("xp", GUILD, "week", now)
    async with pg_engine.connect() as conn:
        outer = await conn.begin()
        try:
            await conn.execute(
                text(
                    "INSERT INTO users (email, username, hashed_password) "
                    "SELECT 'plan' || g || '@example.test', 'plan' || g, '!' "
                    "FROM generate_series(1, 50000) g"
                )
            )
            for key, share in ((week, 1), (server_week, 5)):
                await conn.execute(
                    text(
                        "INSERT INTO board_scores (user_id, board, scope_id, period, period_start,"
                        " value, total, quizzes, reached_at) "
                        "SELECT id, :board, :scope, :period, :start, v, v, 1, :now "
                        "FROM (SELECT id, (id * 7919) % 20000 AS v FROM users "
                        "      WHERE username LIKE 'plan%' AND id % :share = 0) s"
                    ),
                    {
                        "board": key.board,
                        "scope": key.scope_id,
                        "period": key.period,
                        "start": key.period_start,
                        "now": now,
                        "share": share,
                    },
                )
            await conn.execute(
                text(
                    "INSERT INTO board_histogram "
                    + " UNION ALL ".join(
                        f"SELECT board, scope_id, period, period_start, {lv}, value / {32**lv}, "
                        f"count(*) FROM board_scores GROUP BY 1, 2, 3, 4, value / {32**lv}"
                        for lv in range(boards.LEVELS)
                    )
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO user_objective_stats "
                    "SELECT u.id, 'security', o.n || '.' || o.m, 4, 2 FROM users u, "
                    "(SELECT 1 + g AS n, 1 AS m FROM generate_series(0, 4) g) o "
                    "WHERE u.username LIKE 'plan%'"
                )
            )
            for table in ("users", "board_scores", "board_histogram", "user_objective_stats"):
                await conn.execute(text(f"ANALYZE {table}"))
            deep = (
                await conn.execute(
                    select(BoardScore.user_id, BoardScore.value, BoardScore.reached_at)
                    .where(BoardScore.board == "xp", BoardScore.scope_id == 0)
                    .order_by(BoardScore.value)
                    .limit(1)
                )
            ).one()
            deep_value = int(deep.value)
            deep_row = boards.BoardRow(deep.user_id, deep_value, 1, deep.reached_at, "", None)
            hot = {
                "top 10": boards.page_stmt(week, offset=0, limit=10),
                "server weekly top 10": boards.page_stmt(server_week, offset=0, limit=10),
                "own row": boards.own_row_stmt(week, deep.user_id),
                "own rank and counts": boards.standing_stmt(
                    week, rank_of=[deep_value], count_of=[deep_value, deep_value + 1]
                ),
                "total": boards.total_stmt(week),
                "neighbours": boards.neighbours_stmt(week, deep_row, 2),
                "stats": boards.objective_stats_stmt(deep.user_id, None),
            }
            for name, stmt in hot.items():
                raw = (
                    await conn.execute(text("EXPLAIN (FORMAT JSON) " + plan_of(stmt)))
                ).scalar_one()
                plan = json.loads(raw) if isinstance(raw, str) else raw
                found = scans(plan)
                assert found, name
                assert all("Seq Scan" not in node for node, _ in found), (name, found)
            known = await boards.standing(
                AsyncSession(bind=conn), week, rank_of=[deep_value], count_of=[deep_value]
            )
            above = (
                await conn.execute(
                    select(func.count())
                    .select_from(BoardScore)
                    .where(BoardScore.board == "xp", BoardScore.scope_id == 0)
                    .where(BoardScore.value > deep_value)
                )
            ).scalar_one()
            assert known.ranks[deep_value] == above + 1 and known.total == 50_000
            assert (await conn.scalar(select(func.count()).select_from(BoardHistogram)) or 0) > 0
        finally:
            await outer.rollback()
