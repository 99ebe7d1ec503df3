"""Mock exams, the pure core: how long a sitting is, how many questions each domain gets, which
questions are drawn, and how a sitting is scored (docs/mock-exam.md). No database, no Discord.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.scoring import items_needed, passing_share, split_by_weight
from db.exams import Exam

MIN_QUESTIONS = 10
"""The shortest practice sitting."""
RECENT = dt.timedelta(days=30)
"""Questions answered anywhere within this window are drawn only when a domain runs out."""


def time_limit_seconds(exam: Exam, questions: int) -> int:
    """The exam's time limit, in proportion for a shorter sitting, rounded up to the minute:
    90 questions of a 90-minute exam get 90 minutes, 45 get 45, 20 get 20."""
    if not 0 < questions <= exam.max_questions:
        raise ValueError(f"a sitting has 1–{exam.max_questions} questions")
    minutes = math.ceil(exam.duration_minutes * questions / exam.max_questions)
    return minutes * 60


def domain_counts(exam: Exam, questions: int) -> dict[str, int]:
    """Questions per domain in proportion to the weights (largest remainder): 90 Security+
    questions are 11/20/16/25/18 for weights 12/22/18/28/20."""
    counts = split_by_weight(questions, [d.weight for d in exam.domains])
    return {d.number: n for d, n in zip(exam.domains, counts, strict=True)}


def fitting_length(exam: Exam, wanted: int, available: Mapping[str, int]) -> int:
    """The longest sitting of at most ``wanted`` questions whose domain split the bank can fill
    (a small bank shortens the sitting rather than bending the weights); 0 if none can."""
    for n in range(wanted, 0, -1):
        if all(available.get(d, 0) >= c for d, c in domain_counts(exam, n).items()):
            return n
    return 0


def draw(
    exam: Exam,
    questions: int,
    bank: Iterable[tuple[int, str]],
    recent: set[int],
    rng: random.Random,
) -> list[tuple[int, str]]:
    """(question id, domain) for each of ``questions`` items: each domain's share of the
    questions, preferring ones the member has not answered within ``RECENT``, in random order
    (a real exam mixes its domains)."""
    by_domain: dict[str, list[int]] = {}
    for qid, objective in bank:
        domain = exam.domain_of(objective)
        if domain is not None:
            by_domain.setdefault(domain.number, []).append(qid)
    drawn: list[tuple[int, str]] = []
    for number, count in domain_counts(exam, questions).items():
        pool = sorted(by_domain.get(number, []))
        rng.shuffle(pool)
        pool.sort(key=lambda qid: qid in recent)  # stable: fresh ones first, each shuffled
        if len(pool) < count:
            raise ValueError(f"domain {number} has {len(pool)} questions, {count} needed")
        drawn.extend((qid, number) for qid in pool[:count])
    rng.shuffle(drawn)
    return drawn


@dataclass(frozen=True, slots=True)
class DomainResult:
    number: str
    title: str
    weight: int
    asked: int
    right: int

    @property
    def share(self) -> float:
        return self.right / self.asked if self.asked else 0.0


@dataclass(frozen=True, slots=True)
class Result:
    questions: int
    answered: int
    right: int
    scaled: int
    """On the exam's scale, by the linear mapping (``bot.core.scoring``)."""
    passing_score: int
    passed: bool
    right_needed: int
    """Right answers out of ``questions`` the mapping needs for the passing score."""
    domains: tuple[DomainResult, ...]
    """In the exam's order."""

    @property
    def share(self) -> float:
        return self.right / self.questions if self.questions else 0.0


def score(exam: Exam, items: Sequence[tuple[str, bool | None]]) -> Result:
    """Score a sitting from its items' (domain, right?) — None: not answered, which counts as
    wrong, as on the real exam."""
    total = len(items)
    if total == 0:
        raise ValueError("a sitting has at least one question")
    right = sum(1 for _, ok in items if ok)
    answered = sum(1 for _, ok in items if ok is not None)
    domains = tuple(
        DomainResult(
            d.number,
            d.title,
            d.weight,
            asked=sum(1 for number, _ in items if number == d.number),
            right=sum(1 for number, ok in items if number == d.number and ok),
        )
        for d in exam.domains
    )
    needed = items_needed(exam.passing_score, exam.scale, total)
    return Result(
        questions=total,
        answered=answered,
        right=right,
        scaled=scaled_points(exam, right, total),
        passing_score=exam.passing_score,
        passed=right >= needed,
        right_needed=needed,
        domains=domains,
    )


def scaled_points(exam: Exam, right: int, total: int) -> int:
    """``right`` of ``total`` on the exam's scale, rounded down in whole points, so the score
    reaches the passing score exactly when ``right`` reaches the right answers it needs."""
    low, high = exam.scale
    return low + (high - low) * right // total


def passing_percent(exam: Exam) -> float:
    """The share right the passing score needs, in % (for the result's explanation)."""
    return 100 * passing_share(exam.passing_score, exam.scale)
