"""A tiny standalone discord.py bot used only by the emulator's own tests.

Run as ``python -m tests.emulator.sample_bot`` with ``DISCORD_TOKEN`` and
``DISCORD_API_BASE`` set (``BotProcess`` does that).  Optional environment:

* ``SAMPLE_GUILD_ID``    guild the guild commands are synced to (else all global)
* ``SAMPLE_SHARD_COUNT`` / ``SAMPLE_SHARD_IDS`` ("0,1"): explicit sharding, which makes
  discord.py connect to ``DiscordWebSocket.DEFAULT_GATEWAY`` instead of asking
  ``/gateway/bot``
* ``SAMPLE_PRIVILEGED=1``  also request the members and message content intents
* ``SAMPLE_LOG_LEVEL``     e.g. ``DEBUG`` (default ``INFO``)
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.discord_api import configure_from_env

log = logging.getLogger("sample_bot")

EXAMS = ["security", "network", "a-plus", "cloud", "linux"]


def counter_embed(count: int) -> discord.Embed:
    embed = discord.Embed(
        title="Pong!", description=f"The button was clicked {count} times.", colour=0x2ECC71
    )
    embed.add_field(name="Counter", value=str(count))
    embed.set_footer(text="sample bot")
    return embed


class CounterButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"sample:count:(?P<count>[0-9]+)",
):
    """A persistent button whose custom_id carries the counter."""

    def __init__(self, count: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Count {count}",
                style=discord.ButtonStyle.primary,
                custom_id=f"sample:count:{count}",
            )
        )
        self.count = count

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CounterButton:
        return cls(int(match["count"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        new = self.count + 1
        await interaction.response.edit_message(embed=counter_embed(new), view=counter_view(new))
        await interaction.followup.send(f"Counter is now {new}", ephemeral=True)


def counter_view(count: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CounterButton(count))
    return view


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    answer: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="What did you think?", custom_id="sample:feedback:text", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            f"Thanks for the feedback: {self.answer.value}", ephemeral=True
        )


def build_tree(bot: SampleBot, guild: discord.abc.Snowflake | None) -> None:
    guilds = [guild] if guild is not None else []
    tree = bot.tree

    @tree.command(name="ping", description="Pong with a counter button", guilds=guilds)
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(embed=counter_embed(0), view=counter_view(0))

    @tree.command(name="dm", description="The bot sends you a DM", guilds=guilds)
    async def dm(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await interaction.user.send("Hello from the sample bot!")
        except discord.Forbidden as exc:
            log.info("DM to %s refused: %s", interaction.user.id, exc.code)
            await interaction.followup.send(
                f"I can't DM you (Discord error {exc.code}).", ephemeral=True
            )
        else:
            await interaction.followup.send("Check your DMs!", ephemeral=True)

    @tree.command(name="announce", description="Post a message in this channel", guilds=guilds)
    @app_commands.describe(text="What to post")
    async def announce(interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.response.defer(ephemeral=True)
        channel = interaction.channel
        assert isinstance(channel, discord.abc.Messageable)
        msg = await channel.send(text)
        await interaction.edit_original_response(content=f"Posted message {msg.id}")

    @tree.command(name="slow", description="Answers after 3.5 seconds (too late)", guilds=guilds)
    async def slow(interaction: discord.Interaction[Any]) -> None:
        await asyncio.sleep(3.5)
        try:
            await interaction.response.send_message("finally!")
        except discord.NotFound as exc:
            log.info("late callback refused: %s", exc.code)
            channel = interaction.channel
            assert isinstance(channel, discord.abc.Messageable)
            await channel.send(f"slow: callback failed with {exc.code}")

    @tree.command(name="feedback", description="Opens a modal", guilds=guilds)
    async def feedback(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(name="toolong", description="Tries a 2001-character message", guilds=guilds)
    async def toolong(interaction: discord.Interaction[Any]) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as exc:
            await interaction.response.send_message(f"rejected: {exc.code}", ephemeral=True)

    quiz = app_commands.Group(
        name="quiz", description="Quiz commands", guild_ids=[guild.id] if guild else None
    )

    @quiz.command(name="start", description="Start a quiz")
    @app_commands.describe(exam="Which exam", questions="How many questions")
    async def quiz_start(
        interaction: discord.Interaction[Any],
        exam: str,
        questions: app_commands.Range[int, 1, 50] = 10,
    ) -> None:
        await interaction.response.send_message(
            f"Starting the {exam} quiz with {questions} questions"
        )

    @quiz_start.autocomplete("exam")
    async def exam_autocomplete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=e.title(), value=e) for e in EXAMS if current.lower() in e]

    tree.add_command(quiz)

    @tree.command(name="chart", description="Replies with a file, then replaces it", guilds=guilds)
    async def chart(interaction: discord.Interaction[Any]) -> None:
        first = discord.File(io.BytesIO(b"scores v1"), filename="chart.txt", description="Scores")
        await interaction.response.send_message("Your chart", file=first)
        second = discord.File(io.BytesIO(b"scores v2!"), filename="chart-v2.txt")
        await interaction.edit_original_response(content="Your updated chart", attachments=[second])

    @tree.command(name="modonly", description="Only for moderators", guilds=guilds)
    @app_commands.default_permissions(manage_messages=True)
    async def modonly(interaction: discord.Interaction[Any]) -> None:
        perms = interaction.permissions
        await interaction.response.send_message(
            f"moderator ok (manage_messages={perms.manage_messages})", ephemeral=True
        )

    @tree.command(name="hello", description="Say hello (works in DMs)")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def hello(interaction: discord.Interaction[Any]) -> None:
        where = "DMs" if interaction.guild is None else interaction.guild.name
        await interaction.response.send_message(f"Hello {interaction.user.name} in {where}!")


class SampleBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        sharding: dict[str, Any] = {}
        if os.environ.get("SAMPLE_SHARD_COUNT"):
            sharding["shard_count"] = int(os.environ["SAMPLE_SHARD_COUNT"])
        if os.environ.get("SAMPLE_SHARD_IDS"):
            sharding["shard_ids"] = [int(s) for s in os.environ["SAMPLE_SHARD_IDS"].split(",")]
        intents = discord.Intents.default()
        if os.environ.get("SAMPLE_PRIVILEGED"):
            intents.members = True
            intents.message_content = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, **sharding)
        guild_id = os.environ.get("SAMPLE_GUILD_ID")
        self.sync_guild = discord.Object(int(guild_id)) if guild_id else None
        build_tree(self, self.sync_guild)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CounterButton)
        if self.sync_guild is not None:
            await self.tree.sync(guild=self.sync_guild)
        await self.tree.sync()
        log.info("commands synced")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every non-initial IDENTIFY; the emulator does
        # not rate limit identifies, so the sample bot skips the wait.
        return None

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.content.startswith("echo "):
            return
        await message.reply(message.content[len("echo ") :])

    async def on_member_join(self, member: discord.Member) -> None:
        log.info("member joined: %s (cached members: %d)", member.name, len(member.guild.members))

    async def on_ready(self) -> None:
        log.info("sample bot ready as %s (shards %s)", self.user, self.shard_ids)


def main() -> None:
    configure_from_env()
    token = os.environ["DISCORD_TOKEN"]
    discord.utils.setup_logging(level=getattr(logging, os.environ.get("SAMPLE_LOG_LEVEL", "INFO")))
    SampleBot().run(token, log_handler=None)


if __name__ == "__main__":
    main()
