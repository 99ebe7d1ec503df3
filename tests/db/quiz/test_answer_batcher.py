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
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.errors import Conflict, InvalidInput, NotFound
from bot.quiz import batcher as ab
from bot.quiz import service as svc
from bot.quiz.batcher import AnswerBatcher, Click
from bot.quiz.records import finish_attempt
from db.engine import autocommit_connection, create_sessionmaker, unit_of_work
from db.leaderboards.models import UserObjectiveStats
from db.models import Question, QuizAttempt, User, UserAnswer
from db.quiz.models import QuizSession
from tests.db.progression_helpers import install_hooks


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    channel: int = field(default_factory=lambda: secrets.randbits(40))
    base: int = field(default_factory=lambda: secrets.randbits(40) << 8)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    batchers: list[AnswerBatcher] = field(default_factory=list)

    def batcher(self, **options: Any) -> AnswerBatcher:
        """A batcher on this world's database, closed (with its own pool) at the end."""
        self.batchers.append(AnswerBatcher(self.sessions, **options))
        return self.batchers[-1]

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

    async def start(
        self, *, mode: str = "group", offset: int = 0, objective: str | None = None
    ) -> svc.QuestionView:
        async with unit_of_work(self.sessions) as session:
            return await svc.start_quiz(
                session,
                host_discord_id=self.member(99),
                host_name="host",
                guild_id=1,
                channel_id=self.channel + offset,
                exam_type="security",
                objective=objective,
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
    for batcher in w.batchers:
        await batcher.close()
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
    batcher = world.batcher()
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
    batcher = world.batcher()
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
    batcher = world.batcher()
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
    batcher = world.batcher()
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
    batcher = world.batcher()

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
    batcher = world.batcher()
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
    batcher = world.batcher(max_batch=8)
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


# --- a member's later clicks: one statement on PostgreSQL, the same outcomes everywhere ---


async def _joined(
    world: World, batcher: AnswerBatcher, *who: int, objective: str | None = None
) -> svc.QuestionView:
    """A group quiz on its second question, ``who`` having answered the first (cached)."""
    quiz = await world.start(objective=objective)
    await together(batcher, *(world.click(quiz, n, "A") for n in who))
    async with unit_of_work(world.sessions) as session:
        await svc.reveal(session, quiz.session_id, quiz.index)
        nxt = await svc.next_question(session, quiz.session_id, quiz.index, world.now)
    assert nxt is not None
    return nxt


def _fast(batcher: AnswerBatcher, backend: str) -> int:
    """Clicks stored by the one-statement path (PostgreSQL only; 0 on SQLite)."""
    assert (batcher.fast is not None) == (backend == "postgresql")
    return batcher.fast_clicks


async def _objective_counts(world: World, member: int) -> dict[str, tuple[int, int]]:
    """The member's per-objective counters: {objective: (answered, correct)}."""
    async with world.sessions() as session:
        rows = await session.execute(
            select(
                UserObjectiveStats.objective,
                UserObjectiveStats.answered,
                UserObjectiveStats.correct,
            )
            .join(User, User.id == UserObjectiveStats.user_id)
            .where(User.discord_id == world.member(member))
        )
        return {str(o): (int(a), int(c)) for o, a, c in rows}


async def test_a_known_members_answers_are_stored_once_and_counted(
    world: World, backend: str
) -> None:
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1, 2, objective="2.1")  # both questions on 2.1
    right = await world.correct(quiz)
    wrong = "A" if right != "A" else "B"
    counted = {n: (await _objective_counts(world, n))["2.1"] for n in (1, 2)}
    assert counted[1][0] == counted[2][0] == 1
    before = _fast(batcher, backend)
    first, repeat, other = await together(
        batcher,
        world.click(quiz, 1, right),
        world.click(quiz, 1, wrong),
        world.click(quiz, 2, wrong),
    )
    (later,) = await together(batcher, world.click(quiz, 1, wrong))
    assert (first.letter, first.first_time, first.is_correct) == (right, True, True)
    assert (repeat.letter, repeat.first_time) == (right, False)
    assert (other.letter, other.first_time, other.is_correct) == (wrong, True, False)
    assert (later.letter, later.first_time, later.is_correct) == (right, False, True)
    assert await world.answers(quiz) == [(world.member(1), right), (world.member(2), wrong)]
    # the objective's counters moved once per stored answer, added to what was there
    assert await _objective_counts(world, 1) == {"2.1": (2, counted[1][1] + 1)}
    assert await _objective_counts(world, 2) == {"2.1": (2, counted[2][1])}
    if backend == "postgresql":  # all four went through the one-statement path
        assert _fast(batcher, backend) - before == 4 and batcher.fallbacks == 0
        assert batcher.fast is not None
        async with autocommit_connection(batcher.fast) as conn:  # planned once, not per click
            assert await conn.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"


async def test_a_known_member_is_turned_away_from_a_closed_question(
    world: World, backend: str
) -> None:
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1, 2, 3)
    late = Click(
        quiz.session_id, quiz.index, "A", world.member(1), "m", world.now + dt.timedelta(minutes=5)
    )
    old = world.click(quiz, 2, "B", index=quiz.index - 1)
    ahead = world.click(quiz, 3, "C", index=quiz.index + 1)
    before = (_fast(batcher, backend), await _objective_counts(world, 1))
    results = await together(batcher, late, old, ahead)
    assert all(isinstance(r, Conflict) and "Too late" in r.user_message for r in results)
    assert await world.answers(quiz) == []
    assert await _objective_counts(world, 1) == before[1]  # nothing counted
    if backend == "postgresql":
        assert _fast(batcher, backend) - before[0] == 3 and batcher.fallbacks == 0


async def test_a_known_member_of_an_ended_quiz_is_told_so(
    world: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_hooks(monkeypatch, passthrough=False)  # the stop finishes: keep boards untouched
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1)
    async with unit_of_work(world.sessions) as session:
        await svc.stop_quiz(
            session,
            channel_id=world.channel,
            requester_discord_id=world.member(99),
            can_manage=False,
            now=world.now,
        )
    before = _fast(batcher, backend)
    (result,) = await together(batcher, world.click(quiz, 1, "B"))
    assert isinstance(result, NotFound) and "ended" in result.user_message
    assert await world.answers(quiz) == []
    if backend == "postgresql":
        assert _fast(batcher, backend) - before == 1 and batcher.fallbacks == 0


async def test_a_known_members_closed_attempt_keeps_its_first_answer(
    world: World, backend: str
) -> None:
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1, 2)
    (kept,) = await together(batcher, world.click(quiz, 1, "D"))
    assert kept.first_time
    async with world.sessions.begin() as session:  # both attempts completed, quiz still on
        await session.execute(
            update(QuizAttempt)
            .where(
                QuizAttempt.user_id.in_(
                    select(User.id).where(User.discord_id.in_([world.member(1), world.member(2)]))
                )
            )
            .values(status="completed")
        )
    before = _fast(batcher, backend)
    again, closed = await together(batcher, world.click(quiz, 1, "A"), world.click(quiz, 2, "A"))
    assert (again.letter, again.first_time) == ("D", False)
    assert isinstance(closed, Conflict) and "already over" in closed.user_message
    assert await world.answers(quiz) == [(world.member(1), "D")]
    if backend == "postgresql":
        assert _fast(batcher, backend) - before == 2 and batcher.fallbacks == 0


async def test_a_removed_question_is_reported_to_a_known_member(world: World, backend: str) -> None:
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1)
    async with world.sessions.begin() as session:
        s = await session.get(QuizSession, quiz.session_id)
        assert s is not None
        await session.execute(delete(Question).where(Question.id == s.question_ids[quiz.index]))
    before = _fast(batcher, backend)
    (result,) = await together(batcher, world.click(quiz, 1, "A"))
    assert isinstance(result, NotFound) and "removed" in result.user_message
    if backend == "postgresql":
        assert _fast(batcher, backend) - before == 1 and batcher.fallbacks == 0


async def test_a_stale_cached_player_joins_again_and_is_stored(world: World, backend: str) -> None:
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1)
    key = (quiz.session_id, world.member(1))
    user_id, attempt_id = batcher.players[key]
    batcher.players[key] = (user_id, attempt_id + 1_000_000)  # e.g. the account was merged
    (ack,) = await together(batcher, world.click(quiz, 1, "C"))
    assert (ack.letter, ack.first_time) == ("C", True)
    assert batcher.players.get(key, (0, 0))[1] != attempt_id + 1_000_000
    assert batcher.fallbacks == 1  # found stale by the statement, answered on its own
    assert await world.answers(quiz) == [(world.member(1), "C")]


async def test_a_known_click_waits_for_a_finish_in_progress_and_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finish has counted the member's answers and not yet committed: the click waits
    (PostgreSQL: the one statement on the attempt's row lock; SQLite: on the one writer),
    then finds the quiz over and stores nothing, so stored answers and totals agree."""
    install_hooks(monkeypatch, passthrough=False)  # committed finish: keep boards untouched
    batcher = world.batcher()
    quiz = await _joined(world, batcher, 1)
    _, attempt_id = batcher.players[(quiz.session_id, world.member(1))]
    finishing = asyncio.Event()

    async def finish() -> int:
        async with unit_of_work(world.sessions) as session:
            result = await finish_attempt(session, attempt_id, world.now)
            finishing.set()
            await asyncio.sleep(0.3)  # the click arrives while this is uncommitted
            return result.answered

    async def click() -> Any:
        await finishing.wait()
        (result,) = await together(batcher, world.click(quiz, 1, "B"))
        return result

    answered, result = await asyncio.gather(finish(), click())
    assert isinstance(result, Conflict) and "already over" in result.user_message
    assert batcher.fallbacks == 0  # decided by the one statement
    async with world.sessions() as session:
        stored = await session.scalar(
            select(func.count()).where(UserAnswer.quiz_attempt_id == attempt_id)
        )
    assert stored == answered == 1
