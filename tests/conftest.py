"""Shared fixtures: every database test runs on PostgreSQL and on SQLite.

Each test gets an ``AsyncSession`` joined to an outer transaction that is rolled back
afterwards (SQLAlchemy's "Joining a Session into an External Transaction"), so tests never
see each other's rows. PostgreSQL is required: a missing server fails the run, never skips it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.engine import create_engine
from db.migrate import upgrade_to_head

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("postgresql", "sqlite")


async def _pg_admin(sql: str) -> None:
    url = make_url(PG_ADMIN_URL)
    try:
        conn = await asyncpg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            database=url.database,
            password=url.password,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is required for the database tests and is not reachable at "
            f"{url.render_as_string(hide_password=True)}: {exc}. Start it (see README).",
            pytrace=False,
        )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test run, upgraded to head and seeded."""
    name = f"certquest_test_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "certquest_test.sqlite3"
    return f"sqlite+aiosqlite:///{path}"


async def _prepare(url: str) -> AsyncEngine:
    await upgrade_to_head(url)
    engine = create_engine(url)
    from seeds.loader import seed_all

    async with engine.begin() as conn:
        await seed_all(AsyncSession(bind=conn))
    return engine


@pytest.fixture(scope="session")
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await _prepare(pg_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await _prepare(sqlite_url)
    yield engine
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> AsyncEngine:
    """The seeded engine of the current backend (both, through ``backend``'s params)."""
    return request.getfixturevalue("pg_engine" if backend == "postgresql" else "sqlite_engine")


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside a transaction rolled back at the end."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        sess = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield sess
        finally:
            await sess.close()
            if outer.is_active:
                await outer.rollback()


@pytest.fixture(autouse=True, scope="session")
def registered_features() -> None:
    """The features' protocols (``bot.core.hooks``), wired as the bot wires them at start."""
    from bot.features import register

    register()
