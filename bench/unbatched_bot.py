"""The answer path before batching: ``python -m bench.unbatched_bot``.

The real bot, with the quiz cog's answer button as it was before bot/quiz/batcher.py: one
unit of work per click around ``bot.quiz.service.answer``. The answer-path benchmark runs it
beside the batched bot to record the before/after in the same run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bench.noop_bot import run
from bot.app import CertQuestBot
from bot.quiz import service as svc
from cogs.quiz.cog import AnswerButton, reveal_buttons
from cogs.quiz.render import reveal_embed
from db.engine import unit_of_work


class UnbatchedAnswerButton(
    AnswerButton, template=r"cq:a:(?P<sid>\d+):(?P<idx>\d+):(?P<letter>[ABCD])"
):
    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot: Any = interaction.client
        async with unit_of_work(bot.sessions) as session:
            ack = await svc.answer(
                session,
                session_id=self.session_id,
                index=self.index,
                letter=self.letter,
                discord_id=interaction.user.id,
                display_name=interaction.user.display_name,
                now=bot.clock(),
            )
        if ack.reveal is not None:
            await interaction.response.edit_message(
                embed=reveal_embed(ack.reveal), view=reveal_buttons(ack.reveal)
            )
        elif ack.first_time:
            await interaction.response.send_message(f"Locked in: **{ack.letter}**", ephemeral=True)
        else:
            await interaction.response.send_message(
                f"You already chose **{ack.letter}**: your first answer counts.", ephemeral=True
            )


class UnbatchedBot(CertQuestBot):
    async def setup_hook(self) -> None:
        await super().setup_hook()
        self.remove_dynamic_items(AnswerButton)
        self.add_dynamic_items(UnbatchedAnswerButton)


if __name__ == "__main__":
    asyncio.run(run(UnbatchedBot))
