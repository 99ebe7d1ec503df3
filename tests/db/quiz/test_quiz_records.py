"""Quiz recording on PostgreSQL and SQLite: attempts, answers stored once, finishing once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.progression.levels import level_for
from bot.quiz.records import (
    AnswerInput,
    finish_attempt,
    record_answer,
    record_answers_bulk,
    start_attempt,
)
from db.models import QuizAttempt, UserAnswer, UserProfile
from tests.db.progression_helpers import (
    NOW,
    HookCalls,
    count,
    install_hooks,
    new_discord_id,
    play,
    questions,
)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> HookCalls:
    return install_hooks(monkeypatch)


async def new_user(session: AsyncSession, name: str = "Quizzer") -> int:
    return (await get_or_create_account(session, new_discord_id(), name)).user_id


async def profile(session: AsyncSession, user_id: int) -> UserProfile:
    row = await session.scalar(
        select(UserProfile)
        .where(UserProfile.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def attempt_row(session: AsyncSession, attempt_id: int) -> QuizAttempt | None:
    return await session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.id == attempt_id)
        .execution_options(populate_existing=True)
    )


async def test_a_started_quiz_is_in_progress_and_valid(session: AsyncSession) -> None:
    user = await new_user(session)
    attempt_id = await start_attempt(session, user, "network", 10, 1234, NOW)
    row = await attempt_row(session, attempt_id)
    assert row is not None
    assert (row.status, row.total_questions, row.correct_answers, row.score_percentage) == (
        "in_progress",
        10,
        0,
        0.0,
    )
    assert (row.guild_id, row.xp_earned, row.user_id) == (1234, 0, user)
    assert row.started_at is not None


async def test_a_quiz_needs_a_known_exam_and_at_least_one_question(
    session: AsyncSession,
) -> None:
    user = await new_user(session)
    with pytest.raises(InvalidInput):
        await start_attempt(session, user, "linux", 10, None, NOW)
    with pytest.raises(InvalidInput):
        await start_attempt(session, user, "security", 0, None, NOW)


async def test_an_answer_is_stored_at_once(session: AsyncSession, hooks: HookCalls) -> None:
    user = await new_user(session)
    (qid,) = await questions(session, 1)
    attempt = await start_attempt(session, user, "security", 1, None, NOW)
    outcome = await record_answer(session, attempt, user, qid, "C", "A", 12, NOW)
    assert (outcome.stored, outcome.user_answer, outcome.is_correct) == (True, "C", False)
    row = await session.scalar(select(UserAnswer).where(UserAnswer.quiz_attempt_id == attempt))
    assert row is not None
    assert (row.user_answer, row.correct_answer, row.is_correct, row.time_spent_seconds) == (
        "C",
        "A",
        False,
        12,
    )
    # the leaderboards module counted it per objective
    assert hooks.answer_stats == [[(user, "security", "1.1", False)]]


async def test_a_user_who_answers_twice_keeps_the_first_answer(
    session: AsyncSession, hooks: HookCalls
) -> None:
    user = await new_user(session)
    (qid,) = await questions(session, 1)
    attempt = await start_attempt(session, user, "security", 1, None, NOW)
    first = await record_answer(session, attempt, user, qid, "A", "A", 3, NOW)
    second = await record_answer(session, attempt, user, qid, "D", "A", 4, NOW)
    assert first.stored and first.is_correct
    assert (second.stored, second.user_answer, second.is_correct) == (False, "A", True)
    assert await count(session, UserAnswer, UserAnswer.quiz_attempt_id == attempt) == 1
    assert len(hooks.answer_stats) == 1  # the repeat was not counted again


async def test_a_batch_of_clicks_is_one_insert_with_per_answer_outcomes(
    session: AsyncSession, hooks: HookCalls
) -> None:
    alice, bob = await new_user(session, "Alice"), await new_user(session, "Bob")
    q1, q2, q3 = await questions(session, 3)
    a_att = await start_attempt(session, alice, "security", 3, None, NOW)
    b_att = await start_attempt(session, bob, "security", 3, None, NOW)
    await record_answer(session, a_att, alice, q1, "B", "A", 1, NOW)  # answered earlier

    def ans(att: int, user: int, qid: int, letter: str) -> AnswerInput:
        return AnswerInput(att, user, qid, letter, "A", 2, NOW)

    outcomes = await record_answers_bulk(
        session,
        [
            ans(a_att, alice, q1, "A"),  # repeat of an earlier answer
            ans(a_att, alice, q2, "A"),  # new
            ans(b_att, bob, q2, "C"),  # new, another quiz
            ans(a_att, alice, q2, "D"),  # repeat inside the same batch
            ans(b_att, alice, q3, "A"),  # not Alice's quiz
            ans(999_999, alice, q3, "A"),  # no such quiz
        ],
    )
    summary = [(o.stored, o.user_answer, o.is_correct, o.rejected) for o in outcomes]
    assert summary == [
        (False, "B", False, None),
        (True, "A", True, None),
        (True, "C", False, None),
        (False, "A", True, None),
        (False, "A", True, "not_your_quiz"),
        (False, "A", True, "no_such_quiz"),
    ]
    assert await count(session, UserAnswer, UserAnswer.quiz_attempt_id == a_att) == 2
    assert await count(session, UserAnswer, UserAnswer.quiz_attempt_id == b_att) == 1
    assert sorted(hooks.answer_stats[-1]) == sorted(
        [(alice, "security", "1.1", True), (bob, "security", "1.1", False)]
    )


async def test_answers_are_refused_once_the_quiz_is_over(session: AsyncSession) -> None:
    user = await new_user(session)
    other = await new_user(session, "Other")
    q1, q2 = await questions(session, 2)
    attempt = await start_attempt(session, user, "security", 2, None, NOW)
    await record_answer(session, attempt, user, q1, "A", "A", 3, NOW)
    with pytest.raises(NotAllowed):
        await record_answer(session, attempt, other, q2, "A", "A", 3, NOW)
    await finish_attempt(session, attempt, NOW)
    with pytest.raises(Conflict):
        await record_answer(session, attempt, user, q2, "A", "A", 3, NOW)
    # a late click on a question already answered just reports that answer
    late = await record_answer(session, attempt, user, q1, "C", "A", 3, NOW)
    assert (late.stored, late.user_answer) == (False, "A")
    with pytest.raises(NotFound):
        await record_answer(session, 987_654, user, q2, "A", "A", 3, NOW)


async def test_only_letters_a_to_d_and_non_negative_times(session: AsyncSession) -> None:
    user = await new_user(session)
    (qid,) = await questions(session, 1)
    attempt = await start_attempt(session, user, "security", 1, None, NOW)
    with pytest.raises(InvalidInput):
        await record_answer(session, attempt, user, qid, "E", "A", 3, NOW)
    with pytest.raises(InvalidInput):
        await record_answer(session, attempt, user, qid, "A", "A", -1, NOW)


async def test_finishing_computes_totals_xp_streak_and_announcements(
    session: AsyncSession, hooks: HookCalls
) -> None:
    user = await new_user(session)
    result = await play(session, user, [True] * 7 + [False] * 3, guild_id=42)
    assert result.finished
    assert (result.total_questions, result.answered, result.correct_answers) == (10, 10, 7)
    assert result.score_percentage == pytest.approx(70.0)
    assert result.time_taken_seconds == 50  # 10 answers x 5 s
    assert result.quiz_xp is not None and result.quiz_xp.total == 70  # first day: no bonus
    # First Steps (+25) is the only achievement a 70 % first quiz earns.
    assert [a.name for a in result.achievements] == ["First Steps"]
    assert (result.achievement_xp, result.xp_gained, result.total_xp) == (25, 95, 95)
    assert (result.old_level, result.new_level, result.level_ups) == (1, 1, ())
    assert (result.streak_before, result.streak_after, result.streak_grew) == (0, 1, True)

    p = await profile(session, user)
    assert (p.xp, p.level, p.total_exams_taken, p.total_questions_answered) == (95, 1, 1, 10)
    assert (p.study_streak_current, p.study_streak_longest) == (1, 1)
    assert p.last_activity_date == dt.date(2026, 3, 2)
    row = await attempt_row(session, result.attempt_id)
    assert row is not None
    assert (row.status, row.correct_answers, row.total_questions, row.xp_earned) == (
        "completed",
        7,
        10,
        95,
    )
    assert hooks.progress == [
        {
            "user_id": user,
            "guild_id": 42,
            "exam_type": "security",
            "xp_gained": 95,
            "total_xp": 95,
            "score_percentage": 70.0,
            "streak_current": 1,
            "when": NOW,
        }
    ]


async def test_a_second_finish_gets_the_result_without_awarding_again(
    session: AsyncSession, hooks: HookCalls
) -> None:
    user = await new_user(session)
    result = await play(session, user, [True, True, False])
    again = await finish_attempt(session, result.attempt_id, NOW)
    assert again.already_finished and not again.finished
    assert (again.xp_gained, again.achievements, again.total_xp) == (0, (), result.total_xp)
    assert (again.correct_answers, again.total_questions) == (2, 3)
    p = await profile(session, user)
    assert (p.xp, p.total_exams_taken) == (result.total_xp, 1)
    assert len(hooks.progress) == 1


async def test_a_quiz_with_no_answers_is_discarded(session: AsyncSession) -> None:
    user = await new_user(session)
    attempt = await start_attempt(session, user, "security", 5, None, NOW)
    result = await finish_attempt(session, attempt, NOW)
    assert result.discarded and result.xp_gained == 0 and result.streak is None
    assert await attempt_row(session, attempt) is None
    p = await profile(session, user)
    assert (p.xp, p.total_exams_taken, p.study_streak_current, p.last_activity_date) == (
        0,
        0,
        0,
        None,
    )
    with pytest.raises(NotFound):
        await finish_attempt(session, attempt, NOW)


async def test_unanswered_questions_count_as_asked_and_wrong(session: AsyncSession) -> None:
    user = await new_user(session)
    q1, q2 = await questions(session, 2)
    # planned 10 questions, 2 answered, stopped after 4 were shown
    attempt = await start_attempt(session, user, "security", 10, None, NOW)
    await record_answer(session, attempt, user, q1, "A", "A", 5, NOW)
    await record_answer(session, attempt, user, q2, "A", "A", 5, NOW)
    result = await finish_attempt(session, attempt, NOW, questions_asked=4)
    assert (result.total_questions, result.answered, result.correct_answers) == (4, 2, 2)
    assert result.score_percentage == 50.0 and not result.perfect
    assert result.quiz_xp is not None and result.quiz_xp.perfect_bonus == 0
    # by default the attempt's own total_questions is the number asked
    attempt2 = await start_attempt(session, user, "security", 3, None, NOW)
    (q3,) = await questions(session, 1)
    await record_answer(session, attempt2, user, q3, "A", "A", 5, NOW)
    await session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt2).values(total_questions=2)
    )
    result2 = await finish_attempt(session, attempt2, NOW)
    assert (result2.total_questions, result2.score_percentage) == (2, 50.0)
    p = await profile(session, user)
    assert p.total_questions_answered == 3  # answered, not asked


async def test_time_taken_falls_back_to_wall_clock(session: AsyncSession) -> None:
    user = await new_user(session)
    (qid,) = await questions(session, 1)
    attempt = await start_attempt(session, user, "security", 1, None, NOW)
    await record_answer(session, attempt, user, qid, "A", "A", None, NOW)
    result = await finish_attempt(session, attempt, NOW + dt.timedelta(seconds=95))
    assert result.time_taken_seconds == 95


async def test_a_perfect_quiz_unlocks_achievements_and_an_avatar(session: AsyncSession) -> None:
    user = await new_user(session)
    result = await play(session, user, [True] * 10)
    assert result.perfect
    assert result.quiz_xp is not None
    assert (result.quiz_xp.base, result.quiz_xp.perfect_bonus) == (100, 50)
    assert [a.name for a in result.achievements] == ["First Steps", "Perfectionist"]
    assert [(a.name, a.rarity) for a in result.avatars] == [("Firewall Falcon", "epic")]
    assert result.xp_gained == 150 + 25 + 75
    assert result.new_level == level_for(250) == 2 and result.level_ups == (2,)
    p = await profile(session, user)
    assert (p.xp, p.level) == (250, 2)


async def test_a_streak_grows_day_by_day_and_resets_after_a_missed_day(
    session: AsyncSession,
) -> None:
    user = await new_user(session)
    day = dt.timedelta(days=1)
    r1 = await play(session, user, [True], now=NOW)
    r2 = await play(session, user, [True], now=NOW + day)
    r3 = await play(session, user, [True], now=NOW + day + dt.timedelta(hours=2))
    r4 = await play(session, user, [True], now=NOW + 3 * day)
    assert [(r.streak_before, r.streak_after) for r in (r1, r2, r3, r4)] == [
        (0, 1),
        (1, 2),
        (2, 2),
        (2, 1),
    ]
    assert r2.streak_grew and r3.streak is not None and r3.streak.same_day
    assert r4.streak_reset
    # the day-2 quizzes earned the 2-day streak bonus (+5 %): 15 XP base+perfect -> 15
    assert r2.quiz_xp is not None and r2.quiz_xp.streak_bonus_percent == 5
    p = await profile(session, user)
    assert (p.study_streak_current, p.study_streak_longest) == (1, 2)
    assert p.last_activity_date == (NOW + 3 * day).date()


async def test_the_study_day_is_the_users_local_date(session: AsyncSession) -> None:
    user = await new_user(session)
    await session.execute(
        update(UserProfile).where(UserProfile.user_id == user).values(timezone="Asia/Kolkata")
    )
    late_evening = dt.datetime(2026, 3, 2, 18, 29, tzinfo=dt.UTC)  # 23:59 IST
    r1 = await play(session, user, [True], now=late_evening)
    r2 = await play(session, user, [True], now=late_evening + dt.timedelta(minutes=1))
    assert (r1.streak_after, r2.streak_after) == (1, 2)
    p = await profile(session, user)
    assert p.last_activity_date == dt.date(2026, 3, 3)
    # an explicit tz overrides the profile's: in UTC it is still the 2nd there
    r3 = await play(session, user, [True], now=late_evening + dt.timedelta(minutes=2), tz="UTC")
    assert r3.streak is not None and r3.streak.same_day
