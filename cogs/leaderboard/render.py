"""How a leaderboard page looks in Discord, and the state its buttons carry. Rendering only."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.leaderboards.service import EXAM_MIN_QUIZZES, BoardName, LeaderboardEntry, LeaderboardPage
from cogs.core.embeds import (
    CUSTOM_ID_MAX,
    DESCRIPTION_MAX,
    FIELD_VALUE_MAX,
    GOLD,
    TITLE_MAX,
    clip,
    safe_name,
)
from db.exams import exam_label
from db.leaderboards.queries import Period

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
PERIOD_LABELS: dict[str, str] = {"week": "This week", "month": "This month", "all": "All time"}
NO_EXAM = "-"

CUSTOM_ID_TEMPLATE = (
    r"cq:lb:(?P<caller>\d{1,20}):(?P<board>xp|exam|streak):(?P<scope>server|global):"
    r"(?P<period>week|month|all):(?P<exam>[a-z0-9]{1,16}|-):(?P<page>\d{1,6})"
)
_CUSTOM_ID = re.compile(CUSTOM_ID_TEMPLATE)


@dataclass(frozen=True, slots=True)
class BoardState:
    """Everything a Prev/Next button needs to show another page, after a restart too."""

    caller_id: int
    board: BoardName
    scope: str
    """``server`` or ``global``."""
    period: Period
    exam_type: str | None
    page: int

    def custom_id(self) -> str:
        exam = self.exam_type or NO_EXAM
        value = (
            f"cq:lb:{self.caller_id}:{self.board}:{self.scope}:{self.period}:{exam}:"
            f"{max(0, min(self.page, 999_999))}"
        )
        if len(value) > CUSTOM_ID_MAX:
            raise ValueError(f"custom id longer than {CUSTOM_ID_MAX} characters: {value}")
        return value

    def at(self, page: int) -> BoardState:
        return BoardState(self.caller_id, self.board, self.scope, self.period, self.exam_type, page)

    @classmethod
    def parse(cls, custom_id: str) -> BoardState | None:
        m = _CUSTOM_ID.fullmatch(custom_id)
        if m is None:
            return None
        return cls.from_match(m)

    @classmethod
    def from_match(cls, m: re.Match[str]) -> BoardState:
        exam = None if m["exam"] == NO_EXAM else m["exam"]
        return cls(
            caller_id=int(m["caller"]),
            board=m["board"],  # type: ignore[arg-type]  # the template allows only BoardName
            scope=m["scope"],
            period=m["period"],  # type: ignore[arg-type]  # likewise Period
            exam_type=exam,
            page=int(m["page"]),
        )


def board_title(board: BoardName, exam_type: str | None) -> str:
    if board == "exam":
        return f"{exam_label(exam_type)} exam scores"
    if board == "streak":
        return "Study streaks"
    return "XP"


def value_text(board: BoardName, entry: LeaderboardEntry) -> str:
    if board == "exam":
        return f"{float(entry.value):.2f}% avg · {entry.quizzes:,} quizzes"
    if board == "streak":
        days = int(entry.value)
        return f"{days:,} day{'s' if days != 1 else ''}"
    return f"{int(entry.value):,} XP"


def rank_mark(rank: int) -> str:
    return MEDALS.get(rank, f"`#{rank:,}`")


def entry_line(board: BoardName, entry: LeaderboardEntry) -> str:
    line = f"{rank_mark(entry.rank)} **{safe_name(entry.username)}** — {value_text(board, entry)}"
    return f"{line}  ⬅️ you" if entry.is_viewer else line


def leaderboard_embed(page: LeaderboardPage, scope_label: str) -> discord.Embed:
    """One page of ten, the reset time, and the viewer's own line (with neighbours when they
    are not on this page)."""
    title = clip(
        f"🏆 {board_title(page.board, page.exam_type)} · {PERIOD_LABELS[page.period]}", TITLE_MAX
    )
    head = [clip(scope_label, 100)]
    if page.resets_at is not None:
        head[0] += f" · resets {discord.utils.format_dt(page.resets_at, 'R')}"
    if page.entries:
        lines = [entry_line(page.board, e) for e in page.entries]
    else:
        lines = ["Nobody is on this board yet. Finish a quiz with `/quiz start` to take the lead!"]
    description = clip("\n".join([*head, "", *lines]), DESCRIPTION_MAX)
    embed = discord.Embed(title=title, description=description, colour=GOLD)
    if page.around_viewer:
        around = "\n".join(entry_line(page.board, e) for e in page.around_viewer)
        embed.add_field(name="Your rank", value=clip(around, FIELD_VALUE_MAX), inline=False)
    elif page.viewer is None:
        if page.board == "exam":
            hint = (
                f"You're not on this board yet: it lists players with at least "
                f"{EXAM_MIN_QUIZZES} {exam_label(page.exam_type)} quizzes "
                "in the period."
            )
        else:
            hint = "You're not on this board yet. Finish a quiz to get on it!"
        embed.add_field(name="Your rank", value=hint, inline=False)
    footer = f"Page {page.page:,}/{page.page_count:,} · {page.total_entries:,} ranked"
    embed.set_footer(text=footer)
    return embed
