"""/leaderboard: XP, exam score and streak boards, per server or global, with restart-safe
Prev/Next buttons that only the caller can use."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.core.replies import SafeDynamicItem
from bot.leaderboards.service import LeaderboardPage
from bot.profile import service as svc
from cogs.core.exams import all_exam_choices
from cogs.leaderboard.render import CUSTOM_ID_TEMPLATE, BoardState, leaderboard_embed
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)

NOT_YOURS = "These buttons belong to whoever ran the command. Run /leaderboard to get your own."
BOARD_CHOICES = [
    app_commands.Choice(name="XP", value="xp"),
    app_commands.Choice(name="Exam score (needs exam)", value="exam"),
    app_commands.Choice(name="Study streak", value="streak"),
]
SCOPE_CHOICES = [
    app_commands.Choice(name="This server", value="server"),
    app_commands.Choice(name="Global", value="global"),
]
PERIOD_CHOICES = [
    app_commands.Choice(name="This week", value="week"),
    app_commands.Choice(name="This month", value="month"),
    app_commands.Choice(name="All time", value="all"),
]


def _bot(interaction: discord.Interaction) -> CertQuestBot:
    return interaction.client  # type: ignore[return-value]


def resolve_state(
    caller_id: int,
    guild_id: int | None,
    board: str | None,
    scope: str | None,
    period: str | None,
    exam: str | None,
) -> BoardState:
    """The command's options with their defaults, or ``InvalidInput``.

    Defaults: the exam board when only an exam is given (else XP); this server in a server
    and global in DMs; all time. An exam given for the XP or streak board is ignored.
    """
    chosen_board = board or ("exam" if exam else "xp")
    if chosen_board == "exam" and not exam:
        raise InvalidInput("The exam board needs an exam: add `exam:` (e.g. Security+).")
    chosen_scope = scope or ("server" if guild_id else "global")
    if chosen_scope == "server" and guild_id is None:
        raise InvalidInput(
            "There is no server leaderboard in direct messages. Use `scope:Global`, or run "
            "/leaderboard in a server."
        )
    return BoardState(
        caller_id=caller_id,
        board=chosen_board,  # type: ignore[arg-type]  # choices limit it to BoardName
        scope=chosen_scope,
        period=(period or "all"),  # type: ignore[arg-type]  # likewise Period
        exam_type=exam if chosen_board == "exam" else None,
        page=1,
    )


def scope_label(state: BoardState, guild: discord.Guild | None) -> str:
    if state.scope == "global":
        return "🌐 Global"
    return f"🏠 {guild.name}" if guild is not None else "🏠 This server"


def page_buttons(state: BoardState, page: LeaderboardPage) -> discord.ui.View | None:
    """Prev/Next for ``page`` (None when there is a single page)."""
    if page.page_count <= 1:
        return None
    shown = state.at(page.page)
    view = discord.ui.View(timeout=None)
    view.add_item(LeaderboardButton(shown.at(page.page - 1), "◀ Prev", disabled=page.page <= 1))
    view.add_item(
        LeaderboardButton(shown.at(page.page + 1), "Next ▶", disabled=page.page >= page.page_count)
    )
    view.stop()  # dispatched by custom id, not kept in memory per message
    return view


class LeaderboardButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CUSTOM_ID_TEMPLATE,
):
    def __init__(self, state: BoardState, label: str = "▶", *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=state.custom_id(),
                disabled=disabled,
            )
        )
        self.state = state

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> LeaderboardButton:
        return cls(BoardState.from_match(match), getattr(item, "label", None) or "▶")

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.state.caller_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        cog = _bot(interaction).get_cog("Leaderboard")
        if not isinstance(cog, LeaderboardCog):
            raise RuntimeError("the Leaderboard cog is not loaded")
        embed, view = await cog.render(interaction, self.state.at(max(1, self.state.page)))
        await interaction.response.edit_message(embed=embed, view=view)


class LeaderboardCog(commands.Cog, name="Leaderboard"):
    """Who studies most: XP, exam scores and streaks, per server or worldwide."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(LeaderboardButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(LeaderboardButton)

    async def render(
        self, interaction: discord.Interaction, state: BoardState
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        guild_id = interaction.guild_id
        if state.scope == "server" and guild_id is None:
            raise InvalidInput("There is no server leaderboard in direct messages.")
        async with unit_of_work(self.bot.sessions) as session:
            page = await svc.leaderboard_for(
                session,
                interaction.user.id,
                board=state.board,
                scope_guild_id=guild_id if state.scope == "server" else None,
                period=state.period,
                exam_type=state.exam_type,
                page=state.page,
                now=self.bot.clock(),
            )
        embed = leaderboard_embed(page, scope_label(state, interaction.guild))
        return embed, page_buttons(state, page)

    @app_commands.command(name="leaderboard", description="Top 10 by XP, exam score or streak")
    @app_commands.describe(
        board="What to rank by (default XP; exam score needs an exam)",
        scope="This server or everyone (default: this server; global in DMs)",
        period="This week, this month or all time (default all time)",
        exam="The exam, for the exam score board",
    )
    @app_commands.choices(
        board=BOARD_CHOICES, scope=SCOPE_CHOICES, period=PERIOD_CHOICES, exam=all_exam_choices()
    )
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        board: app_commands.Choice[str] | None = None,
        scope: app_commands.Choice[str] | None = None,
        period: app_commands.Choice[str] | None = None,
        exam: app_commands.Choice[str] | None = None,
    ) -> None:
        state = resolve_state(
            interaction.user.id,
            interaction.guild_id,
            board.value if board else None,
            scope.value if scope else None,
            period.value if period else None,
            exam.value if exam else None,
        )
        embed, view = await self.render(interaction, state)
        if view is None:
            await interaction.response.send_message(embed=embed)
        else:
            await interaction.response.send_message(embed=embed, view=view)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(LeaderboardCog(bot))
