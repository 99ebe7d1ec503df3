"""One reminder sweep in its own process, for bench.reminders (two of them run at once).

``python -m bench.reminder_worker --rate 20`` with DATABASE_URL, DISCORD_API_BASE and
DISCORD_TOKEN set: what ``certquest reminders sweep`` does (HTTP-only ``discord.Client``,
``bot.reminders.service.sweep`` with ``DiscordReminderSender``), with the sender's rate limit
set to ``--rate``. Prints one JSON line: the sweep's counts and when each DM went out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time

import discord

from bot.core.discord_api import configure_api_base
from bot.reminders.delivery import DiscordReminderSender
from bot.reminders.rules import ReminderMessage, SendOutcome, SendStatus
from bot.reminders.service import sweep
from db.engine import create_engine, create_sessionmaker


class TimedSender(DiscordReminderSender):
    def __init__(self, client: discord.Client, rate: float) -> None:
        super().__init__(client, max_per_second=rate)
        self.sent_at: list[float] = []

    async def send(self, reminder: ReminderMessage) -> SendOutcome:
        outcome = await super().send(reminder)
        if outcome.status is SendStatus.SENT:
            self.sent_at.append(time.monotonic())
        return outcome


async def run(args: argparse.Namespace) -> dict[str, object]:
    configure_api_base(os.environ["DISCORD_API_BASE"])
    engine = create_engine(os.environ["DATABASE_URL"])
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(os.environ["DISCORD_TOKEN"])
        sender = TimedSender(client, args.rate)
        started = time.monotonic()
        report = await sweep(
            create_sessionmaker(engine),
            sender,
            now=dt.datetime.now(dt.UTC),
            batch_size=args.batch,
            concurrency=args.concurrency,
            clock=lambda: dt.datetime.now(dt.UTC),
        )
        ended = time.monotonic()
    finally:
        await client.close()
        await engine.dispose()
    times = sender.sent_at
    window = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "sent": report.sent,
        "claimed": report.claimed,
        "batches": report.batches,
        "gave_up": report.gave_up,
        "disabled": sum(report.disabled.values()),
        "seconds": ended - started,
        "rate": (len(times) - 1) / window if window else 0.0,
        "user_ids": report.sent_user_ids,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminder_worker")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    result = asyncio.run(run(parser.parse_args()))
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
