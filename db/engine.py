"""Async engine and session factory for ``postgresql+asyncpg://`` and ``sqlite+aiosqlite://``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str | URL) -> bool:
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


def create_engine(
    url: str | URL,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 5,
    autocommit: bool = False,
    pre_ping: bool = True,
    server_settings: dict[str, str] | None = None,
) -> AsyncEngine:
    """Build the engine for ``url``.

    SQLite gets foreign keys ON, WAL and a busy timeout on every connection. PostgreSQL gets a
    pool sized for a 2-core box: a handful of connections is what the server can usefully run
    in parallel there, and overflow covers bursts.

    ``autocommit``: every statement is its own transaction (for one-statement units of work,
    ``db.quiz.group_answers``). ``pre_ping`` tests each connection as it leaves the pool: on
    PostgreSQL outside autocommit that is BEGIN, a ping and ROLLBACK, three round trips per
    checkout; a pool that can retry elsewhere may turn it off (a dead connection then fails
    its statement and is discarded with the others of its age). ``server_settings``: PostgreSQL
    settings for every connection of the pool (asyncpg).
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        if server_settings:
            kwargs["connect_args"] = {"server_settings": dict(server_settings)}
        kwargs.update(
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=pre_ping,
            pool_recycle=1800,
        )
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
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


@asynccontextmanager
async def autocommit_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection on which each statement is its own transaction.

    For a unit of work that is exactly one statement (``db.quiz.group_answers``): it saves the
    BEGIN and COMMIT round trips. ``engine`` is built with ``create_engine(…, autocommit=True)``
    (or is an ``isolation_level="AUTOCOMMIT"`` view); outages raise ``DatabaseUnavailable``
    as in :func:`unit_of_work`.
    """
    try:
        conn = await engine.connect()
    except (DBAPIError, OSError, TimeoutError, PoolTimeout) as exc:
        raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
    try:
        yield conn
    finally:
        await conn.close()
