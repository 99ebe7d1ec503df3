"""Quiz sessions as a study group lives them, on both databases (no Discord involved)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import Conflict, NotAllowed, NotFound
from bot.quiz import service as svc
from db.models import QuizAttempt, User, UserAnswer, UserProfile

T0 = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
GUILD, CHANNEL = 111_000_000_000_000_001, 222_000_000_000_000_002
ALICE, BOB, CAROL = 900_001, 900_002, 900_003


async def start(
    session: AsyncSession,
    *,
    count: int = 3,
    channel: int = CHANNEL,
    mode: str = "group",
    guild: int | None = GUILD,
) -> svc.QuestionView:
    return await svc.start_quiz(
        session,
        host_discord_id=ALICE,
        host_name="alice",
        guild_id=guild,
        channel_id=channel,
        exam_type="security",
        objective=None,
        count=count,
        seconds=30,
        mode=mode,
        now=T0,
        rng=random.Random(7),
    )


async def click(
    session: AsyncSession, v: svc.QuestionView, who: int, letter: str, after: float = 2.0
) -> svc.AnswerAck:
    return await svc.answer(
        session,
        session_id=v.session_id,
        index=v.index,
        letter=letter,
        discord_id=who,
        display_name={ALICE: "alice", BOB: "bob", CAROL: "carol"}[who],
        now=T0 + dt.timedelta(seconds=after),
    )


async def key(session: AsyncSession, v: svc.QuestionView) -> str:
    from db.models import Question
    from db.quiz.models import QuizSession

    qs = await session.get(QuizSession, v.session_id)
    assert qs is not None
    q = await session.get(Question, qs.question_ids[v.index])
    assert q is not None
    return q.correct_answer


def wrong(letter: str) -> str:
    return "A" if letter != "A" else "B"


async def test_a_three_member_group_quiz_from_start_to_results(session: AsyncSession) -> None:
    v = await start(session)
    assert (v.number, v.total, v.mode) == (1, 3, "group")
    assert v.deadline == T0 + dt.timedelta(seconds=30)
    correct_counts = {ALICE: 0, BOB: 0, CAROL: 0}
    for _ in range(3):
        right = await key(session, v)
        assert (await click(session, v, ALICE, right, 1)).first_time
        await click(session, v, BOB, wrong(right), 3)
        await click(session, v, CAROL, right, 5)
        correct_counts[ALICE] += 1
        correct_counts[CAROL] += 1
        revealed = await svc.reveal(session, v.session_id, v.index)
        assert revealed is not None and revealed.correct == right
        assert revealed.answered == 3 and revealed.correct_names == ["alice", "carol"]
        assert revealed.fastest_name == "alice"
        assert sum(s.count for s in revealed.shares) == 3
        nxt = await svc.next_question(session, v.session_id, v.index, T0)
        if nxt is None:
            break
        v = nxt
    results = await svc.finish_quiz(session, v.session_id, T0 + dt.timedelta(minutes=2))
    assert results is not None
    assert [p.standing.name for p in results.players] == ["alice", "carol", "bob"]
    for p in results.players:
        assert p.result.finished and p.result.total_questions == 3
        assert p.result.correct_answers == correct_counts[p.discord_id]
        xp = (
            await session.execute(
                select(UserProfile.xp)
                .join(User, User.id == UserProfile.user_id)
                .where(User.discord_id == p.discord_id)
            )
        ).scalar_one()
        assert xp == p.result.total_xp
    # finishing again awards nothing
    assert await svc.finish_quiz(session, v.session_id, T0) is None


async def test_a_second_click_keeps_the_first_answer(session: AsyncSession) -> None:
    v = await start(session)
    first = await click(session, v, BOB, "C")
    second = await click(session, v, BOB, "A")
    assert first.first_time and (second.first_time, second.letter) == (False, "C")
    n = (
        select(func.count())
        .select_from(UserAnswer)
        .join(User, User.id == UserAnswer.user_id)
        .where(User.discord_id == BOB)
    )
    assert (await session.execute(n)).scalar_one() == 1


async def test_clicks_after_the_reveal_or_deadline_change_nothing(session: AsyncSession) -> None:
    v = await start(session)
    with pytest.raises(Conflict, match="closed"):
        await click(session, v, BOB, "A", after=45)
    await svc.reveal(session, v.session_id, v.index)
    with pytest.raises(Conflict, match="closed"):
        await click(session, v, CAROL, "A", after=3)
    attempts = (
        select(func.count())
        .select_from(QuizAttempt)
        .join(User, User.id == QuizAttempt.user_id)
        .where(User.discord_id.in_([BOB, CAROL]))
    )
    assert (await session.execute(attempts)).scalar_one() == 0


async def test_one_running_group_quiz_per_channel(session: AsyncSession) -> None:
    await start(session)
    with pytest.raises(Conflict, match="already running in this channel \\(started by alice\\)"):
        await start(session)
    await start(session, channel=CHANNEL + 1)  # another channel is fine
    await start(session, mode="solo")  # and solo practice is private, so also fine


async def test_only_the_host_or_a_moderator_stops_a_quiz(session: AsyncSession) -> None:
    v = await start(session)
    await click(session, v, BOB, "A")
    with pytest.raises(NotAllowed, match="Only alice"):
        await svc.stop_quiz(
            session, channel_id=CHANNEL, requester_discord_id=BOB, can_manage=False, now=T0
        )
    results = await svc.stop_quiz(
        session, channel_id=CHANNEL, requester_discord_id=BOB, can_manage=True, now=T0
    )
    assert results.stopped_early and [p.standing.name for p in results.players] == ["bob"]
    with pytest.raises(NotFound):
        await svc.stop_quiz(
            session, channel_id=CHANNEL, requester_discord_id=ALICE, can_manage=False, now=T0
        )


async def test_solo_practice_gives_feedback_at_once(session: AsyncSession) -> None:
    v = await start(session, mode="solo", guild=None, count=2)
    assert v.mode == "solo" and v.deadline is None
    right = await key(session, v)
    ack = await click(session, v, ALICE, right)
    assert ack.reveal is not None and ack.is_correct and ack.reveal.correct == right
    nxt = await svc.next_question(session, v.session_id, v.index, T0)
    assert nxt is not None and nxt.number == 2
    await click(session, nxt, ALICE, wrong(await key(session, nxt)))
    assert await svc.next_question(session, v.session_id, nxt.index, T0) is None
    results = await svc.finish_quiz(session, v.session_id, T0)
    assert results is not None and results.players[0].result.correct_answers == 1


async def test_questions_do_not_repeat_and_mix_domains(session: AsyncSession) -> None:
    from db.models import Question
    from db.quiz.models import QuizSession

    v = await start(session, count=10)
    qs = await session.get(QuizSession, v.session_id)
    assert qs is not None and len(set(qs.question_ids)) == 10
    domains = (
        (await session.execute(select(Question.domain).where(Question.id.in_(qs.question_ids))))
        .scalars()
        .all()
    )
    assert len({d.split(".")[0] for d in domains if d}) == 5
