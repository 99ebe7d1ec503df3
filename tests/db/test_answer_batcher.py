"""The answer batcher on both databases: clicks that arrive together share one transaction,
yet each gets its own outcome, exactly as ``quiz_service.answer`` would give it."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import answer_batcher as ab
from bot import quiz_service as svc
from bot.answer_batcher import AnswerBatcher, Click
from bot.errors import Conflict, InvalidInput, NotFound
from db.engine import create_sessionmaker, unit_of_work
from db.models import Question, User, UserAnswer
from db.models_quiz import QuizSession


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    channel: int = field(default_factory=lambda: secrets.randbits(40))
    base: int = field(default_factory=lambda: secrets.randbits(40) << 8)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def member(self, n: int) -> int:
        return self.base + n

    def click(
        self,
        quiz: svc.QuestionView,
        who: int,
        letter: str,
        *,
        index: int | None = None,
        session_id: int | None = None,
    ) -> Click:
        return Click(
            session_id if session_id is not None else quiz.session_id,
            quiz.index if index is None else index,
            letter,
            self.member(who),
            f"member {who}",
            self.now + dt.timedelta(seconds=2),
        )

    async def start(self, *, mode: str = "group", offset: int = 0) -> svc.QuestionView:
        async with unit_of_work(self.sessions) as session:
            return await svc.start_quiz(
                session,
                host_discord_id=self.member(99),
                host_name="host",
                guild_id=1,
                channel_id=self.channel + offset,
                exam_type="security",
                objective=None,
                count=3,
                seconds=30,
                mode=mode,
                now=self.now,
                rng=random.Random(3),
            )

    async def answers(self, quiz: svc.QuestionView) -> list[tuple[int, str]]:
        """(discord id, letter) of every stored answer to the quiz's current question."""
        async with self.sessions() as session:
            s = await session.get(QuizSession, quiz.session_id)
            assert s is not None
            rows = await session.execute(
                select(User.discord_id, UserAnswer.user_answer)
                .join(User, User.id == UserAnswer.user_id)
                .where(
                    UserAnswer.question_id == s.question_ids[quiz.index],
                    User.discord_id.between(self.base, self.base + 255),
                )
                .order_by(User.discord_id)
            )
            return [(int(d), str(a)) for d, a in rows]

    async def correct(self, quiz: svc.QuestionView) -> str:
        async with self.sessions() as session:
            s = await session.get(QuizSession, quiz.session_id)
            assert s is not None
            q = await session.get(Question, s.question_ids[quiz.index])
            assert q is not None
            return q.correct_answer


@pytest.fixture
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    w = World(create_sessionmaker(engine))
    yield w
    async with engine.begin() as conn:
        await conn.execute(
            delete(QuizSession).where(QuizSession.channel_id.between(w.channel, w.channel + 9))
        )
        await conn.execute(delete(User).where(User.discord_id.between(w.base, w.base + 255)))


async def together(batcher: AnswerBatcher, *clicks: Click) -> list[Any]:
    """Submit the clicks in the same instant (one batch) and gather each result."""
    return list(await asyncio.gather(*(batcher.answer(c) for c in clicks), return_exceptions=True))


async def test_each_click_gets_its_own_outcome(world: World) -> None:
    quiz = await world.start()
    right = await world.correct(quiz)
    wrong = "A" if right != "A" else "B"
    batcher = AnswerBatcher(world.sessions)
    acks = await together(
        batcher,
        world.click(quiz, 1, right),
        world.click(quiz, 2, wrong),
        world.click(quiz, 3, right),
    )
    assert batcher.batches == 1
    assert [(a.letter, a.first_time, a.is_correct) for a in acks] == [
        (right, True, True),
        (wrong, True, False),
        (right, True, True),
    ]
    assert await world.answers(quiz) == [
        (world.member(1), right),
        (world.member(2), wrong),
        (world.member(3), right),
    ]
    # the players are cached: a later click of the same member needs no lookup
    assert (quiz.session_id, world.member(1)) in batcher.players


async def test_a_repeat_in_the_same_batch_reports_the_first_answer(world: World) -> None:
    quiz = await world.start()
    batcher = AnswerBatcher(world.sessions)
    first, second, third = await together(
        batcher, world.click(quiz, 1, "C"), world.click(quiz, 1, "A"), world.click(quiz, 2, "D")
    )
    assert batcher.batches == 1
    assert (first.letter, first.first_time) == ("C", True)
    assert (second.letter, second.first_time) == ("C", False)
    assert (third.letter, third.first_time) == ("D", True)
    # and in a later batch, as before batching
    (again,) = await together(batcher, world.click(quiz, 1, "B"))
    assert (again.letter, again.first_time) == ("C", False)
    assert await world.answers(quiz) == [(world.member(1), "C"), (world.member(2), "D")]


async def test_an_error_in_one_click_does_not_lose_the_others(world: World) -> None:
    quiz = await world.start()
    batcher = AnswerBatcher(world.sessions)
    results = await together(
        batcher,
        world.click(quiz, 1, "A"),
        world.click(quiz, 2, "E"),  # not a letter
        world.click(quiz, 3, "B", index=quiz.index + 1),  # not the open question
        world.click(quiz, 4, "C", session_id=quiz.session_id + 10_000),  # no such quiz
        world.click(quiz, 5, "D"),
    )
    assert batcher.batches == 1
    assert isinstance(results[0], svc.AnswerAck) and results[0].letter == "A"
    assert isinstance(results[1], InvalidInput)
    assert isinstance(results[2], Conflict)
    assert isinstance(results[3], NotFound)
    assert isinstance(results[4], svc.AnswerAck) and results[4].letter == "D"
    assert await world.answers(quiz) == [(world.member(1), "A"), (world.member(5), "D")]


async def test_a_click_after_the_deadline_is_closed_the_same_way(world: World) -> None:
    quiz = await world.start()
    batcher = AnswerBatcher(world.sessions)
    late = Click(
        quiz.session_id,
        quiz.index,
        "A",
        world.member(1),
        "late",
        world.now + dt.timedelta(minutes=5),
    )
    (result,) = await together(batcher, late)
    assert isinstance(result, Conflict)
    assert await world.answers(quiz) == []


async def test_a_failed_batch_is_answered_click_by_click(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz = await world.start()
    batcher = AnswerBatcher(world.sessions)

    async def broken(session: AsyncSession, clicks: Any, cache: Any) -> Any:
        await session.execute(select(func.count()).select_from(User))
        raise RuntimeError("the batch transaction failed")

    monkeypatch.setattr(ab, "answer_many", broken)
    acks = await together(
        batcher, world.click(quiz, 1, "A"), world.click(quiz, 1, "B"), world.click(quiz, 2, "C")
    )
    assert batcher.fallbacks == 3
    assert [(a.letter, a.first_time) for a in acks] == [("A", True), ("A", False), ("C", True)]
    assert await world.answers(quiz) == [(world.member(1), "A"), (world.member(2), "C")]


async def test_a_solo_click_still_reveals_at_once(world: World) -> None:
    quiz = await world.start(mode="solo", offset=1)
    batcher = AnswerBatcher(world.sessions)
    host = Click(
        quiz.session_id,
        quiz.index,
        "B",
        world.member(99),
        "host",
        world.now + dt.timedelta(seconds=2),
    )
    (ack,) = await together(batcher, host)
    assert ack.first_time and ack.reveal is not None
    assert ack.reveal.answered == 1


async def test_many_clicks_in_flight_are_each_stored_once(world: World) -> None:
    quiz = await world.start()
    batcher = AnswerBatcher(world.sessions, max_batch=8)
    clicks = [world.click(quiz, n, "ABCD"[n % 4]) for n in range(40)]
    clicks += [world.click(quiz, n, "A") for n in range(0, 40, 5)]  # repeats, maybe concurrent
    results = await together(batcher, *clicks)
    assert all(isinstance(r, svc.AnswerAck) for r in results)
    assert batcher.batches >= 6
    stored = dict(await world.answers(quiz))
    assert len(stored) == 40
    for click, ack in zip(clicks, results, strict=True):
        assert ack.letter == stored[click.discord_id]  # every reply names the stored answer
    firsts = [c.discord_id for c, a in zip(clicks, results, strict=True) if a.first_time]
    assert sorted(firsts) == sorted(stored)  # exactly one "Locked in" per member
