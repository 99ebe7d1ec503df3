"""Study stats as a learner and as a question author see them, on PostgreSQL and SQLite."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput
from bot.profile.stats import question_difficulty, user_stats
from db.exams import exams
from db.leaderboards.queries import merge_users, record_answers_stats
from db.models import Question, User, UserAnswer, UserProfile

_names = itertools.count(1)
OPTIONS = {letter: {"text": letter, "explanation": "-"} for letter in "ABCD"}


async def learner(session: AsyncSession) -> int:
    n = next(_names)
    user_id = (
        await session.execute(
            insert(User)
            .values(email=f"learner{n}@example.test", username=f"learner{n}", hashed_password="!")
            .returning(User.id)
        )
    ).scalar_one()
    await session.execute(insert(UserProfile).values(user_id=user_id))
    return int(user_id)


async def answers(
    session: AsyncSession, user_id: int, exam_type: str, objective: str, right: int, wrong: int
) -> None:
    """What the answer recorder reports for ``right`` + ``wrong`` recorded answers."""
    rows = [(user_id, exam_type, objective, True)] * right
    rows += [(user_id, exam_type, objective, False)] * wrong
    await record_answers_stats(session, rows)


async def test_a_learner_sees_their_weakest_objectives_first(session: AsyncSession) -> None:
    me = await learner(session)
    await answers(session, me, "security", "1.1", right=3, wrong=1)  # 75 %
    await answers(session, me, "security", "1.2", right=0, wrong=2)  # 0 %
    await answers(session, me, "security", "2.1", right=5, wrong=0)  # 100 %
    await answers(session, me, "security", "2.2", right=1, wrong=3)  # 25 % of 4
    await answers(session, me, "security", "3.1", right=1, wrong=1)  # 50 %

    stats = await user_stats(session, me, "security")

    (sec,) = stats.exams
    assert [o.objective_id for o in sec.objectives] == ["1.2", "2.2", "3.1", "1.1", "2.1"]
    weakest = sec.objectives[0]
    assert weakest.title == exams()["security"].objective("1.2").title  # type: ignore[union-attr]
    assert (weakest.answered, weakest.correct, weakest.accuracy) == (2, 0, 0.0)
    assert weakest.domain == "1.0"
    assert (sec.answered, sec.correct) == (17, 10) and sec.accuracy == pytest.approx(10 / 17)
    by_domain = {d.number: (d.answered, d.correct) for d in sec.domains}
    assert by_domain["1.0"] == (6, 3) and by_domain["2.0"] == (9, 6) and by_domain["3.0"] == (2, 1)
    assert [d.number for d in sec.domains] == [d.number for d in exams()["security"].domains]
    assert "1.1" not in {o.id for o in sec.not_started}
    assert "1.3" in {o.id for o in sec.not_started}
    assert (stats.answered, stats.correct) == (17, 10)


async def test_equally_weak_objectives_put_the_most_practised_first(session: AsyncSession) -> None:
    me = await learner(session)
    await answers(session, me, "network", "1.10", right=1, wrong=1)
    await answers(session, me, "network", "1.2", right=1, wrong=1)
    await answers(session, me, "network", "1.9", right=2, wrong=2)

    (net,) = (await user_stats(session, me, "network")).exams

    assert [o.objective_id for o in net.objectives] == ["1.9", "1.2", "1.10"]


async def test_counts_add_up_across_quizzes_and_stay_per_learner(session: AsyncSession) -> None:
    me, you = await learner(session), await learner(session)
    await answers(session, me, "a1101", "1.1", right=1, wrong=0)
    await answers(session, me, "a1101", "1.1", right=0, wrong=1)
    await answers(session, you, "a1101", "1.1", right=7, wrong=0)
    await answers(session, me, "a1102", "2.1", right=2, wrong=0)

    mine = await user_stats(session, me, None)

    assert [e.exam_type for e in mine.exams] == ["a1101", "a1102"]
    assert [(o.objective_id, o.answered, o.correct) for o in mine.exams[0].objectives] == [
        ("1.1", 2, 1)
    ]
    assert (mine.answered, mine.correct) == (4, 3)


async def test_an_exam_without_answers_lists_everything_as_not_started(
    session: AsyncSession,
) -> None:
    me = await learner(session)

    stats = await user_stats(session, me, "a1102")
    everything = await user_stats(session, me, None)

    (core2,) = stats.exams
    assert core2.objectives == () and core2.answered == 0 and core2.accuracy == 0.0
    total = sum(len(d.objectives) for d in exams()["a1102"].domains)
    assert len(core2.not_started) == total
    assert everything.exams == ()


async def test_an_objective_missing_from_the_exam_outline_is_still_counted(
    session: AsyncSession,
) -> None:
    me = await learner(session)
    await record_answers_stats(
        session, [(me, "security", None, False), (me, "security", "9.9", True)]
    )

    (sec,) = (await user_stats(session, me, "security")).exams

    assert {(o.objective_id, o.title, o.domain) for o in sec.objectives} == {
        ("", "Unclassified", ""),
        ("9.9", "Unclassified", ""),
    }
    assert (sec.answered, sec.correct) == (2, 1)


async def test_a_merged_account_keeps_its_answer_counts(session: AsyncSession) -> None:
    web, discord = await learner(session), await learner(session)
    await answers(session, web, "security", "1.1", right=1, wrong=1)
    await answers(session, discord, "security", "1.1", right=2, wrong=0)
    await answers(session, discord, "security", "1.2", right=0, wrong=1)

    await merge_users(session, from_user_id=discord, into_user_id=web)

    (sec,) = (await user_stats(session, web, "security")).exams
    assert {(o.objective_id, o.answered, o.correct) for o in sec.objectives} == {
        ("1.1", 4, 3),
        ("1.2", 1, 0),
    }
    assert (await user_stats(session, discord, None)).exams == ()


async def test_unknown_exams_are_refused(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput):
        await user_stats(session, 1, "ccna")
    with pytest.raises(InvalidInput):
        await question_difficulty(session, "ccna", 10)


async def test_authors_see_the_hardest_questions_first(session: AsyncSession) -> None:
    """Share of correct answers per question, from the recorded answers; few answers hide it."""
    me = await learner(session)

    async def question(label: str, right: int, wrong: int, exam_type: str = "security") -> int:
        qid = (
            await session.execute(
                insert(Question)
                .values(
                    question_id=f"DIFF-{label}",
                    exam_type=exam_type,
                    domain="2.1",
                    question_text=f"Question {label}?",
                    correct_answer="A",
                    options=OPTIONS,
                )
                .returning(Question.id)
            )
        ).scalar_one()
        for is_correct in [True] * right + [False] * wrong:
            await session.execute(
                insert(UserAnswer).values(
                    user_id=me,
                    question_id=qid,
                    user_answer="A" if is_correct else "B",
                    correct_answer="A",
                    is_correct=is_correct,
                )
            )
        return int(qid)

    easy = await question("easy", right=9, wrong=1)
    hard = await question("hard", right=1, wrong=5)
    tricky = await question("tricky", right=2, wrong=3)
    tricky_too = await question("tricky-too", right=4, wrong=6)  # same 40 %, more answers
    await question("new", right=0, wrong=2)  # too few answers to judge
    await question("other-exam", right=0, wrong=9, exam_type="network")

    hardest = await question_difficulty(session, "security", 10)

    assert [q.question_id for q in hardest] == [hard, tricky_too, tricky, easy]
    assert hardest[0].external_id == "DIFF-hard" and hardest[0].objective == "2.1"
    assert (hardest[0].answered, hardest[0].correct) == (6, 1)
    assert hardest[0].share_correct == pytest.approx(1 / 6)
    assert [q.question_id for q in await question_difficulty(session, "security", 2)] == [
        hard,
        tricky_too,
    ]
    everything = await question_difficulty(session, None, 10, min_answers=2)
    assert everything[0].external_id == "DIFF-other-exam" and len(everything) == 6
