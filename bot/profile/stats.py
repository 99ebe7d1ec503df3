"""Study stats: accuracy per exam, domain and objective (weakest first), question difficulty.

A user's stats read ``user_objective_stats`` (answers counted per objective as they are
recorded): a few dozen rows whatever the number of answers. Question difficulty aggregates
``user_answers`` over the ``(question_id, is_correct)`` index: a report for the bank's authors,
not a hot path.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput
from bot.core.study import accuracy, weakest_first
from db.exams import Exam, Objective, exams
from db.leaderboards import queries

log = logging.getLogger(__name__)

UNCLASSIFIED = "Unclassified"
DEFAULT_MIN_ANSWERS = 5
"""Answers a question needs before its share of correct answers means something."""




@dataclass(frozen=True, slots=True)
class ObjectiveStats:
    objective_id: str
    title: str
    domain: str
    """Domain number such as ``"2.0"`` (``""`` when the objective is not in the exam)."""
    answered: int
    correct: int

    @property
    def accuracy(self) -> float:
        """Share of correct answers, 0.0–1.0 (0.0 when nothing was answered)."""
        return accuracy(self.answered, self.correct)


@dataclass(frozen=True, slots=True)
class DomainStats:
    number: str
    title: str
    weight: int
    """Percent of the exam, from the CompTIA objectives."""
    answered: int
    correct: int

    @property
    def accuracy(self) -> float:
        return accuracy(self.answered, self.correct)


@dataclass(frozen=True, slots=True)
class ExamStats:
    exam_type: str
    name: str
    answered: int
    correct: int
    domains: tuple[DomainStats, ...]
    """Every domain of the exam in exam order, answered or not."""
    objectives: tuple[ObjectiveStats, ...]
    """Answered objectives, weakest first: lowest accuracy, then most answered, then id."""
    not_started: tuple[Objective, ...]
    """Objectives of the exam without a single answer yet, in exam order."""

    @property
    def accuracy(self) -> float:
        return accuracy(self.answered, self.correct)


@dataclass(frozen=True, slots=True)
class UserStats:
    user_id: int
    answered: int
    correct: int
    exams: tuple[ExamStats, ...]
    """The exams asked for, or every exam with answers, in the objectives' exam order."""

    @property
    def accuracy(self) -> float:
        return accuracy(self.answered, self.correct)


@dataclass(frozen=True, slots=True)
class QuestionDifficulty:
    question_id: int
    """``questions.id``."""
    external_id: str | None
    """``questions.question_id``, the id in the CSV bank."""
    exam_type: str | None
    objective: str | None
    question_text: str
    answered: int
    correct: int

    @property
    def share_correct(self) -> float:
        return accuracy(self.answered, self.correct)


def exam_stats(exam: Exam, counts: Iterable[tuple[str, int, int]]) -> ExamStats:
    """Build one exam's stats from (objective, answered, correct) rows."""
    objectives: list[ObjectiveStats] = []
    by_domain: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for objective_id, answered, correct in counts:
        objective = exam.objective(objective_id)
        domain = exam.domain_of(objective_id)
        number = domain.number if domain and objective else ""
        title = objective.title if objective else UNCLASSIFIED
        objectives.append(ObjectiveStats(objective_id, title, number, answered, correct))
        by_domain[number][0] += answered
        by_domain[number][1] += correct
    objectives.sort(key=lambda o: weakest_first(o.objective_id, o.answered, o.correct))
    domains = tuple(
        DomainStats(d.number, d.title, d.weight, *by_domain.get(d.number, [0, 0]))
        for d in exam.domains
    )
    started = {o.objective_id for o in objectives if o.answered}
    return ExamStats(
        exam_type=exam.exam_type,
        name=exam.name,
        answered=sum(o.answered for o in objectives),
        correct=sum(o.correct for o in objectives),
        domains=domains,
        objectives=tuple(o for o in objectives if o.answered),
        not_started=tuple(o for d in exam.domains for o in d.objectives if o.id not in started),
    )


async def user_stats(session: AsyncSession, user_id: int, exam_type: str | None) -> UserStats:
    """A user's answers and accuracy per exam, domain and objective (weakest first).

    With ``exam_type`` that exam only (shown even without answers); otherwise every exam the
    user has answered questions of.
    """
    catalogue = exams()
    if exam_type is not None and exam_type not in catalogue:
        raise InvalidInput("Choose an exam: " + ", ".join(catalogue) + ".")
    rows: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for exam, objective, answered, correct in await queries.objective_counts(
        session, user_id, exam_type
    ):
        rows[exam].append((objective, answered, correct))
    wanted = [exam_type] if exam_type is not None else [e for e in catalogue if e in rows]
    per_exam = tuple(exam_stats(catalogue[e], rows.get(e, [])) for e in wanted)
    unknown = set(rows) - set(catalogue)
    if unknown:
        log.warning(
            "answers of unknown exam types",
            extra={"user_id": user_id, "exam_types": ",".join(sorted(unknown))},
        )
    return UserStats(
        user_id=user_id,
        answered=sum(e.answered for e in per_exam),
        correct=sum(e.correct for e in per_exam),
        exams=per_exam,
    )


async def question_difficulty(
    session: AsyncSession,
    exam_type: str | None,
    limit: int,
    *,
    min_answers: int = DEFAULT_MIN_ANSWERS,
) -> list[QuestionDifficulty]:
    """Questions of ``exam_type`` (all exams with None) with at least ``min_answers`` answers,
    hardest first: lowest share of correct answers, then the most answered."""
    if exam_type is not None and exam_type not in exams():
        raise InvalidInput("Choose an exam: " + ", ".join(exams()) + ".")
    if limit < 1 or min_answers < 1:
        raise InvalidInput("The limit and the minimum number of answers must be at least 1.")
    rows = await queries.difficulty_rows(session, exam_type, min_answers=min_answers, limit=limit)
    return [
        QuestionDifficulty(
            question_id=r.id,
            external_id=r.question_id,
            exam_type=r.exam_type,
            objective=r.objective,
            question_text=r.question_text,
            answered=r.answered,
            correct=r.correct,
        )
        for r in rows
    ]
