"""Leaderboards: which boards exist, pages of ten, and where the viewer stands.

Every board exists globally (``scope_guild_id=None``) and per server, for this week (from
Monday 00:00 UTC), this month (UTC) and all time:

==========  ==========================================================================
``xp``      XP earned in the period (per server: XP earned in quizzes played there).
            Global all time is the user's total XP.
``exam``    Average score (percent) of the period's completed quizzes of ``exam_type``;
            a user appears once they have :data:`EXAM_MIN_QUIZZES` quizzes in the period,
            so one lucky 100 % cannot top the board.
``streak``  Best daily streak reached in the period; all time is the longest streak.
            (A *current* streak breaks silently when someone stops playing, so a board of
            current streaks would keep showing broken ones.)
==========  ==========================================================================

Ranks follow SQL ``RANK()``: equal values share a rank (1, 2, 2, 4). Within equal values the
order is fixed: whoever reached the value first, then the lower user id.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput
from db.leaderboards import queries as boards
from db.leaderboards.queries import EXAM_MIN_QUIZZES, GLOBAL_SCOPE, PERIODS, SCORE_SCALE, Period
from db.models import EXAM_TYPES

log = logging.getLogger(__name__)

BoardName = Literal["xp", "exam", "streak"]
BOARDS: tuple[BoardName, ...] = ("xp", "exam", "streak")
PAGE_SIZE = 10
NEIGHBOURS = 2
"""Rows shown above and below the viewer when they are not on the page."""

__all__ = [
    "BOARDS",
    "EXAM_MIN_QUIZZES",
    "NEIGHBOURS",
    "PAGE_SIZE",
    "BoardName",
    "LeaderboardEntry",
    "LeaderboardPage",
    "leaderboard",
]


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    user_id: int
    username: str
    discord_id: int | None
    value: int | float
    """XP (int), streak days (int) or average score in percent (float, 2 decimals)."""
    quizzes: int
    """Finished quizzes behind the value in this period and scope (0 for imported rows)."""
    is_viewer: bool = False


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    board: BoardName
    scope_guild_id: int | None
    period: Period
    exam_type: str | None
    period_start: dt.date
    resets_at: dt.datetime | None
    """When this board starts over (UTC); None for all time."""
    page: int
    """The page shown, 1-based (a page past the end shows the last one)."""
    page_count: int
    total_entries: int
    entries: tuple[LeaderboardEntry, ...]
    viewer: LeaderboardEntry | None
    """The viewer's own line, wherever they rank; None when they are not on this board."""
    around_viewer: tuple[LeaderboardEntry, ...]
    """When the viewer is not on this page: up to NEIGHBOURS lines above them, their own
    line, and up to NEIGHBOURS below; otherwise empty."""


def _board_key(
    board: BoardName, scope_guild_id: int | None, period: Period, exam_type: str | None,
    now: dt.datetime,
) -> boards.BoardKey:  # fmt: skip
    if period not in PERIODS:
        raise InvalidInput(f"Unknown period {period!r}: choose week, month or all.")
    if board == "exam":
        if exam_type not in EXAM_TYPES:
            raise InvalidInput("Choose an exam: " + ", ".join(EXAM_TYPES) + ".")
        name = boards.exam_board(exam_type)
    elif board in ("xp", "streak"):
        name = board
    else:
        raise InvalidInput(f"Unknown leaderboard {board!r}: choose xp, exam or streak.")
    scope = GLOBAL_SCOPE if scope_guild_id is None else scope_guild_id
    return boards.BoardKey.of(name, scope, period, now)


def _ranks_along(
    rows: list[boards.BoardRow], anchor: int, anchor_rank: int, counts: dict[int, int]
) -> list[int]:
    """Ranks of consecutive board rows from one known rank and the number of users at each
    of their values: nobody sits between adjacent rows, so stepping down past a value adds
    everyone at it, stepping up to a new value subtracts everyone at that value."""
    ranks = [0] * len(rows)
    ranks[anchor] = anchor_rank
    for i in range(anchor + 1, len(rows)):
        same = rows[i].value == rows[i - 1].value
        ranks[i] = ranks[i - 1] if same else ranks[i - 1] + counts[rows[i - 1].value]
    for i in range(anchor - 1, -1, -1):
        same = rows[i].value == rows[i + 1].value
        ranks[i] = ranks[i + 1] if same else ranks[i + 1] - counts[rows[i].value]
    return ranks


def _page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _shown(board: BoardName, value: int) -> int | float:
    return round(value / SCORE_SCALE, 2) if board == "exam" else value


async def leaderboard(
    session: AsyncSession,
    *,
    board: BoardName,
    scope_guild_id: int | None,
    period: Period,
    exam_type: str | None,
    page: int,
    viewer_user_id: int | None,
    now: dt.datetime,
) -> LeaderboardPage:
    """One page (of :data:`PAGE_SIZE`) of a board as it stands at ``now``, with the viewer.

    Reads only pre-aggregated rows: the page is an index range scan, the total and every rank
    come from the board's histogram (see docs/queries.md); nothing scans the whole board.
    """
    key = _board_key(board, scope_guild_id, period, exam_type, now)
    page = max(page, 1)
    rows = await boards.board_page(session, key, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    if not rows and page > 1:  # past the end (the board shrank, or a stale button): last page
        page = _page_count(await boards.board_total(session, key))
        rows = await boards.board_page(session, key, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    offset = (page - 1) * PAGE_SIZE

    mine = None
    above: list[boards.BoardRow] = []
    below: list[boards.BoardRow] = []
    if viewer_user_id is not None and all(r.user_id != viewer_user_id for r in rows):
        mine = await boards.own_row(session, key, viewer_user_id)
        if mine is not None:
            above, below = await boards.neighbours(session, key, mine, NEIGHBOURS)
    around_rows = [*above, mine, *below] if mine is not None else []
    first = [rows[0].value] if rows and offset else []
    known = await boards.standing(
        session,
        key,
        rank_of=first + ([mine.value] if mine else []),
        count_of=[r.value for r in around_rows],
    )

    entries: list[LeaderboardEntry] = []
    for i, row in enumerate(rows):
        if i == 0:
            rank = known.ranks[row.value] if offset else 1
        elif row.value != rows[i - 1].value:
            rank = offset + i + 1
        entries.append(_entry(board, row, rank, viewer_user_id))
    around: tuple[LeaderboardEntry, ...] = ()
    if mine is not None:
        ranks = _ranks_along(around_rows, len(above), known.ranks[mine.value], known.counts)
        around = tuple(
            _entry(board, r, rank, viewer_user_id)
            for r, rank in zip(around_rows, ranks, strict=True)
        )
    viewer = next((e for e in (*entries, *around) if e.is_viewer), None)
    return LeaderboardPage(
        board=board,
        scope_guild_id=scope_guild_id,
        period=period,
        exam_type=exam_type if board == "exam" else None,
        period_start=key.period_start,
        resets_at=boards.next_period_start(period, now),
        page=page,
        page_count=_page_count(known.total),
        total_entries=known.total,
        entries=tuple(entries),
        viewer=viewer,
        around_viewer=around,
    )


def _entry(
    board: BoardName, row: boards.BoardRow, rank: int, viewer: int | None
) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=rank,
        user_id=row.user_id,
        username=row.username,
        discord_id=row.discord_id,
        value=_shown(board, row.value),
        quizzes=row.quizzes,
        is_viewer=row.user_id == viewer,
    )
