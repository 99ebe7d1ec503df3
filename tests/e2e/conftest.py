"""Fixtures that start the Discord emulator and sample bot processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import pytest

from tests.emulator import BotProcess, Emulator

StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A fresh emulator on 127.0.0.1 (ephemeral port) for one test."""
    emulator = await Emulator.start()
    try:
        yield emulator
    finally:
        await emulator.close()


@pytest.fixture
async def start_bot(emu: Emulator, tmp_path: Path) -> AsyncIterator[StartBot]:
    """``await start_bot()`` runs tests/emulator/sample_bot.py against ``emu`` and waits
    until it is ready; every process is stopped after the test."""
    procs: list[BotProcess] = []

    async def start(
        *,
        env: Mapping[str, str] | None = None,
        wait: bool = True,
        commands: bool = True,
        shards: Iterable[int] | None = None,
    ) -> BotProcess:
        proc = BotProcess.module(
            "tests.emulator.sample_bot",
            env={"SAMPLE_GUILD_ID": str(emu.default_guild.id), **(env or {})},
            log_path=tmp_path / f"bot-{len(procs)}.log",
        )
        procs.append(proc)
        await proc.start(emu)
        if wait:
            await proc.wait_ready(emu, commands=commands, shards=shards)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            await proc.stop()


from tests.e2e.certquest import (  # noqa: E402  (fixtures for the real bot)
    bot_db,
    bot_db_url,
    certquest,
    e2e_backend,
    pg_template,
    sqlite_template,
    sync_globally,
)

__all__ = [
    "bot_db",
    "bot_db_url",
    "certquest",
    "e2e_backend",
    "pg_template",
    "sqlite_template",
    "sync_globally",
]
