"""Mock exam rules, alone: the length and clock of a sitting, its questions per domain in
proportion to the weights, the draw, and the score on the exam's scale."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.mockexam.rules import (
    MIN_QUESTIONS,
    domain_counts,
    draw,
    fitting_length,
    score,
    time_limit_seconds,
)
from db.exams import exams

CURRENT = ("a1201", "a1202", "network", "security")


@pytest.mark.parametrize("exam_type", CURRENT)
def test_a_full_sitting_has_the_exams_length_and_clock(exam_type: str) -> None:
    exam = exams()[exam_type]
    assert exam.max_questions == 90 and exam.duration_minutes == 90
    assert time_limit_seconds(exam, 90) == 90 * 60
    assert time_limit_seconds(exam, 45) == 45 * 60  # a shorter practice: the clock in proportion
    assert time_limit_seconds(exam, 20) == 20 * 60
    with pytest.raises(ValueError, match="1–90"):
        time_limit_seconds(exam, 91)


@pytest.mark.parametrize("exam_type", CURRENT)
@pytest.mark.parametrize("questions", [90, 60, 45, 20, MIN_QUESTIONS])
def test_questions_per_domain_follow_the_weights(exam_type: str, questions: int) -> None:
    exam = exams()[exam_type]
    counts = domain_counts(exam, questions)
    assert sum(counts.values()) == questions
    total_weight = sum(d.weight for d in exam.domains)
    for d in exam.domains:
        exact = questions * d.weight / total_weight
        assert abs(counts[d.number] - exact) < 1, (d.number, counts[d.number], exact)


def test_security_plus_full_length_split_is_what_the_weights_say() -> None:
    # weights 12/22/18/28/20 of 90 → 10.8, 19.8, 16.2, 25.2, 18: largest remainders round up
    assert domain_counts(exams()["security"], 90) == {
        "1.0": 11,
        "2.0": 20,
        "3.0": 16,
        "4.0": 25,
        "5.0": 18,
    }


def test_a_small_bank_shortens_the_sitting_instead_of_bending_the_weights() -> None:
    exam = exams()["security"]
    plenty = {d.number: 100 for d in exam.domains}
    assert fitting_length(exam, 90, plenty) == 90
    short = {**plenty, "1.0": 5}  # 5 questions in a 12 % domain: at most ~45 questions
    n = fitting_length(exam, 90, short)
    assert domain_counts(exam, n)["1.0"] <= 5 < domain_counts(exam, n + 1)["1.0"]
    assert fitting_length(exam, 90, {}) == 0


def test_the_draw_takes_each_domains_share_and_prefers_questions_not_seen_lately() -> None:
    exam = exams()["network"]
    bank: list[tuple[int, str]] = []
    for d in exam.domains:
        objective = d.objectives[0].id
        bank += [(int(d.number[0]) * 1000 + i, objective) for i in range(40)]
    seen = {qid for qid, _ in bank if qid % 1000 < 30}  # 30 of every domain's 40 seen lately
    drawn = draw(exam, 45, bank, seen, random.Random(7))
    assert len(drawn) == 45 and len({qid for qid, _ in drawn}) == 45
    by_domain = Counter(domain for _, domain in drawn)
    assert dict(by_domain) == domain_counts(exam, 45)
    for number, count in by_domain.items():
        fresh = [q for q, d in drawn if d == number and q not in seen]
        assert len(fresh) == min(count, 10)  # the 10 fresh ones are taken first
    assert [d for _, d in drawn] != sorted(d for _, d in drawn)  # domains are mixed


def test_scoring_counts_unanswered_as_wrong_and_maps_onto_the_scale() -> None:
    exam = exams()["security"]  # passing 750 on 100–900: 81.25 % → 74 of 90
    items: list[tuple[str, bool | None]] = [("1.0", True)] * 74 + [("2.0", False)] * 6
    items += [("3.0", None)] * 10
    result = score(exam, items)
    assert (result.questions, result.answered, result.right) == (90, 80, 74)
    assert result.right_needed == 74 and result.passed
    assert result.scaled == 757  # 100 + 800 · 74/90 = 757.8, in whole points
    one_less = score(exam, [("1.0", True)] * 73 + [("1.0", False)] * 17)
    assert not one_less.passed and one_less.scaled < 750  # never "750 and failed"
    by_number = {d.number: d for d in result.domains}
    assert (by_number["1.0"].asked, by_number["1.0"].right) == (74, 74)
    assert (by_number["3.0"].asked, by_number["3.0"].right) == (10, 0)
    assert score(exam, [("1.0", True)] * 90).scaled == 900
    assert score(exam, [("1.0", None)] * 90).scaled == 100


@pytest.mark.parametrize("exam_type", sorted(exams()))
def test_the_passing_line_is_reached_exactly_at_the_right_answers_it_needs(
    exam_type: str,
) -> None:
    exam = exams()[exam_type]
    for n in (MIN_QUESTIONS, 45, 90):
        for right in range(n + 1):
            r = score(exam, [("1.0", True)] * right + [("1.0", False)] * (n - right))
            assert r.passed == (r.scaled >= exam.passing_score), (n, right)
