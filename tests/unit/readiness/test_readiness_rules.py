"""Exam readiness (bot/readiness/rules.py), in a learner's words: it says what is missing instead
of guessing; every right answer helps and none hurts; what I did lately counts more than what I
did weeks ago; and when it says 70 %, about 70 % of learners like me would pass."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.readiness import SCENARIOS, pooled, run_exam
from bot.readiness.rules import (
    WINDOW,
    Evidence,
    ExamSpec,
    NotEnoughEvidence,
    Readiness,
    estimate,
    items_needed,
    items_per_domain,
    passing_share,
    recency_weight,
    spec_of,
)
from db.exams import current_exam_types, exams

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SECURITY = spec_of(exams()["security"])
NUMBERS = tuple(d.number for d in SECURITY.domains)


def answers(
    domain: str, right: int, wrong: int, days_ago: float = 1.0, difficulty: int = 2
) -> list[Evidence]:
    at = NOW - dt.timedelta(days=days_ago)
    return [Evidence(domain, True, at, difficulty) for _ in range(right)] + [
        Evidence(domain, False, at, difficulty) for _ in range(wrong)
    ]


def steady_learner(per_domain: int = 12, right_share: float = 0.75) -> list[Evidence]:
    right = round(per_domain * right_share)
    return [e for n in NUMBERS for e in answers(n, right, per_domain - right)]


def readiness(evidence: list[Evidence], exam: ExamSpec = SECURITY) -> Readiness:
    result = estimate(exam, evidence, NOW)
    assert isinstance(result, Readiness), result
    return result


# --- honesty: not enough evidence --------------------------------------------------------------


def test_a_newcomer_is_told_how_many_answers_are_missing_overall_and_in_every_domain() -> None:
    result = estimate(SECURITY, [], NOW)
    assert isinstance(result, NotEnoughEvidence)
    assert result.missing == (
        "40 more answers overall",
        "domain 1.0 General Security Concepts: 5 more answers",
        "domain 2.0 Threats, Vulnerabilities, and Mitigations: 5 more answers",
        "domain 3.0 Security Architecture: 5 more answers",
        "domain 4.0 Security Operations: 5 more answers",
        "domain 5.0 Security Program Management and Oversight: 5 more answers",
    )


def test_plenty_of_answers_but_one_neglected_domain_names_only_that_domain() -> None:
    evidence = [e for n in NUMBERS if n != "3.0" for e in answers(n, 10, 5)]
    evidence += answers("3.0", 1, 1)
    result = estimate(SECURITY, evidence, NOW)
    assert isinstance(result, NotEnoughEvidence)
    assert result.missing == ("domain 3.0 Security Architecture: 3 more answers",)


def test_every_domain_started_but_too_few_answers_overall_names_the_overall_shortfall() -> None:
    evidence = [e for n in NUMBERS for e in answers(n, 4, 3)]  # 35 answers, 7 per domain
    result = estimate(SECURITY, evidence, NOW)
    assert isinstance(result, NotEnoughEvidence)
    assert result.missing == ("5 more answers overall",)


def test_one_answer_short_is_said_in_the_singular() -> None:
    evidence = [e for n in NUMBERS for e in answers(n, 6, 2)][:39]  # 8, 8, 8, 8 and 7
    result = estimate(SECURITY, evidence, NOW)
    assert isinstance(result, NotEnoughEvidence)
    assert "1 more answer overall" in result.missing


def test_answers_older_than_the_window_no_longer_count() -> None:
    old = [e for n in NUMBERS for e in answers(n, 8, 4, days_ago=WINDOW.days + 1)]
    result = estimate(SECURITY, old, NOW)
    assert isinstance(result, NotEnoughEvidence)
    assert result.missing[0] == "40 more answers overall"
    assert isinstance(estimate(SECURITY, [*old, *steady_learner()], NOW), Readiness)


def test_at_the_minimum_a_score_comes_with_a_band_the_passing_line_and_a_chance() -> None:
    result = readiness(steady_learner(per_domain=8))
    assert result.answers == 40
    assert result.passing_score == 750
    assert 100 <= result.band[0] <= result.score <= result.band[1] <= 900
    assert 0.0 <= result.pass_probability <= 1.0
    assert [d.answered for d in sorted(result.domains, key=lambda d: d.number)] == [8] * 5
    for d in result.domains:
        assert 0.0 < d.low <= d.estimate <= d.high < 1.0


def test_answers_may_name_an_objective_and_count_for_its_domain() -> None:
    evidence = [
        Evidence(f"{n[0]}.{i % 3 + 1}", i % 4 != 0, NOW - dt.timedelta(days=2))
        for n in NUMBERS
        for i in range(9)
    ]
    assert readiness(evidence).answers == 45


def test_a_naive_time_is_refused() -> None:
    evidence = steady_learner()
    try:
        estimate(SECURITY, evidence, NOW.replace(tzinfo=None))
    except ValueError:
        pass
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("a naive 'now' was accepted")


# --- what the numbers say ----------------------------------------------------------------------


def test_the_weakest_domain_comes_first_with_what_it_costs_against_the_passing_line() -> None:
    evidence = [e for n in NUMBERS if n != "2.0" for e in answers(n, 18, 2)]
    evidence += answers("2.0", 9, 11)
    result = readiness(evidence)
    assert result.domains[0].number == "2.0"
    assert result.domains[0].shortfall > 0
    shortfalls = [d.shortfall for d in result.domains]
    assert shortfalls == sorted(shortfalls, reverse=True)


def test_a_strong_learner_is_likely_to_pass_and_a_weak_one_is_not() -> None:
    strong = readiness(steady_learner(per_domain=30, right_share=0.93))
    weak = readiness(steady_learner(per_domain=30, right_share=0.55))
    assert strong.score > 800 and strong.pass_probability > 0.9
    assert weak.score < 600 and weak.pass_probability < 0.01


def test_the_linear_mapping_puts_the_passing_lines_where_the_docs_say() -> None:
    registry = exams()
    assert passing_share(spec_of(registry["security"])) == 0.8125  # 750
    assert passing_share(spec_of(registry["network"])) == 0.775  # 720
    assert passing_share(spec_of(registry["a1202"])) == 0.75  # 700
    assert passing_share(spec_of(registry["a1201"])) == 0.71875  # 675
    assert items_needed(spec_of(registry["security"])) == 74  # of 90: 73.125 rounds up


def test_the_exam_s_items_are_split_over_the_domains_by_weight() -> None:
    for exam_type in current_exam_types(NOW.date()):
        exam = spec_of(exams()[exam_type])
        counts = items_per_domain(exam)
        assert sum(counts) == exam.questions
        for d, n in zip(exam.domains, counts, strict=True):
            assert abs(n - exam.questions * d.weight / 100) < 1


def test_harder_items_say_more_when_right_and_easier_ones_when_wrong() -> None:
    base = steady_learner()
    hard_right = readiness(base + answers("1.0", 6, 0, difficulty=3))
    easy_right = readiness(base + answers("1.0", 6, 0, difficulty=1))
    easy_wrong = readiness(base + answers("1.0", 0, 6, difficulty=1))
    hard_wrong = readiness(base + answers("1.0", 0, 6, difficulty=3))
    assert hard_right.share > easy_right.share
    assert easy_wrong.share < hard_wrong.share


# --- recency -----------------------------------------------------------------------------------


def test_an_answer_weighs_half_as_much_every_thirty_days() -> None:
    assert recency_weight(dt.timedelta(0)) == 1.0
    assert recency_weight(dt.timedelta(days=30)) == 0.5
    assert recency_weight(dt.timedelta(days=60)) == 0.25
    assert recency_weight(dt.timedelta(days=-1)) == 1.0  # a clock ahead counts as now


def test_what_i_got_right_lately_counts_more_than_what_i_got_wrong_long_ago() -> None:
    improving = [e for n in NUMBERS for e in answers(n, 8, 0, 2) + answers(n, 0, 8, 55)]
    slipping = [e for n in NUMBERS for e in answers(n, 8, 0, 55) + answers(n, 0, 8, 2)]
    assert readiness(improving).score > readiness(slipping).score
    assert readiness(improving).pass_probability > readiness(slipping).pass_probability


def test_an_old_miss_costs_less_than_a_fresh_one() -> None:
    base = steady_learner(right_share=0.85)
    fresh = readiness(base + answers("4.0", 0, 5, days_ago=0))
    old = readiness(base + answers("4.0", 0, 5, days_ago=60))
    assert old.share > fresh.share


# --- monotonic: a right answer never hurts -----------------------------------------------------


@st.composite
def evidence_sets(draw: st.DrawFn) -> list[Evidence]:
    """A learner's answers: at least 5 per domain and 40 overall, any mix, the last 90 days."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    per_domain = [draw(st.integers(5, 30)) for _ in NUMBERS]
    skill = {n: draw(st.floats(0.05, 0.98)) for n in NUMBERS}
    evidence = [
        Evidence(
            n,
            rng.random() < skill[n],
            NOW - dt.timedelta(days=rng.uniform(0, 89)),
            rng.choice((1, 2, 2, 3)),
        )
        for n, count in zip(NUMBERS, per_domain, strict=True)
        for _ in range(count)
    ]
    while len(evidence) < 40:
        evidence.append(Evidence(rng.choice(NUMBERS), rng.random() < 0.5, NOW, 2))
    return evidence


def at_least(after: Readiness, before: Readiness) -> bool:
    return after.score >= before.score and after.pass_probability >= before.pass_probability


@settings(max_examples=150, deadline=None)
@given(
    evidence=evidence_sets(),
    domain=st.sampled_from(NUMBERS),
    days_ago=st.floats(0, 89),
    difficulty=st.sampled_from((1, 2, 3)),
)
def test_one_more_right_answer_anywhere_never_lowers_the_score_or_the_chance(
    evidence: list[Evidence], domain: str, days_ago: float, difficulty: int
) -> None:
    before = readiness(evidence)
    extra = Evidence(domain, True, NOW - dt.timedelta(days=days_ago), difficulty)
    after = readiness([*evidence, extra])
    assert at_least(after, before)
    own = {d.number: d.estimate for d in before.domains}[domain]
    assert {d.number: d.estimate for d in after.domains}[domain] >= own


@settings(max_examples=150, deadline=None)
@given(evidence=evidence_sets(), pick=st.integers(0, 10_000))
def test_turning_a_wrong_answer_right_never_lowers_the_score_or_the_chance(
    evidence: list[Evidence], pick: int
) -> None:
    wrong = [i for i, e in enumerate(evidence) if not e.correct]
    if not wrong:
        return
    i = wrong[pick % len(wrong)]
    fixed = list(evidence)
    fixed[i] = Evidence(evidence[i].domain, True, evidence[i].answered_at, evidence[i].difficulty)
    assert at_least(readiness(fixed), readiness(evidence))


@settings(max_examples=100, deadline=None)
@given(evidence=evidence_sets(), domain=st.sampled_from(NUMBERS), days_ago=st.floats(0, 89))
def test_one_more_wrong_answer_never_raises_the_score_or_the_chance(
    evidence: list[Evidence], domain: str, days_ago: float
) -> None:
    before = readiness(evidence)
    after = readiness([*evidence, Evidence(domain, False, NOW - dt.timedelta(days=days_ago), 2)])
    assert at_least(before, after)


def test_monotonic_over_many_seeded_learners_of_every_current_exam() -> None:
    rng = random.Random(20260601)
    for exam_type in current_exam_types(NOW.date()):
        exam = spec_of(exams()[exam_type])
        numbers = [d.number for d in exam.domains]
        for _ in range(60):
            skill = rng.uniform(0.2, 0.97)
            evidence = [
                Evidence(n, rng.random() < skill, NOW - dt.timedelta(days=rng.uniform(0, 80)), 2)
                for n in numbers
                for _ in range(rng.randint(5, 25))
            ]
            evidence += [Evidence(numbers[0], True, NOW, 2)] * max(0, 40 - len(evidence))
            before = readiness(evidence, exam)
            extra = Evidence(rng.choice(numbers), True, NOW, rng.choice((1, 2, 3)))
            assert at_least(readiness([*evidence, extra], exam), before)


# --- calibration by simulation (bench/readiness.py) --------------------------------------------

TEST_LEARNERS = 700
"""Per current exam (2,800 learners, about 5 s), the bench's default ``steady`` population."""
MIN_DECILE_LEARNERS = 100
"""A decile is judged from 100 learners: one standard error is then at most 5 pp, so ±10 pp is
at least two. Smaller deciles (the middle ones at this size) are left to the full-size bench."""
MAE_BOUND = 32.0
"""Scaled points. docs/readiness.md measures 25–27 per exam at full size; at this size seeds
1–5 gave 23–28."""


def test_the_simulated_learners_pass_about_as_often_as_predicted_and_scores_are_close() -> None:
    reports = [
        run_exam(spec_of(exams()[exam_type]), TEST_LEARNERS, seed=1, pop=SCENARIOS["steady"])
        for exam_type in current_exam_types(NOW.date())
    ]
    everyone = pooled(reports)
    judged = everyone.judged(MIN_DECILE_LEARNERS)
    assert len(judged) >= 4, [d.learners for d in everyone.deciles()]
    for decile in judged:
        assert abs(decile.difference_pp) <= 10.0, decile
    for report in reports:
        assert report.mae < MAE_BOUND, (report.label, report.mae)
    assert everyone.mae < MAE_BOUND
