"""A readiness signal without a framework: a file touched while the bot is connected.

compose's healthcheck tests that the file is younger than a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

import discord

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 30.0


class HealthFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._task: asyncio.Task[None] | None = None

    def start(self, client: discord.Client) -> None:
        self._task = asyncio.create_task(self._beat(client), name="health-file")

    async def _beat(self, client: discord.Client) -> None:
        while True:
            if client.is_ready() and not client.is_closed():
                await asyncio.to_thread(self._touch)
            await asyncio.sleep(INTERVAL_SECONDS)

    def _touch(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{time.time():.0f}\n")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path.unlink)
