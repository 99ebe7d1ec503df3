"""``certquest reminders sweep [--now ISO] [--dry-run]``: one sweep from the command line.

A dry run needs no Discord token: it lists who would be reminded and why. A real run logs in
with the HTTP client only (``discord.Client.login``, no gateway) and sends through the same
sweep as the bot; claims make it safe next to a running bot.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import discord

from bot.core.clock import utcnow
from bot.core.discord_api import configure_api_base
from bot.reminders.delivery import DiscordReminderSender
from bot.reminders.service import SweepReport, sweep
from db.engine import create_engine, create_sessionmaker

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CIRCUIT_OPEN = 1
EXIT_USAGE = 2


def parse_now(value: str) -> dt.datetime:
    """``--now``: an ISO 8601 instant; a value without an offset is taken as UTC."""
    when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)




async def run_sweep_cli(
    database_url: str,
    token: str | None,
    api_base: str,
    now: dt.datetime | None,
    dry_run: bool,
    *,
    out: Callable[[str], None] | None = None,
    batch_size: int = 100,
) -> int:
    """Run one sweep; every report line goes to ``out`` (default: this module's logger at
    INFO). Returns the exit code: 0, 1 when the circuit breaker stopped the sweep, 2 for a
    missing or rejected token."""
    emit = out or (lambda line: log.info("%s", line))
    fixed = now is not None
    when = now if now is not None else utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    client: discord.Client | None = None
    try:
        if dry_run:
            report: SweepReport = await sweep(
                sessions, None, now=when, batch_size=batch_size, dry_run=True
            )
        else:
            if not token:
                emit("DISCORD_TOKEN is required to send reminders (or use --dry-run).")
                return EXIT_USAGE
            configure_api_base(api_base)
            client = discord.Client(intents=discord.Intents.none())
            try:
                await client.login(token)
            except discord.LoginFailure:
                emit("Discord rejected DISCORD_TOKEN.")
                return EXIT_USAGE
            report = await sweep(
                sessions,
                DiscordReminderSender(client),
                now=when,
                batch_size=batch_size,
                clock=None if fixed else utcnow,
            )
        for line in report.lines():
            emit(line)
        return EXIT_CIRCUIT_OPEN if report.circuit_open else EXIT_OK
    finally:
        if client is not None:
            await client.close()
        await engine.dispose()
