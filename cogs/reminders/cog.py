"""/remind: daily streak reminders by DM, at the hour the user chooses."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.events import QuizFinished
from bot.reminders import preferences as svc
from bot.reminders.delivery import opt_in_view
from bot.reminders.rules import OPT_IN_TEXT, timezone_choices
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class RemindersCog(commands.GroupCog, name="Reminders", group_name="remind"):
    """Opt in to a DM when your study streak is about to end."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot
        super().__init__()

    @commands.Cog.listener()
    async def on_quiz_finished(self, finished: QuizFinished) -> None:
        """Ask each new player once, privately, whether they want streak reminders (through
        the follow-up webhook of their last click, valid 15 minutes)."""
        application_id = self.bot.application_id
        players = [p for p in finished.players if p[1] in finished.followup_tokens]
        if application_id is None or not players:
            return
        async with unit_of_work(self.bot.sessions) as session:  # claimed once ever, per member
            ask = await svc.claim_opt_in_prompts(session, [user_id for user_id, _ in players])
        for discord_id in (d for user_id, d in players if user_id in ask):
            token = finished.followup_tokens.get(discord_id)
            if token is None:
                continue
            # the follow-up webhook of that click (an application webhook, as
            # interaction.followup is), bound to the client so its view can be sent
            followup = discord.Webhook.partial(application_id, token, client=self.bot)
            followup.type = discord.WebhookType.application
            try:
                await followup.send(OPT_IN_TEXT, view=opt_in_view(discord_id), ephemeral=True)
            except discord.HTTPException:
                log.info("could not ask about reminders", extra={"discord_id": discord_id})

    @app_commands.command(name="on", description="DM me when my streak is at risk")
    @app_commands.describe(
        hour="Local hour to remind you (0–23, default 19)",
        timezone="Your time zone, e.g. Europe/Berlin (default: the one on your account)",
    )
    async def on(
        self,
        interaction: discord.Interaction,
        hour: app_commands.Range[int, 0, 23] | None = None,
        timezone: str | None = None,
    ) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            text = await svc.remind_on(
                session,
                interaction.user.id,
                interaction.user.display_name,
                hour=hour,
                timezone=timezone,
                now=self.bot.clock(),
            )
        await interaction.response.send_message(text, ephemeral=True)

    @on.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=tz, value=tz) for tz in timezone_choices(current)]

    @app_commands.command(name="off", description="Stop streak reminders")
    async def off(self, interaction: discord.Interaction) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            text = await svc.remind_off(
                session, interaction.user.id, interaction.user.display_name, self.bot.clock()
            )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="status", description="Are reminders on, and when is the next?")
    async def status(self, interaction: discord.Interaction) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            text = await svc.remind_status(
                session, interaction.user.id, interaction.user.display_name, self.bot.clock()
            )
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(RemindersCog(bot))
