"""Shared helpers of the progression database tests (accounts, quizzes, achievements).

``install_hooks`` records the calls into the leaderboards module's hooks. With
``passthrough=True`` (the default) the real functions still run (integration); if
``db.leaderboards.queries`` does not exist yet, a stub module takes its place. Concurrency tests,
which
commit for real, pass ``passthrough=False`` so no board rows outlive them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.quiz.records import FinishResult, finish_attempt, record_answer, start_attempt
from tests.db.factories import make_question

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
HOOKS = ("record_progress", "merge_users", "record_answers_stats", "remove_user")


def new_discord_id() -> int:
    """A unique, snowflake-sized Discord id."""
    return 10**17 + uuid.uuid4().int % 10**17


@dataclass
class HookCalls:
    calls: dict[str, list[Any]] = field(default_factory=lambda: {h: [] for h in HOOKS})

    @property
    def progress(self) -> list[dict[str, Any]]:
        return self.calls["record_progress"]

    @property
    def merges(self) -> list[dict[str, Any]]:
        return self.calls["merge_users"]

    @property
    def answer_stats(self) -> list[list[tuple[int, str, str | None, bool]]]:
        return self.calls["record_answers_stats"]


def install_hooks(monkeypatch: pytest.MonkeyPatch, *, passthrough: bool = True) -> HookCalls:
    calls = HookCalls()
    try:
        module: Any = importlib.import_module("db.leaderboards.queries")
    except ImportError:
        module = types.ModuleType("db.leaderboards.queries")
        monkeypatch.setitem(sys.modules, "db.leaderboards.queries", module)
        passthrough = False

    def spy(name: str) -> Callable[..., Awaitable[None]]:
        real = getattr(module, name, None)

        async def hook(session: AsyncSession, *args: Any, **kwargs: Any) -> None:
            calls.calls[name].append(args[0] if args else kwargs)
            if passthrough and real is not None:
                await real(session, *args, **kwargs)

        return hook

    for name in HOOKS:
        monkeypatch.setattr(module, name, spy(name), raising=False)
    return calls


async def questions(session: AsyncSession, n: int, exam_type: str = "security") -> list[int]:
    """``n`` fresh questions whose correct answer is "A"."""
    return [await make_question(session, exam_type=exam_type, correct_answer="A") for _ in range(n)]


async def play(
    session: AsyncSession,
    user_id: int,
    results: Sequence[bool],
    *,
    exam_type: str = "security",
    now: dt.datetime = NOW,
    tz: str | None = None,
    guild_id: int | None = None,
    seconds: int | None = 5,
) -> FinishResult:
    """Start a quiz, answer it ("A" right, "B" wrong) and finish it."""
    qids = await questions(session, len(results), exam_type)
    attempt = await start_attempt(session, user_id, exam_type, len(results), guild_id, now)
    for qid, ok in zip(qids, results, strict=True):
        await record_answer(session, attempt, user_id, qid, "A" if ok else "B", "A", seconds, now)
    return await finish_attempt(session, attempt, now, tz)


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
