"""The floor of the answer path: the real bot with a no-op answer button.

``python -m bench.noop_bot`` runs ``CertQuestBot`` exactly as ``python -m bot run`` does (same
settings, cogs, command sync, quiz runner), except that the quiz cog's ``AnswerButton`` is
replaced by a ``DynamicItem`` on the same custom_id template that answers at once, with the
same ephemeral reply, without touching the database. The same discord.py stack, the same
emulator: what is left is the cost of Discord itself.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord

from bot.app import CertQuestBot
from bot.core.discord_api import configure_api_base
from bot.core.logs import configure_logging
from bot.core.settings import SettingsError, load_settings


class NoopAnswer(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:a:(?P<sid>\d+):(?P<idx>\d+):(?P<letter>[ABCD])",
):
    def __init__(self, letter: str, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label=letter, custom_id=custom_id))
        self.letter = letter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NoopAnswer:
        return cls(match["letter"], match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Locked in: **{self.letter}**", ephemeral=True)


class NoopAnswerBot(CertQuestBot):
    async def setup_hook(self) -> None:
        await super().setup_hook()
        from cogs.quiz.cog import AnswerButton

        self.remove_dynamic_items(AnswerButton)
        self.add_dynamic_items(NoopAnswer)


async def run(bot_class: type[CertQuestBot] = NoopAnswerBot) -> None:
    """What ``python -m bot run`` does (bot.app.run), with another bot class."""
    settings = load_settings()
    configure_logging(settings.log_level)
    configure_api_base(settings.discord_api_base)
    if not settings.discord_token:
        raise SettingsError("DISCORD_TOKEN is not set")
    bot = bot_class(settings)
    async with bot:
        await bot.start(settings.discord_token)


if __name__ == "__main__":
    asyncio.run(run())
