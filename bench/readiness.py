"""Validate exam readiness (bot/readiness/rules.py) by simulation: synthetic learners with known
per-domain ability answer realistic question streams; the estimate is compared with the truth.

python -m bench.readiness                          # 20,000 learners per current exam, seed 1
python -m bench.readiness --learners 500 --seed 7 --exam security --scenario learning

Learners (numpy, seeded; deliberately *not* the estimator's own model, see docs/readiness.md):

* ability: an overall level ``mu ~ N(1.0, 1.2)`` logits (P(right) from about 40 % to 98 %,
  centred near the passing lines), each domain ``mu + s·N(0, 1)`` with an
  unevenness ``s ~ U(0.1, 1.0)``, and for 30 % of learners one weak domain a further
  ``U(0.5, 2.5)`` logits lower; P(right) = ``0.25 + 0.75·σ(ability + item offset)`` (four
  options: the estimator models this floor too, but not the rest);
* scenario ``steady`` (the default): the ability holds still over the 60 days; scenario
  ``learning``: the ability ``age`` days ago was ``gain·age/60`` logits lower,
  ``gain ~ U(-0.3, 1.0)`` (most improve, some forget); the truth is today's ability;
  scenario ``borderline``: steady, with ``mu ~ N(1.0, 0.5)`` (crowded near the passing lines);
* streams: ``U(40, 400)`` answers on a log scale, spread uniformly over the last 60 days, over
  the domains by ``Dirichlet(50·weights)`` (roughly the weights, uneven per learner);
  difficulty mix ``Dirichlet(2, 4, 2)`` of easy / exam level / hard, where the bank's easy and
  hard items sit ``U(0.4, 1.3)`` logits either side of exam level for this learner (the
  estimator assumes 0.8) and every item has its own ``N(0, 0.3)`` logit offset;
* truth: the expected exam share ``Σ w_d p_d`` with ``p_d`` the mean P(right) over exam-level
  items (exact by Gauss–Hermite), mapped like the estimator (``100 + 800·share``); and one real
  sitting: ``questions`` items split by weight, each right with its own probability;
  the learner truly passes when that sitting reaches the passing score.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from bot.readiness.rules import (
    Evidence,
    ExamSpec,
    NotEnoughEvidence,
    estimate,
    items_needed,
    items_per_domain,
    scaled,
    spec_of,
)
from db.exams import current_exam_types, exams

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAYS = 60
GUESS = 0.25
ITEM_SD = 0.3
LEARNERS = 20_000
"""Per exam: enough that every decile of predicted pass probability holds a few hundred
learners, so sampling error (about 2 pp there) is small against the ±10 pp tolerance."""
TOLERANCE_PP = 10.0
MIN_DECILE = 100
"""Deciles with fewer learners are shown but not judged (their sampling error alone is large)."""

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


@dataclass(frozen=True, slots=True)
class Population:
    """The synthetic learners' shape (module docstring)."""

    level_mean: float = 1.0
    level_sd: float = 1.2
    unevenness: tuple[float, float] = (0.1, 1.0)
    weak_domain_share: float = 0.3
    weak_domain_drop: tuple[float, float] = (0.5, 2.5)
    gain: tuple[float, float] = (0.0, 0.0)
    """Logits of ability gained over the 60 days (negative: forgotten); 0: steady ability."""
    guess: float = GUESS
    level_offset: tuple[float, float] = (0.4, 1.3)
    item_sd: float = ITEM_SD


SCENARIOS: dict[str, Population] = {
    # the learners: a known ability that holds still while they answer
    "steady": Population(),
    # learners who improve (most) or forget (some) while they answer: what recency weighting
    # is for, and where a monotone estimate lags the truth
    "learning": Population(gain=(-0.3, 1.0)),
    # steady learners crowded near the passing lines: every decile of predicted pass
    # probability fills up, so calibration is judged where it matters (the test's population)
    "borderline": Population(level_sd=0.5),
}


@dataclass(frozen=True, slots=True)
class Learner:
    evidence: tuple[Evidence, ...]
    true_ability: tuple[float, ...]
    """Per domain, today's mean P(right) on exam-level items."""
    true_share: float
    true_scaled: float
    passes: bool
    """One simulated real sitting reached the passing score."""


def simulate_learner(
    exam: ExamSpec, rng: np.random.Generator, pop: Population = Population()
) -> Learner:
    k = len(exam.domains)
    weights = np.array([d.weight for d in exam.domains], dtype=float)
    weights /= weights.sum()

    def p_right(logit: np.ndarray) -> np.ndarray:
        return pop.guess + (1.0 - pop.guess) * _sigmoid(logit)

    mu = rng.normal(pop.level_mean, pop.level_sd)
    eta_now = mu + rng.uniform(*pop.unevenness) * rng.standard_normal(k)
    if rng.random() < pop.weak_domain_share:
        eta_now[rng.integers(k)] -= rng.uniform(*pop.weak_domain_drop)
    gain = rng.uniform(*pop.gain)

    total = round(math.exp(rng.uniform(math.log(40), math.log(400))))
    per_domain = rng.multinomial(total, rng.dirichlet(50.0 * weights))
    domain = np.repeat(np.arange(k), per_domain)
    level = rng.choice(3, size=total, p=rng.dirichlet([2.0, 4.0, 2.0]))  # 0 easy 1 exam 2 hard
    shifts = np.array([rng.uniform(*pop.level_offset), 0.0, -rng.uniform(*pop.level_offset)])
    age = rng.uniform(0.0, DAYS, size=total)
    noise = pop.item_sd * rng.standard_normal(total)
    logit = eta_now[domain] - gain * age / DAYS + shifts[level] + noise
    correct = rng.random(total) < p_right(logit)
    numbers = [d.number for d in exam.domains]
    evidence = tuple(
        Evidence(
            domain=numbers[int(d)],
            correct=bool(c),
            answered_at=NOW - dt.timedelta(days=float(a)),
            difficulty=int(lv) + 1,
        )
        for d, c, a, lv in zip(domain, correct, age, level, strict=True)
    )

    ability = p_right(eta_now[:, None] + pop.item_sd * _NODES[None, :]) @ _WEIGHTS
    share = float(weights @ ability)
    counts = np.array(items_per_domain(exam))
    exam_domain = np.repeat(np.arange(k), counts)
    sitting = p_right(eta_now[exam_domain] + pop.item_sd * rng.standard_normal(exam.questions))
    right = int((rng.random(exam.questions) < sitting).sum())
    return Learner(
        evidence=evidence,
        true_ability=tuple(float(a) for a in ability),
        true_share=share,
        true_scaled=scaled(exam, share),
        passes=right >= items_needed(exam),
    )


@dataclass(frozen=True, slots=True)
class DecileRow:
    low: float
    high: float
    learners: int
    mean_predicted: float
    share_passing: float

    @property
    def difference_pp(self) -> float:
        return 100.0 * (self.share_passing - self.mean_predicted)

    @property
    def standard_error_pp(self) -> float:
        p = self.mean_predicted
        return 100.0 * math.sqrt(max(p * (1 - p), 1e-9) / max(self.learners, 1))


@dataclass(frozen=True, slots=True)
class Report:
    """One exam's (or a pooled) comparison of estimates with the truth."""

    label: str
    learners: int
    not_enough: int
    errors: tuple[float, ...]
    """Estimated minus true expected scaled score, per scored learner."""
    answers: tuple[int, ...]
    covered: tuple[bool, ...]
    """The band contains the true expected scaled score."""
    predicted: tuple[float, ...]
    passed: tuple[bool, ...]
    seconds: float

    @property
    def scored(self) -> int:
        return len(self.errors)

    @property
    def mae(self) -> float:
        return float(np.abs(self.errors).mean()) if self.errors else math.nan

    @property
    def rmse(self) -> float:
        return float(np.sqrt(np.square(self.errors).mean())) if self.errors else math.nan

    @property
    def bias(self) -> float:
        return float(np.mean(self.errors)) if self.errors else math.nan

    @property
    def band_coverage(self) -> float:
        return float(np.mean(self.covered)) if self.covered else math.nan

    @property
    def brier(self) -> float:
        p, y = np.asarray(self.predicted), np.asarray(self.passed, dtype=float)
        return float(np.square(p - y).mean()) if self.predicted else math.nan

    def mae_by_size(self) -> tuple[tuple[str, int, float], ...]:
        err, size = np.abs(np.asarray(self.errors)), np.asarray(self.answers)
        rows = []
        for lo, hi in SIZES:
            mask = (size >= lo) & (size <= hi)
            rows.append(
                (f"{lo}–{hi}", int(mask.sum()), float(err[mask].mean()) if mask.any() else 0.0)
            )
        return tuple(rows)

    def deciles(self) -> tuple[DecileRow, ...]:
        return calibration(self.predicted, self.passed)

    def judged(self, min_learners: int = MIN_DECILE) -> tuple[DecileRow, ...]:
        return tuple(r for r in self.deciles() if r.learners >= min_learners)

    def worst_difference_pp(self, min_learners: int = MIN_DECILE) -> float:
        return max((abs(r.difference_pp) for r in self.judged(min_learners)), default=0.0)

    def calibrated(self, min_learners: int = MIN_DECILE) -> bool:
        return self.worst_difference_pp(min_learners) <= TOLERANCE_PP


def pooled(reports: Sequence[Report], label: str = "all exams") -> Report:
    return Report(
        label=label,
        learners=sum(r.learners for r in reports),
        not_enough=sum(r.not_enough for r in reports),
        errors=tuple(x for r in reports for x in r.errors),
        answers=tuple(x for r in reports for x in r.answers),
        covered=tuple(x for r in reports for x in r.covered),
        predicted=tuple(x for r in reports for x in r.predicted),
        passed=tuple(x for r in reports for x in r.passed),
        seconds=sum(r.seconds for r in reports),
    )


def calibration(predicted: Sequence[float], passed: Sequence[bool]) -> tuple[DecileRow, ...]:
    """Learners by decile of predicted pass probability: the share that truly passed."""
    p = np.asarray(predicted, dtype=float)
    y = np.asarray(passed, dtype=float)
    index = np.minimum((p * 10).astype(int), 9)
    rows = []
    for i in range(10):
        mask = index == i
        n = int(mask.sum())
        rows.append(
            DecileRow(
                low=i / 10,
                high=(i + 1) / 10,
                learners=n,
                mean_predicted=float(p[mask].mean()) if n else 0.0,
                share_passing=float(y[mask].mean()) if n else 0.0,
            )
        )
    return tuple(rows)


SIZES = ((40, 99), (100, 199), (200, 400))


def run_exam(exam: ExamSpec, learners: int, seed: int, pop: Population = Population()) -> Report:
    """Simulate ``learners`` learners of ``exam`` and compare the estimates with the truth."""
    started = time.perf_counter()
    rng = np.random.default_rng([seed, sum(map(ord, exam.exam_type))])
    errors: list[float] = []
    answers: list[int] = []
    covered: list[bool] = []
    predicted: list[float] = []
    passed: list[bool] = []
    not_enough = 0
    for _ in range(learners):
        learner = simulate_learner(exam, rng, pop)
        result = estimate(exam, learner.evidence, NOW)
        if isinstance(result, NotEnoughEvidence):
            not_enough += 1
            continue
        errors.append(result.score - learner.true_scaled)
        answers.append(result.answers)
        covered.append(result.band[0] <= learner.true_scaled <= result.band[1])
        predicted.append(result.pass_probability)
        passed.append(learner.passes)
    return Report(
        label=f"{exam.exam_type} ({exam.code}): passing {exam.passing_score}, "
        f"{exam.questions} items",
        learners=learners,
        not_enough=not_enough,
        errors=tuple(errors),
        answers=tuple(answers),
        covered=tuple(covered),
        predicted=tuple(predicted),
        passed=tuple(passed),
        seconds=time.perf_counter() - started,
    )


def print_report(report: Report) -> None:
    out(f"## {report.label}")
    out()
    out(
        "| learners | not enough evidence | scored | MAE | RMSE | bias "
        "| band covers truth | Brier |"
    )
    out("|---:|---:|---:|---:|---:|---:|---:|---:|")
    out(
        f"| {report.learners:,} | {report.not_enough:,} | {report.scored:,} | {report.mae:.1f} "
        f"| {report.rmse:.1f} | {report.bias:+.1f} | {100 * report.band_coverage:.1f} % "
        f"| {report.brier:.3f} |"
    )
    out()
    out("| answers | learners | MAE (scaled points) |")
    out("|---|---:|---:|")
    for label, n, mae in report.mae_by_size():
        out(f"| {label} | {n:,} | {mae:.1f} |")
    out()
    out(
        "| predicted pass probability | learners | mean predicted | truly pass "
        "| difference | 1 SE |"
    )
    out("|---|---:|---:|---:|---:|---:|")
    for r in report.deciles():
        if r.learners == 0:
            out(f"| {100 * r.low:.0f}–{100 * r.high:.0f} % | 0 | | | | |")
            continue
        mark = "" if r.learners >= MIN_DECILE else " (not judged)"
        out(
            f"| {100 * r.low:.0f}–{100 * r.high:.0f} % | {r.learners:,} "
            f"| {100 * r.mean_predicted:.1f} % | {100 * r.share_passing:.1f} % "
            f"| {r.difference_pp:+.1f} pp{mark} | {r.standard_error_pp:.1f} pp |"
        )
    out()
    verdict = "yes" if report.calibrated() else "NO"
    out(
        f"Worst judged decile (≥ {MIN_DECILE} learners): {report.worst_difference_pp():.1f} pp; "
        f"within ±{TOLERANCE_PP:.0f} pp: {verdict}. ({report.seconds:.1f} s)"
    )
    out()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=LEARNERS, help="per exam")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--exam", action="append", help="exam type (default: every current one)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="steady")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args(argv)
    registry = exams()
    types = args.exam or list(current_exam_types(NOW.date()))
    pop = SCENARIOS[args.scenario]
    out(
        f"# Readiness simulation: {args.learners:,} learners per exam, seed {args.seed}, "
        f"scenario {args.scenario}"
    )
    out()
    specs = [spec_of(registry[t]) for t in types]
    n = len(specs)
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, n))) as pool:
        reports = list(pool.map(run_exam, specs, [args.learners] * n, [args.seed] * n, [pop] * n))
    for report in reports:
        print_report(report)
    if len(reports) > 1:
        print_report(pooled(reports))
    out("## Summary")
    out()
    out(
        "| exam | scored | MAE | RMSE | bias | band covers truth "
        "| worst judged decile | within ±10 pp |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in [*reports, *([pooled(reports)] if len(reports) > 1 else [])]:
        out(
            f"| {r.label.split(':')[0]} | {r.scored:,} | {r.mae:.1f} | {r.rmse:.1f} "
            f"| {r.bias:+.1f} | {100 * r.band_coverage:.1f} % | {r.worst_difference_pp():.1f} pp "
            f"| {'yes' if r.calibrated() else 'NO'} |"
        )
    return 0 if all(r.calibrated() for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
