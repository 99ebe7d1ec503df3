"""/review: a private session of the member's due cards (the review deck, FSRS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError
from bot.core.hooks import hooks
from bot.review import service as svc
from cogs.core.exams import all_exam_choices
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot


class ReviewCog(commands.Cog, name="Review"):
    """Your review deck: what you missed comes back when you are about to forget it."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        hooks.review_starter = self.start_review  # the reminder DM's button

    async def cog_unload(self) -> None:
        if hooks.review_starter == self.start_review:
            hooks.review_starter = None

    async def start_review(
        self,
        interaction: discord.Interaction,
        exam_type: str | None = None,
        count: int = svc.DEFAULT_COUNT,
    ) -> None:
        """Plan the member's review (one unit of work), then start it as a private quiz."""
        async with unit_of_work(self.bot.sessions) as session:
            plan = await svc.plan_review(
                session,
                discord_id=interaction.user.id,
                display_name=interaction.user.display_name,
                exam_type=exam_type,
                count=count,
                now=self.bot.clock(),
            )
        start = hooks.question_set
        if start is None:
            raise BotError("Reviews aren't available right now. Try again in a moment.")
        await start(interaction, plan.exam_type, plan.question_ids, plan.intro)

    @app_commands.command(name="review", description="Review your due cards, privately")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(
        exam="Only one exam (default: the one with the most cards due)",
        count="How many questions (1–50, default 10)",
    )
    @app_commands.choices(exam=all_exam_choices())
    async def review(
        self,
        interaction: discord.Interaction,
        exam: app_commands.Choice[str] | None = None,
        count: app_commands.Range[int, 1, 50] = svc.DEFAULT_COUNT,
    ) -> None:
        await self.start_review(interaction, exam.value if exam else None, count)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(ReviewCog(bot))
