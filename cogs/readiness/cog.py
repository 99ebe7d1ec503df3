"""/readiness: am I ready to sit the exam? An estimated scaled score, honestly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.readiness import service as svc
from cogs.core.exams import all_exam_choices
from cogs.readiness.render import readiness_embed
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot


class ReadinessCog(commands.Cog, name="Readiness"):
    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot

    @app_commands.command(name="readiness", description="Your estimated exam score, privately")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(exam="Which exam (default: the one you studied most)")
    @app_commands.choices(exam=all_exam_choices())
    async def readiness(
        self, interaction: discord.Interaction, exam: app_commands.Choice[str] | None = None
    ) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            view = await svc.readiness(
                session,
                discord_id=interaction.user.id,
                display_name=interaction.user.display_name,
                exam_type=exam.value if exam else None,
                now=self.bot.clock(),
            )
        await interaction.response.send_message(embed=readiness_embed(view), ephemeral=True)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(ReadinessCog(bot))
