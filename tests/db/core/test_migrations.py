"""Migrations go up and down on both databases, and match the models exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError

import db.all_models  # noqa: F401
from db.base import Base
from db.engine import create_engine
from db.migrate import downgrade_to, upgrade_to, upgrade_to_head
from tests.conftest import PG_ADMIN_URL, _pg_admin


@pytest.fixture(params=["postgresql", "sqlite"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"certquest_migrate_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


async def diff(url: str) -> list[object]:
    engine = create_engine(url)

    def compare(conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_creates_every_table_and_downgrade_removes_them(empty_url: str) -> None:
    await upgrade_to_head(empty_url)
    assert await tables(empty_url) == set(Base.metadata.tables)
    await downgrade_to(empty_url, "base")
    assert await tables(empty_url) == set()
    await upgrade_to_head(empty_url)  # and back up again, cleanly
    assert await tables(empty_url) == set(Base.metadata.tables)


async def test_models_and_migrations_do_not_drift(empty_url: str) -> None:
    await upgrade_to_head(empty_url)
    assert await diff(empty_url) == []


def test_the_spec_tables_are_all_there() -> None:
    spec = {
        "users",
        "user_profiles",
        "questions",
        "quiz_attempts",
        "user_answers",
        "achievements",
        "user_achievements",
        "avatars",
        "user_avatars",
    }
    assert spec <= set(Base.metadata.tables)
    assert asyncio.iscoroutinefunction(upgrade_to_head)


async def _run(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows: list[tuple[object, ...]] = []
            for sql in statements:
                result = await conn.execute(text(sql))
                if result.returns_rows:
                    rows = [tuple(r) for r in result]
            return rows
    finally:
        await engine.dispose()


async def test_0005_admits_the_220_1201_pair_and_old_attempts_keep_their_exam(
    empty_url: str,
) -> None:
    await upgrade_to(empty_url, "0004")
    await _run(
        empty_url,
        "INSERT INTO users (id, email, username, hashed_password)"
        " VALUES (1, 'a@example.com', 'ada', 'x')",
        "INSERT INTO quiz_attempts (id, user_id, exam_type, total_questions, correct_answers,"
        " score_percentage, status) VALUES (1, 1, 'a1101', 10, 7, 70, 'completed'),"
        " (2, 1, 'security', 10, 9, 90, 'completed')",
        "INSERT INTO questions (question_id, exam_type, question_text, correct_answer, options)"
        " VALUES ('OLD-1', 'a1102', 'q?', 'B', '{}')",
    )
    await upgrade_to_head(empty_url)
    assert await _run(empty_url, "SELECT id, exam_type FROM quiz_attempts ORDER BY id") == [
        (1, "a1101"),
        (2, "security"),
    ]
    assert await _run(empty_url, "SELECT exam_type, difficulty FROM questions") == [("a1102", 2)]
    await _run(
        empty_url,
        "INSERT INTO quiz_attempts (id, user_id, exam_type, total_questions, correct_answers,"
        " score_percentage, status) VALUES (3, 1, 'a1202', 5, 5, 100, 'completed')",
        "INSERT INTO questions (question_id, exam_type, question_text, correct_answer, options,"
        " difficulty) VALUES ('NEW-1', 'a1201', 'q?', 'A', '{}', 3)",
    )
    for bad in (
        "INSERT INTO quiz_attempts (user_id, exam_type, total_questions, correct_answers,"
        " score_percentage, status) VALUES (1, 'a9999', 5, 5, 100, 'completed')",
        "INSERT INTO questions (question_id, exam_type, question_text, correct_answer, options,"
        " difficulty) VALUES ('BAD-1', 'a1201', 'q?', 'A', '{}', 4)",
    ):
        with pytest.raises(IntegrityError):
            await _run(empty_url, bad)

    await downgrade_to(empty_url, "0004")
    assert await _run(empty_url, "SELECT id, exam_type FROM quiz_attempts ORDER BY id") == [
        (1, "a1101"),
        (2, "security"),
        (3, "a1202"),
    ]
    await upgrade_to_head(empty_url)  # and up again
    assert await _run(empty_url, "SELECT count(*) FROM questions WHERE difficulty = 2") == [(2,)]
