"""One eligibility rule, two forms: the one-statement SQL path (``db.quiz.group_answers``,
PostgreSQL) and the Python rule every other path checks (``bot.quiz.rules``) agree, case by
case, on whether a member's click may be stored, and on whether it is stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.quiz import service as svc
from bot.quiz.rules import DEADLINE_GRACE, answer_refusal, attempt_accepts, on_screen
from db.engine import create_sessionmaker, unit_of_work
from db.models import Question, QuizAttempt, User, UserAnswer
from db.quiz.group_answers import KnownClick, record_known_clicks
from db.quiz.models import QuizSession
from tests.db.quiz.test_answer_batcher import World

pytestmark = pytest.mark.postgres_only  # the one-statement path exists on PostgreSQL only


@dataclasses.dataclass
class Case:
    quiz: svc.QuestionView
    click: KnownClick


Setup = Callable[["Table"], Awaitable[Case]]


@dataclasses.dataclass
class Table:
    world: World
    offset: int = 0

    async def quiz(self, *, mode: str = "group") -> svc.QuestionView:
        self.offset += 1
        return await self.world.start(mode=mode, offset=self.offset)

    async def player(self, quiz: svc.QuestionView, who: int) -> tuple[int, int]:
        async with unit_of_work(self.world.sessions) as session:
            return await svc.join_quiz(
                session,
                session_id=quiz.session_id,
                exam_type="security",
                question_count=3,
                guild_id=1,
                discord_id=self.world.member(who),
                display_name=f"member {who}",
                now=self.world.now,
            )

    async def deadline(self, quiz: svc.QuestionView) -> dt.datetime:
        async with self.world.sessions() as session:
            s = await session.get(QuizSession, quiz.session_id)
            if s is None or s.deadline_at is None:
                raise AssertionError("a group question has a deadline")
            return s.deadline_at

    def click(
        self, quiz: svc.QuestionView, player: tuple[int, int], *, at: dt.datetime, index: int = -1
    ) -> KnownClick:
        return KnownClick(
            session_id=quiz.session_id,
            index=quiz.index if index < 0 else index,
            letter="B",
            user_id=player[0],
            attempt_id=player[1],
            at=at,
        )

    async def normal(self, **kw: object) -> Case:
        quiz = await self.quiz(**kw)  # type: ignore[arg-type]
        return Case(quiz, self.click(quiz, await self.player(quiz, 1), at=self.world.now))


async def in_time(t: Table) -> Case:
    return await t.normal()


async def within_grace(t: Table) -> Case:
    case = await t.normal()
    at = await t.deadline(case.quiz) + DEADLINE_GRACE / 2
    return dataclasses.replace(case, click=dataclasses.replace(case.click, at=at))


async def late(t: Table) -> Case:
    case = await t.normal()
    at = await t.deadline(case.quiz) + DEADLINE_GRACE + dt.timedelta(seconds=1)
    return dataclasses.replace(case, click=dataclasses.replace(case.click, at=at))


async def another_question(t: Table) -> Case:
    case = await t.normal()
    return dataclasses.replace(case, click=dataclasses.replace(case.click, index=1))


async def repeat(t: Table) -> Case:
    case = await t.normal()
    async with unit_of_work(t.world.sessions) as session:
        await svc.answer(
            session,
            session_id=case.quiz.session_id,
            index=case.quiz.index,
            letter="A",
            discord_id=t.world.member(1),
            display_name="member 1",
            now=t.world.now,
        )
    return case


async def ended_quiz(t: Table) -> Case:
    case = await t.normal()
    async with unit_of_work(t.world.sessions) as session:
        await session.execute(
            update(QuizSession)
            .where(QuizSession.id == case.quiz.session_id)
            .values(status="finished")
        )
    return case


async def removed_question(t: Table) -> Case:
    case = await t.normal()
    async with unit_of_work(t.world.sessions) as session:
        s = await session.get(QuizSession, case.quiz.session_id)
        assert s is not None
        gone = s.question_ids[case.quiz.index]
        await session.execute(delete(UserAnswer).where(UserAnswer.question_id == gone))
        await session.execute(delete(Question).where(Question.id == gone))
    return case


async def another_members_attempt(t: Table) -> Case:
    case = await t.normal()
    other = await t.player(case.quiz, 2)
    return dataclasses.replace(case, click=dataclasses.replace(case.click, attempt_id=other[1]))


async def closed_attempt(t: Table) -> Case:
    case = await t.normal()
    async with unit_of_work(t.world.sessions) as session:
        await session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == case.click.attempt_id)
            .values(status="completed")
        )
    return case


async def solo_quiz(t: Table) -> Case:
    return await t.normal(mode="solo")


CASES: dict[str, tuple[Setup, bool]] = {
    "in time": (in_time, True),
    "within the grace after the deadline": (within_grace, True),
    "late": (late, False),
    "not the question asking": (another_question, False),
    "a repeat (the first answer counts)": (repeat, True),
    "ended quiz": (ended_quiz, False),
    "removed question": (removed_question, False),
    "another member's attempt": (another_members_attempt, False),
    "an attempt no longer in progress": (closed_attempt, False),
    "a solo quiz": (solo_quiz, False),
}


async def python_rule(session: AsyncSession, click: KnownClick) -> tuple[bool, bool]:
    """(may be stored, will be stored) by the Python rule, from what the database holds."""
    s = await session.get(QuizSession, click.session_id)
    qid = s.question_ids[s.current_index] if s is not None else None
    question = None if qid is None else await session.get(Question, qid)
    attempt = await session.get(QuizAttempt, click.attempt_id)
    refusal = answer_refusal(
        letter=click.letter,
        status=None if s is None else s.status,
        mode=None if s is None else s.mode,
        shown=s is not None
        and on_screen(
            index=click.index,
            current_index=s.current_index,
            phase=s.phase,
            deadline_at=s.deadline_at,
            at=click.at,
        ),
        question_gone=question is None,
    )
    eligible = refusal is None and attempt_accepts(
        attempt_user_id=None if attempt is None else attempt.user_id,
        attempt_status=None if attempt is None else attempt.status,
        user_id=click.user_id,
    )
    answered = qid is not None and (
        await session.execute(
            select(UserAnswer.id).where(
                UserAnswer.quiz_attempt_id == click.attempt_id, UserAnswer.question_id == qid
            )
        )
    ).first() is not None
    return eligible, eligible and not answered


@pytest.fixture
async def table(pg_engine: AsyncEngine) -> AsyncIterator[Table]:
    world = World(create_sessionmaker(pg_engine))
    yield Table(world)
    async with pg_engine.begin() as conn:
        await conn.execute(
            delete(QuizSession).where(
                QuizSession.channel_id.between(world.channel, world.channel + 20)
            )
        )
        await conn.execute(
            delete(User).where(User.discord_id.between(world.base, world.base + 255))
        )


@pytest.mark.parametrize("name", list(CASES))
async def test_the_sql_statement_and_the_python_rule_agree(
    name: str, table: Table, pg_engine: AsyncEngine
) -> None:
    setup, expected = CASES[name]
    case = await setup(table)
    async with table.world.sessions() as session:
        py_eligible, py_stored = await python_rule(session, case.click)
    async with pg_engine.connect() as conn:
        transaction = await conn.begin()
        [facts] = await record_known_clicks(conn, [case.click], DEADLINE_GRACE)
        await transaction.rollback()  # each case looks at the world as it was set up
    assert (facts.eligible, py_eligible) == (expected, expected), name
    assert (facts.inserted is not None) == py_stored, name
