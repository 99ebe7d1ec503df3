"""/profile, /achievements, /avatar list|equip and /stats: a learner's progress.

Replies are ephemeral unless the caller passes ``share:True``. Each command validates its
input, opens one unit of work, calls one service (``bot.profile.service``) and renders the
reply after the commit with the pure functions of ``cogs.profile.render``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.replies import SafeDynamicItem
from bot.profile import service as svc
from bot.rendering.cards import (
    domain_chart_from_exam,
    rank_card_from_profile,
    render_domain_chart,
    render_rank_card,
)
from cogs.core.embeds import CHOICE_MAX
from cogs.core.exams import all_exam_choices
from cogs.profile.render import (
    achievement_pages,
    avatar_list_embed,
    equipped_embed,
    no_account_text,
    profile_embed,
    stats_embed,
)
from db.engine import unit_of_work
from seeds.art import asset_path

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)

MAX_CHARTS = 4  # one per exam

NOT_YOURS = "These buttons belong to whoever ran the command. Run /achievements to get your own."
ACHIEVEMENTS_TEMPLATE = r"cq:ach:(?P<caller>\d{1,20}):(?P<target>\d{1,20}):(?P<page>\d{1,4})"
SHARE_HELP = "Post it in the channel for everyone (default: only you see it)"


def _bot(interaction: discord.Interaction) -> CertQuestBot:
    return interaction.client  # type: ignore[return-value]


def attachment_name(image_url: str) -> str:
    """A file name that ``attachment://`` accepts, from a stored image path."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(image_url).name) or "avatar.png"
    return name if name.lower().endswith(".png") else name + ".png"


def avatar_file(image_url: str | None) -> discord.File | None:
    """The avatar PNG shipped under seeds/, ready to attach (None if it is missing)."""
    if not image_url:
        return None
    path = asset_path(image_url)
    if not path.is_file():
        log.warning("an avatar image is missing", extra={"image": image_url})
        return None
    return discord.File(path, filename=attachment_name(image_url))


def achievement_buttons(
    caller_id: int, target_id: int, page: int, pages: int
) -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(AchievementsButton(caller_id, target_id, page - 1, "◀ Prev", page <= 1))
    view.add_item(AchievementsButton(caller_id, target_id, page + 1, "Next ▶", page >= pages))
    view.stop()  # dispatched by custom id
    return view


class AchievementsButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ACHIEVEMENTS_TEMPLATE,
):
    """Prev/Next of ``/achievements`` when the list needs more than one embed."""

    def __init__(
        self, caller_id: int, target_id: int, page: int, label: str = "▶", disabled: bool = False
    ) -> None:
        page = max(0, min(page, 9999))
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cq:ach:{caller_id}:{target_id}:{page}",
                disabled=disabled,
            )
        )
        self.caller_id, self.target_id, self.page = caller_id, target_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AchievementsButton:
        return cls(
            int(match["caller"]),
            int(match["target"]),
            int(match["page"]),
            getattr(item, "label", None) or "▶",
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.caller_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        bot = _bot(interaction)
        own = self.target_id == self.caller_id
        async with unit_of_work(bot.sessions) as session:
            board = await svc.achievement_board(
                session, self.target_id, interaction.user.display_name, create=own
            )
        if board is None:
            await interaction.response.edit_message(
                content="That member no longer has a CertQuest account.", embed=None, view=None
            )
            return
        name = interaction.user.display_name if own else board.username
        pages = achievement_pages(board.achievements, name)
        page = min(max(self.page, 1), len(pages))
        await interaction.response.edit_message(
            embed=pages[page - 1],
            view=achievement_buttons(self.caller_id, self.target_id, page, len(pages)),
        )


class ProfileCog(commands.Cog, name="Profile"):
    """Your level, streak, achievements, avatars and weakest objectives."""

    # personal commands: also as a user-installed app (servers without the bot, DMs, group DMs)
    avatar = app_commands.Group(
        name="avatar",
        description="Your collectible avatars",
        allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=True
        ),
    )

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AchievementsButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AchievementsButton)

    # ----- /profile -----------------------------------------------------------------------

    @app_commands.command(name="profile", description="Your level, streak and latest badges")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(member="Someone else's profile (default: yours)", share=SHARE_HELP)
    async def profile(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        share: bool = False,
    ) -> None:
        target = member or interaction.user
        own = target.id == interaction.user.id
        async with unit_of_work(self.bot.sessions) as session:
            card = await svc.profile_card(
                session, target.id, target.display_name, create=own, now=self.bot.clock()
            )
        if card is None:
            await interaction.response.send_message(
                no_account_text(target.display_name), ephemeral=True
            )
            return
        file = avatar_file(card.avatar.image_url if card.avatar else None)
        embed = profile_embed(
            card, target.display_name, thumbnail=file.filename if file else None, own=own
        )
        # the rank card: rendered off the event loop (~20 ms), the embed stands on its own
        png = await asyncio.to_thread(
            render_rank_card, rank_card_from_profile(card, target.display_name)
        )
        files = [discord.File(io.BytesIO(png), filename="rank.png")]
        embed.set_image(url="attachment://rank.png")
        if file is not None:
            files.append(file)
        await interaction.response.send_message(embed=embed, files=files, ephemeral=not share)

    # ----- /achievements ------------------------------------------------------------------

    @app_commands.command(name="achievements", description="Earned, locked and secret badges")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(member="Someone else's achievements (default: yours)", share=SHARE_HELP)
    async def achievements(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        share: bool = False,
    ) -> None:
        target = member or interaction.user
        own = target.id == interaction.user.id
        async with unit_of_work(self.bot.sessions) as session:
            board = await svc.achievement_board(session, target.id, target.display_name, create=own)
        if board is None:
            await interaction.response.send_message(
                no_account_text(target.display_name), ephemeral=True
            )
            return
        # The account's username for others: the same title when a button turns the page.
        name = target.display_name if own else board.username
        pages = achievement_pages(board.achievements, name)
        view = achievement_buttons(interaction.user.id, target.id, 1, len(pages))
        if view is None:
            await interaction.response.send_message(embed=pages[0], ephemeral=not share)
        else:
            await interaction.response.send_message(embed=pages[0], view=view, ephemeral=not share)

    # ----- /avatar ------------------------------------------------------------------------

    @avatar.command(name="list", description="Every avatar: yours, and how to unlock the rest")
    async def avatar_list(self, interaction: discord.Interaction) -> None:
        user = interaction.user
        async with unit_of_work(self.bot.sessions) as session:
            avatars = await svc.avatar_collection(session, user.id, user.display_name)
        await interaction.response.send_message(embed=avatar_list_embed(avatars), ephemeral=True)

    @avatar.command(name="equip", description="Wear one of your unlocked avatars")
    @app_commands.describe(name="An avatar you have unlocked")
    async def avatar_equip(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]
    ) -> None:
        user = interaction.user
        async with unit_of_work(self.bot.sessions) as session:
            equipped = await svc.equip(session, user.id, user.display_name, name)
        file = avatar_file(equipped.image_url)
        embed = equipped_embed(
            equipped.name, equipped.rarity, thumbnail=file.filename if file else None
        )
        if file is not None:
            await interaction.response.send_message(embed=embed, file=file, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)

    @avatar_equip.autocomplete("name")
    async def avatar_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            async with unit_of_work(self.bot.sessions) as session:
                names = await svc.unlocked_avatar_names(session, interaction.user.id, current)
        except Exception:
            log.exception("avatar autocomplete failed")
            return []
        return [app_commands.Choice(name=n[:CHOICE_MAX], value=n[:CHOICE_MAX]) for n in names[:25]]

    # ----- /stats -------------------------------------------------------------------------

    @app_commands.command(name="stats", description="Accuracy per domain, weakest objectives first")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(exam="Only one exam (default: every exam you studied)", share=SHARE_HELP)
    @app_commands.choices(exam=all_exam_choices())
    async def stats(
        self,
        interaction: discord.Interaction,
        exam: app_commands.Choice[str] | None = None,
        share: bool = False,
    ) -> None:
        user = interaction.user
        exam_type = exam.value if exam else None
        async with unit_of_work(self.bot.sessions) as session:
            stats = await svc.study_stats(session, user.id, user.display_name, exam_type)
        embed = stats_embed(stats, user.display_name, exam_type)
        # one accuracy chart per exam studied, weakest domain highlighted
        charts = await asyncio.to_thread(
            lambda: [
                (e.exam_type, render_domain_chart(domain_chart_from_exam(e)))
                for e in stats.exams[:MAX_CHARTS]
                if e.answered
            ]
        )
        embeds, files = [embed], []
        for i, (exam_key, png) in enumerate(charts):
            name = f"stats-{exam_key}.png"
            files.append(discord.File(io.BytesIO(png), filename=name))
            target = embed if i == 0 else discord.Embed(colour=embed.colour)
            target.set_image(url=f"attachment://{name}")
            if i:
                embeds.append(target)
        await interaction.response.send_message(embeds=embeds, files=files, ephemeral=not share)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(ProfileCog(bot))
