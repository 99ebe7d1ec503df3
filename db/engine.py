"""Async engine and session factory for ``postgresql+asyncpg://`` and ``sqlite+aiosqlite://``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_begin):
    # the module's own implicit BEGIN is lazy, which breaks SAVEPOINTs and rollbacks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout
    # instead of failing with "database is locked" when a read transaction tries to write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> AsyncEngine:
    """Build the engine for ``url``.

    SQLite gets foreign keys ON, WAL and a busy timeout on every connection. PostgreSQL gets a
    pool sized for a 2-core box: a handful of connections is what the server can usefully run
    in parallel there, and overflow covers bursts.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=5, pool_pre_ping=True, pool_recycle=1800)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        # SQLAlchemy's documented recipe for working SAVEPOINTs and transactions on pysqlite.
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class DatabaseUnavailable(Exception):
    """No connection to the database could be had (server down, refusing, unreachable)."""


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One interaction's transaction: commit on success, roll back on any error.

    Failing to get a connection at all raises ``DatabaseUnavailable``, so callers can tell an
    outage from a bug.
    """
    async with sessions() as session:
        try:
            await session.connection()  # checks a connection out and begins the transaction
        except (DBAPIError, OSError, TimeoutError, PoolTimeout) as exc:
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
