"""One INFO log line per interaction, with its ids, for tracing a user's report to a process.

``interaction type=component command=- custom_id=cq:quiz:… user=… guild=… channel=… id=…
shard=…`` (key=value context, see ``bot.core.logs``). discord.py dispatches ``on_interaction`` for
every interaction it receives, next to the command or item that handles it, so a line exists
even for one that fails, times out or matches nothing. ``shard`` is the shard that
delivered it: with several processes (``SHARD_IDS``) it tells which one answered.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

log = logging.getLogger(__name__)

# application command option types that name a sub-command (group)
_SUB_COMMAND, _SUB_COMMAND_GROUP = 1, 2


def command_name(data: Any) -> str | None:
    """``quiz start`` from an application command's or autocomplete's ``data``."""
    if not isinstance(data, dict) or "name" not in data:
        return None
    names = [str(data["name"])]
    options = data.get("options") or []
    while options:
        sub = next(
            (o for o in options if o.get("type") in (_SUB_COMMAND, _SUB_COMMAND_GROUP)), None
        )
        if sub is None:
            break
        names.append(str(sub["name"]))
        options = sub.get("options") or []
    return " ".join(names)


def shard_of(guild_id: int | None, shard_count: int | None) -> int:
    """The shard Discord delivers the guild's events on; DMs come on shard 0."""
    if guild_id is None or not shard_count:
        return 0
    return (guild_id >> 22) % shard_count


def interaction_context(
    interaction: discord.Interaction, shard_count: int | None
) -> dict[str, Any]:
    """The key=value context of one interaction (duck-typed: tests pass a namespace)."""
    data = interaction.data
    kind = interaction.type
    is_command = kind in (
        discord.InteractionType.application_command,
        discord.InteractionType.autocomplete,
    )
    custom_id = data.get("custom_id") if isinstance(data, dict) and not is_command else None
    return {
        "type": kind.name,
        "command": command_name(data) if is_command else None,
        "custom_id": custom_id,
        "user": interaction.user.id,
        "guild": interaction.guild_id,
        "channel": interaction.channel_id,
        "id": interaction.id,
        "shard": shard_of(interaction.guild_id, shard_count),
    }


class TelemetryCog(commands.Cog, name="Telemetry"):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        try:
            context = interaction_context(interaction, self.bot.shard_count)
        except Exception:  # logging must never break an interaction
            log.exception(
                "could not describe an interaction",
                extra={"interaction": getattr(interaction, "id", None)},
            )
            return
        log.info("interaction", extra=context)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TelemetryCog(bot))
