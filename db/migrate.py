"""Run Alembic from code (the CLI, first run and tests share this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logging"] = False
    return cfg


def _upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def _downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_to_head(database_url: str) -> None:
    # env.py runs its own event loop (asyncio.run), so it runs in a worker thread.
    await asyncio.to_thread(_upgrade, database_url, "head")


async def upgrade_to(database_url: str, revision: str) -> None:
    await asyncio.to_thread(_upgrade, database_url, revision)


async def downgrade_to(database_url: str, revision: str = "base") -> None:
    await asyncio.to_thread(_downgrade, database_url, revision)
