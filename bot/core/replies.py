"""Turning failures into plain, ephemeral words for the user (tree, dynamic items, views)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import discord
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.errors import BotError
from db.engine import DatabaseUnavailable

log = logging.getLogger(__name__)

DATABASE_DOWN = (
    "CertQuest can't reach its database right now. Your progress is safe; try again in a minute."
)


def is_database_outage(error: BaseException) -> bool:
    if isinstance(
        error,
        (DatabaseUnavailable, OperationalError, InterfaceError, PoolTimeout, ConnectionError),
    ):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    cause = error.__cause__ or error.__context__
    return isinstance(cause, (OSError, ConnectionError)) and not isinstance(error, BotError)


def unwrap(error: BaseException) -> BaseException:
    """The error a command or item raised, without discord.py's wrappers."""
    while isinstance(error, (discord.app_commands.CommandInvokeError,)) and error.original:
        error = error.original
    return error


def describe(interaction: discord.Interaction) -> dict[str, object]:
    """The interaction's ids, as a log record's ``extra`` (keys in JSON logs)."""
    return {
        "interaction": interaction.id,
        "user": interaction.user.id,
        "guild": interaction.guild_id,
        "channel": interaction.channel_id,
    }


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply", extra=describe(interaction))


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one place failures become replies: BotError as is, outages and bugs in plain words."""
    error = unwrap(error)
    if isinstance(error, BotError):
        await send_ephemeral(interaction, error.user_message)
        return
    if isinstance(error, discord.app_commands.CheckFailure):
        await send_ephemeral(interaction, str(error) or "You can't use this here.")
        return
    if is_database_outage(error):
        log.error("database unreachable", extra={**describe(interaction), "error": repr(error)})
        await send_ephemeral(interaction, DATABASE_DOWN)
        return
    ref = secrets.token_hex(2)
    log.exception("unhandled error", extra={"ref": ref, **describe(interaction)}, exc_info=error)
    await send_ephemeral(interaction, f"Something went wrong (ref {ref}). Try again in a moment.")


class InFlight:
    """The interaction handlers running now, tracked by us (not by discord.py's task names):
    a closing bot lets them finish their unit of work and reply before the database closes."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def track_current(self) -> None:
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def running(self) -> list[asyncio.Task[Any]]:
        me = asyncio.current_task()
        return [t for t in self._tasks if t is not me and not t.done()]


in_flight = InFlight()


class CertQuestTree(discord.app_commands.CommandTree["discord.Client"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        in_flight.track_current()  # runs in the command's own handler task
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: discord.app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)



class BaseModal(discord.ui.Modal):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        in_flight.track_current()
        return True

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await report_error(interaction, error)


class SafeDynamicItem:
    """Mixin for ``DynamicItem`` buttons: discord.py only logs their errors, we answer them.

    Subclasses implement ``handle``; ``callback`` runs it and reports any failure ephemerally.
    """

    async def handle(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        in_flight.track_current()
        try:
            await self.handle(interaction)
        except Exception as error:  # every failure gets a reply and a log line
            await report_error(interaction, error)
