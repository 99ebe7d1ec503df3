"""Run the real CertQuest bot process against the emulator, on a database of its own.

Each test gets a fresh database copied from a template that was migrated and seeded once
(PostgreSQL: ``CREATE DATABASE … TEMPLATE``; SQLite: a file copy), so end-to-end tests commit
for real without touching the rolled-back database tests.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.engine import create_engine
from db.migrate import upgrade_to_head
from seeds.loader import seed_all
from tests.conftest import PG_ADMIN_URL, _pg_admin
from tests.emulator import BotProcess, Emulator


async def _prepare(url: str) -> None:
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await seed_all(AsyncSession(bind=conn))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def pg_template() -> AsyncIterator[str]:
    name = f"certquest_tpl_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    await _prepare(make_url(PG_ADMIN_URL).set(database=name).render_as_string(False))
    try:
        yield name
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    await _prepare(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["postgresql"])
def e2e_backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL by default; a test parametrizes it to run on SQLite too."""
    return str(request.param)


@pytest.fixture
async def bot_db_url(
    e2e_backend: str, pg_template: str, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[str]:
    if e2e_backend == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"certquest_e2e_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def bot_db(bot_db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the bot's database, for a test to check what was stored."""
    engine = create_engine(bot_db_url)
    yield engine
    await engine.dispose()


@dataclass
class Db:
    engine: AsyncEngine

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())


StartCertQuest = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def certquest(
    emu: Emulator, bot_db_url: str, tmp_path: Path
) -> AsyncIterator[StartCertQuest]:
    """``await certquest()`` starts ``python -m bot run`` against the emulator and waits until
    it is connected and has synced its commands to the emulator's guild."""
    procs: list[BotProcess] = []

    async def start(**env: str) -> BotProcess:
        proc = BotProcess.module(
            "bot",
            "run",
            env={
                "DATABASE_URL": bot_db_url,
                "DEV_GUILD_ID": str(emu.default_guild.id),
                "LOG_LEVEL": "INFO",
                "QUIZ_REVEAL_PAUSE_SECONDS": "0.2",
                **env,
            },
            log_path=tmp_path / f"certquest-{len(procs)}.log",
            cwd=tmp_path,
        )
        procs.append(proc)
        await proc.start(emu)
        await proc.wait_ready(emu, commands=True, timeout=30)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            await proc.stop()
        # a bot that hit an error it did not answer would show it in its log
        for proc in procs:
            assert "Traceback" not in proc.log_text(), proc.log_tail(60)


SyncGlobally = Callable[[], Awaitable[None]]


@pytest.fixture
async def sync_globally(emu: Emulator, bot_db_url: str, tmp_path: Path) -> SyncGlobally:
    """``await sync_globally()`` runs ``python -m bot sync`` (global commands, for DMs)."""

    async def run() -> None:
        proc = BotProcess.module(
            "bot",
            "sync",
            env={"DATABASE_URL": bot_db_url},
            cwd=tmp_path,
            log_path=tmp_path / "sync.log",
        )
        await proc.start(emu)
        code = await proc.wait_exit(30)
        assert code == 0, proc.log_tail()
        assert "Synced" in proc.log_text()

    return run
