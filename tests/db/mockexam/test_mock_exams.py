"""Mock exams on both databases: a sitting takes each domain's share of the bank, keeps its
answers and flags, ends exactly once (submitted, or timed out by the sweep), is recorded like
any finished quiz, and sends what was answered into the review deck."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.errors import NotAllowed
from bot.core.hooks import hooks
from bot.mockexam import service as svc
from bot.mockexam.rules import domain_counts
from db.exams import exams
from db.mockexam.models import MockExam, MockExamItem
from db.models import QuizAttempt, User, UserAnswer
from db.review.models import ReviewCard

NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
GRACE = 900_950


async def sit(
    session: AsyncSession,
    discord_id: int = GRACE,
    exam_type: str = "security",
    questions: int | None = None,
    now: dt.datetime = NOW,
) -> svc.QuestionScreen:
    screen = await svc.start(
        session,
        discord_id=discord_id,
        display_name="grace",
        exam_type=exam_type,
        questions=questions,
        now=now,
        rng=random.Random(discord_id),
    )
    assert isinstance(screen, svc.QuestionScreen)
    return screen


async def correct_letter(session: AsyncSession, exam_id: int, position: int) -> str:
    screen_item = await svc.mock_db.item(session, exam_id, position)
    assert screen_item is not None
    return screen_item.correct


def wrong(letter: str) -> str:
    return "A" if letter != "A" else "B"


async def user_id_of(session: AsyncSession, discord_id: int) -> int:
    return int(
        (await session.execute(select(User.id).where(User.discord_id == discord_id))).scalar_one()
    )


@pytest.mark.parametrize("exam_type", ["security", "network", "a1201", "a1202"])
async def test_a_full_sitting_takes_each_domains_share_of_the_exam(
    session: AsyncSession, exam_type: str
) -> None:
    screen = await sit(session, exam_type=exam_type)
    exam = exams()[exam_type]
    assert screen.sitting.questions == exam.max_questions == 90
    assert screen.sitting.ends_at - screen.sitting.started_at == dt.timedelta(minutes=90)
    domains = (
        await session.execute(
            select(MockExamItem.domain).where(MockExamItem.exam_id == screen.sitting.id)
        )
    ).scalars()
    assert dict(Counter(domains)) == domain_counts(exam, 90)
    assert screen.item.position == 0 and screen.answered == 0 and screen.item.chosen is None


async def test_a_shorter_practice_sitting_scales_the_clock(session: AsyncSession) -> None:
    screen = await sit(session, exam_type="network", questions=30)
    assert screen.sitting.questions == 30
    assert screen.sitting.time_limit_seconds == 30 * 60


async def test_answers_and_flags_are_kept_and_the_review_screen_lists_them(
    session: AsyncSession,
) -> None:
    s = await sit(session, questions=10)
    eid = s.sitting.id
    later = NOW + dt.timedelta(minutes=1)
    await svc.choose(session, eid, GRACE, 0, "B", later)
    changed = await svc.choose(session, eid, GRACE, 0, "C", later)  # an answer may change
    assert isinstance(changed, svc.QuestionScreen) and changed.item.chosen == "C"
    await svc.flag(session, eid, GRACE, 3, later)
    await svc.flag(session, eid, GRACE, 7, later)
    await svc.choose(session, eid, GRACE, 7, "A", later)
    unflagged = await svc.flag(session, eid, GRACE, 7, later)
    assert isinstance(unflagged, svc.QuestionScreen) and not unflagged.item.flagged
    await svc.flag(session, eid, GRACE, 7, later)
    review = await svc.review(session, eid, GRACE, 7, later)
    assert isinstance(review, svc.ReviewScreen)
    assert review.flagged == (3, 7)
    assert review.unanswered == (1, 2, 3, 4, 5, 6, 8, 9)
    assert review.answered == 2
    with pytest.raises(NotAllowed):  # a sitting is its member's alone
        await svc.choose(session, eid, GRACE + 1, 1, "A", later)


async def test_starting_again_resumes_the_running_sitting_with_its_answers_and_clock(
    session: AsyncSession,
) -> None:
    s = await sit(session, questions=20)
    await svc.choose(session, s.sitting.id, GRACE, 0, "D", NOW + dt.timedelta(minutes=2))
    await svc.show(session, s.sitting.id, GRACE, 5, NOW + dt.timedelta(minutes=3))
    again = await sit(session, questions=20, now=NOW + dt.timedelta(minutes=10))
    assert again.sitting.id == s.sitting.id
    assert again.item.position == 5 and again.answered == 1
    assert again.sitting.ends_at == s.sitting.ends_at  # the clock kept running
    assert again.notice is not None and "Resumed" in again.notice
    other = await svc.start(
        session,
        discord_id=GRACE,
        display_name="grace",
        exam_type="network",
        questions=None,
        now=NOW + dt.timedelta(minutes=11),
    )
    assert isinstance(other, svc.QuestionScreen) and other.sitting.id == s.sitting.id
    assert other.notice is not None and "already have a Security+" in other.notice


async def test_the_sweep_ends_a_timed_out_sitting_once_and_scores_what_was_answered(
    session: AsyncSession,
) -> None:
    s = await sit(session, questions=10)
    eid = s.sitting.id
    answered_at = NOW + dt.timedelta(minutes=3)
    right_at = {0, 1, 2}
    for position in range(5):  # 3 right, 2 wrong, 5 never answered
        key = await correct_letter(session, eid, position)
        letter = key if position in right_at else wrong(key)
        await svc.choose(session, eid, GRACE, position, letter, answered_at)
    sessions = async_sessionmaker(
        bind=session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    a_second_early = s.sitting.ends_at - dt.timedelta(seconds=1)
    assert await svc.end_expired(sessions, lambda: a_second_early) == []
    late = s.sitting.ends_at + dt.timedelta(seconds=25)
    ended = await svc.end_expired(sessions, lambda: late)
    assert [d for d, _ in ended] == [GRACE]
    result = ended[0][1]
    assert result.status == "timed_out" and result.just_ended
    assert (result.result.right, result.result.answered, result.result.questions) == (3, 5, 10)
    assert result.time_used_seconds == 10 * 60  # ended at its deadline, not when swept
    assert result.misses == (3, 4, 5, 6, 7, 8, 9)
    assert await svc.end_expired(sessions, lambda: late) == []  # exactly once

    row = await session.get(MockExam, eid, populate_existing=True)
    assert row is not None and row.status == "timed_out" and row.correct_count == 3
    assert row.scaled_score == result.result.scaled and row.passed is False
    user = await user_id_of(session, GRACE)
    attempt = (
        await session.execute(select(QuizAttempt).where(QuizAttempt.user_id == user))
    ).scalar_one()
    assert (attempt.total_questions, attempt.correct_answers, attempt.status) == (
        10,
        3,
        "completed",
    )
    stored = await session.scalar(
        select(func.count()).select_from(UserAnswer).where(UserAnswer.quiz_attempt_id == attempt.id)
    )
    assert stored == 5
    cards = (
        await session.execute(select(ReviewCard).where(ReviewCard.user_id == user))
    ).scalars().all()
    assert len(cards) == 5  # what was answered; never a question not seen
    misses = [c for c in cards if c.last_correct is False]
    rights = [c for c in cards if c.last_correct]
    assert len(misses) == 2 and max(c.due for c in misses) < min(c.due for c in rights)

    # a click on the old screen after the time-out shows the result, changes nothing
    click = await svc.choose(session, eid, GRACE, 6, "A", late)
    assert isinstance(click, svc.ResultScreen) and click.status == "timed_out"
    assert not click.just_ended and click.result.answered == 5


async def test_a_click_after_the_deadline_ends_the_sitting_itself(session: AsyncSession) -> None:
    s = await sit(session, questions=10)
    late = s.sitting.ends_at + dt.timedelta(seconds=1)
    screen = await svc.show(session, s.sitting.id, GRACE, 1, late)
    assert isinstance(screen, svc.ResultScreen)
    assert screen.status == "timed_out" and screen.just_ended and screen.result.answered == 0


async def test_submit_scores_once_and_every_answer_can_be_reviewed_afterwards(
    session: AsyncSession,
) -> None:
    s = await sit(session, exam_type="network", questions=10)
    eid = s.sitting.id
    at = NOW + dt.timedelta(minutes=4)
    for position in range(10):
        key = await correct_letter(session, eid, position)
        await svc.choose(session, eid, GRACE, position, key if position else wrong(key), at)
    done = await svc.submit(session, eid, GRACE, NOW + dt.timedelta(minutes=5))
    assert done.status == "submitted" and done.just_ended and done.practice is not None
    assert done.result.right == 9 and done.misses == (0,)
    assert done.time_used_seconds == 300 and done.practice.xp_gained > 0
    again = await svc.submit(session, eid, GRACE, NOW + dt.timedelta(minutes=6))
    assert not again.just_ended and again.result == done.result
    first = await svc.answer(session, eid, GRACE, 0, NOW + dt.timedelta(minutes=7))
    assert isinstance(first, svc.AnswerScreen) and not first.right
    assert first.item.chosen != first.item.correct
    assert all(first.item.options[letter]["explanation"] for letter in "ABCD")
    # a new sitting can start now that this one ended
    new = await sit(session, exam_type="network", questions=10, now=NOW + dt.timedelta(hours=1))
    assert new.sitting.id != eid


async def test_ended_sittings_are_pruned_after_the_retention(session: AsyncSession) -> None:
    old = await sit(session, discord_id=GRACE + 5, questions=10)
    await svc.submit(session, old.sitting.id, GRACE + 5, NOW + dt.timedelta(minutes=1))
    running = await sit(
        session, discord_id=GRACE + 5, questions=10, now=NOW + dt.timedelta(days=400)
    )
    later = NOW + dt.timedelta(days=400)
    assert await svc.prune(session, later, days=365) == 1
    assert await session.get(MockExam, old.sitting.id, populate_existing=True) is None
    left = await session.scalar(
        select(func.count()).select_from(MockExamItem).where(
            MockExamItem.exam_id == old.sitting.id
        )
    )
    assert left == 0
    assert await session.get(MockExam, running.sitting.id) is not None  # running: kept
    assert await svc.prune(session, later, days=365) == 0


async def test_linking_accounts_moves_the_sittings_to_the_kept_account(
    session: AsyncSession,
) -> None:
    ended = await sit(session, discord_id=GRACE + 7, questions=10)
    await svc.submit(session, ended.sitting.id, GRACE + 7, NOW + dt.timedelta(minutes=1))
    source = await user_id_of(session, GRACE + 7)
    target = (await sit(session, discord_id=GRACE + 8, questions=10)).sitting.id
    target_user = await user_id_of(session, GRACE + 8)
    await hooks.users_merged(session, source, target_user)
    moved = await session.get(MockExam, ended.sitting.id, populate_existing=True)
    assert moved is not None and moved.user_id == target_user
    kept = await session.get(MockExam, target, populate_existing=True)
    assert kept is not None and kept.status == "running"
