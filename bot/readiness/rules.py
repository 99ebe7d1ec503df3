"""Exam readiness, the pure core: from a member's answers, an estimated scaled score with a band,
the chance of passing, and each domain's estimate, weakest first (docs/readiness.md).

Method, in short:

* **Per domain, a posterior over θ**, the probability of answering an *exam-level* item of that
  domain right, on a fixed grid of ``GRID`` points in (0, 1). Each answer is a Bernoulli
  observation of a three-parameter logistic with a guessing floor: ``0.25 + 0.75·σ(η + shift)``
  where ``η`` puts exam-level items at θ and the shift depends on the item's difficulty (easy
  ``+0.8``, exam level ``0``, hard ``-0.8`` logits): a hard item answered right is stronger
  evidence of a high θ than an easy one, an easy item missed stronger evidence of a low θ.
  Each answer's log-likelihood is weighted by its recency, ``0.5 ** (age / 30 days)``;
  answers older than ``WINDOW`` are ignored.
* **Prior**: ``Beta(4·m, 4·(1 - m))``, where ``m`` is the posterior mean from the member's
  answers in their *other* domains (uniform prior there). A domain with few answers leans on
  the member's overall level instead of on an arbitrary 50 %; its own answers soon dominate.
* **Exam share** ``S = Σ w_d θ_d`` (weights normalised). The score maps it linearly on the
  exam's scale: ``100 + 800·S``. CompTIA publishes no raw-to-scaled mapping; this is an
  assumption (see the docs for what it implies).
* **Pass probability**: the exam's ``questions`` items are split over the domains by weight
  (largest remainder); each domain's count right is a mixture of binomials over its posterior;
  their convolution gives the exact distribution of the number right, hence
  ``P(scaled score ≥ passing)``, deterministically (no sampling).
* **Band**: the central 80 % credible interval of ``100 + 800·S`` (normal approximation from
  the domains' posterior variances, clamped to the scale).

Everything here is pure (no database, no Discord) and deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import cache

from bot.core import scoring
from db.exams import Exam

# --- tuning (each one justified in docs/readiness.md) --------------------------------------

HALF_LIFE_DAYS = 30.0
"""An answer's weight halves every 30 days: last week's answers say more about today."""
WINDOW = dt.timedelta(days=90)
"""Answers older than this (weight below 1/8) are ignored, and do not count toward the minimum."""
MIN_ANSWERS = 40
"""Answers needed overall (within ``WINDOW``) before a score is given."""
MIN_PER_DOMAIN = 5
"""Answers needed in every domain (within ``WINDOW``) before a score is given."""
DIFFICULTY_SHIFT: dict[int, float] = {1: 0.8, 2: 0.0, 3: -0.8}
"""Logit shift of an item's probability of success against an exam-level item, by difficulty
(1 easy, 2 exam level, 3 hard). Unknown difficulties count as exam level."""
GUESS = 0.25
"""Every CertQuest question has four options (A–D): a blind guess is right a quarter of the time."""
PRIOR_STRENGTH = 4.0
"""Pseudo-answers of the prior centred on the member's other domains."""
BAND = 0.80
"""Central probability of the score band."""
GRID = 200
"""Grid points of each domain's posterior over θ (midpoints of 200 equal cells of (0, 1))."""

_Z_BAND = 1.2815515655446004  # standard normal quantile of 0.90: a central 80 % interval


# --- the interface ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainSpec:
    number: str
    title: str
    weight: int
    """Weight in the exam, in %."""


@dataclass(frozen=True, slots=True)
class ExamSpec:
    exam_type: str
    code: str
    passing_score: int
    scale: tuple[int, int]
    questions: int
    domains: tuple[DomainSpec, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One answer of the member: the question's domain (``"3.0"``; an objective id such as
    ``"3.2"`` counts for its domain), right or wrong, when (aware), and the item's difficulty."""

    domain: str
    correct: bool
    answered_at: dt.datetime
    difficulty: int = 2
    """1 easy, 2 exam level, 3 hard."""


@dataclass(frozen=True, slots=True)
class DomainEstimate:
    number: str
    title: str
    weight: int
    answered: int
    """Answers of this domain within ``WINDOW``."""
    estimate: float
    """Posterior mean of θ: the expected share right on this domain's exam-level items."""
    low: float
    high: float
    """The central 80 % credible interval of θ."""
    shortfall: float
    """``weight/100 · (passing share - estimate)``: the share of the whole exam this domain
    costs against the passing line (negative: a surplus). The list is sorted on it."""


@dataclass(frozen=True, slots=True)
class Readiness:
    score: int
    """Estimated scaled score: ``scale low + (high - low) · expected exam share``."""
    band: tuple[int, int]
    """Central 80 % credible interval of the scaled score."""
    passing_score: int
    pass_probability: float
    """P(the scaled score of a real exam sitting reaches ``passing_score``), over the
    posterior and the luck of the draw of ``questions`` items."""
    domains: tuple[DomainEstimate, ...]
    """Weakest first (largest weighted shortfall against the passing share)."""
    share: float
    """Expected share right on the exam (0..1)."""
    passing_share: float
    """The share the linear mapping needs to reach ``passing_score``."""
    answers: int
    """Answers used (within ``WINDOW``, in the exam's domains)."""


@dataclass(frozen=True, slots=True)
class NotEnoughEvidence:
    missing: tuple[str, ...]
    """Plain sentences: ``"12 more answers overall"``, ``"domain 3.0 Hardware: 4 more answers"``."""


def spec_of(exam: Exam) -> ExamSpec:
    """The readiness view of a registry exam (``db.exams.exams()[...]``)."""
    return ExamSpec(
        exam_type=exam.exam_type,
        code=exam.code,
        passing_score=exam.passing_score,
        scale=exam.scale,
        questions=exam.max_questions,
        domains=tuple(DomainSpec(d.number, d.title, d.weight) for d in exam.domains),
    )


# --- the grid --------------------------------------------------------------------------------

_THETA: tuple[float, ...] = tuple((j + 0.5) / GRID for j in range(GRID))
_THETA_SQUARED: tuple[float, ...] = tuple(t * t for t in _THETA)
_LOG_THETA: tuple[float, ...] = tuple(math.log(t) for t in _THETA)
_LOG_1M_THETA: tuple[float, ...] = tuple(math.log1p(-t) for t in _THETA)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def success_probability(theta: float, difficulty: int) -> float:
    """P(right) on an item of ``difficulty`` for a learner with exam-level probability θ.

    Three-parameter logistic with a guessing floor ``GUESS``: above the floor,
    ``GUESS + (1 - GUESS)·σ(η + shift)`` where ``η`` puts exam-level items at θ. At or below the
    floor (a learner no better than chance) the item's difficulty tells nothing: θ itself."""
    shift = DIFFICULTY_SHIFT.get(difficulty, 0.0)
    if shift == 0.0 or theta <= GUESS:
        return theta
    above = (theta - GUESS) / (1.0 - GUESS)
    return GUESS + (1.0 - GUESS) * _sigmoid(math.log(above / (1.0 - above)) + shift)


@cache
def _log_likelihood_rows(difficulty: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """log P(right) and log P(wrong) at every grid point, for one difficulty."""
    p = [success_probability(t, difficulty) for t in _THETA]
    return tuple(math.log(x) for x in p), tuple(math.log1p(-x) for x in p)


_Tally = dict[tuple[int, bool], float]
"""Recency-weighted answers by (difficulty, correct)."""


def _log_likelihood(tally: _Tally) -> list[float]:
    """At every grid point, the recency-weighted log-likelihood of the answers."""
    out = [0.0] * GRID
    for (difficulty, correct), weight in sorted(tally.items()):
        if weight > 0.0:
            row = _log_likelihood_rows(difficulty)[0 if correct else 1]
            out = [o + weight * r for o, r in zip(out, row, strict=True)]
    return out


def _posterior(log_likelihood: Sequence[float], prior_a: float, prior_b: float) -> list[float]:
    """Normalised grid posterior from a Beta(prior_a, prior_b) prior and a log-likelihood."""
    a, b = prior_a - 1.0, prior_b - 1.0
    log_post = [
        ll + a * lt + b * l1
        for ll, lt, l1 in zip(log_likelihood, _LOG_THETA, _LOG_1M_THETA, strict=True)
    ]
    top = max(log_post)
    post = [math.exp(lp - top) for lp in log_post]
    total = math.fsum(post)
    return [p / total for p in post]


def _mean(post: Sequence[float]) -> float:
    total: float = sum(map(operator.mul, post, _THETA))
    return total


def _variance(post: Sequence[float], mean: float) -> float:
    second: float = sum(map(operator.mul, post, _THETA_SQUARED))
    return max(0.0, second - mean * mean)


def _quantile(post: Sequence[float], q: float) -> float:
    """The q-quantile of the grid posterior (mass spread evenly over each cell)."""
    cumulative = 0.0
    for j, p in enumerate(post):
        if cumulative + p >= q and p > 0.0:
            return (j + (q - cumulative) / p) / GRID
        cumulative += p
    return 1.0


@cache
def _binomial_columns(n: int) -> tuple[tuple[float, ...], ...]:
    """For k = 0..n right out of n items, the binomial probability at every grid point."""
    return tuple(
        tuple(math.comb(n, k) * t**k * (1.0 - t) ** (n - k) for t in _THETA) for k in range(n + 1)
    )


def _predictive(post: Sequence[float], n: int) -> list[float]:
    """The distribution of the number right out of ``n`` items of the domain: a mixture of
    binomials over the posterior (grid points of negligible mass skipped)."""
    support = [j for j, p in enumerate(post) if p >= 1e-14]
    first, last = support[0], support[-1] + 1
    weights = post[first:last]
    return [sum(map(operator.mul, weights, column[first:last])) for column in _binomial_columns(n)]


_NEGLIGIBLE = 1e-15
"""Probabilities below this are dropped from the ends of a count's distribution."""


def _trim(dist: Sequence[float]) -> tuple[int, list[float]]:
    """``dist`` without its negligible ends: (index of the first value kept, the values)."""
    kept = [k for k, p in enumerate(dist) if p >= _NEGLIGIBLE]
    if not kept:
        return 0, [0.0]
    return kept[0], list(dist[kept[0] : kept[-1] + 1])


def _convolve(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """The distribution of the sum of two independent counts."""
    out = [0.0] * (len(a) + len(b) - 1)
    width = len(b)
    for i, x in enumerate(a):
        out[i : i + width] = [o + x * y for o, y in zip(out[i : i + width], b, strict=True)]
    return out


# --- the exam's shape ------------------------------------------------------------------------


def items_per_domain(exam: ExamSpec) -> tuple[int, ...]:
    """The exam's ``questions`` items split over the domains by weight
    (``bot.core.scoring.split_by_weight``)."""
    if sum(d.weight for d in exam.domains) <= 0:
        raise ValueError(f"{exam.exam_type}: domain weights must add up to more than 0")
    return scoring.split_by_weight(exam.questions, [d.weight for d in exam.domains])


def passing_share(exam: ExamSpec) -> float:
    """The exam share the linear mapping needs for the passing score (750 on 100–900: 81.25 %)."""
    return scoring.passing_share(exam.passing_score, exam.scale)


def items_needed(exam: ExamSpec) -> int:
    """Items right out of ``questions`` for a scaled score of at least the passing score."""
    return scoring.items_needed(exam.passing_score, exam.scale, exam.questions)


def scaled(exam: ExamSpec, share: float) -> float:
    return scoring.scaled_score(share, exam.scale)


# --- the estimate ----------------------------------------------------------------------------


def _domain_of(numbers: Container[str], domain: str) -> str | None:
    """The exam's domain an answer counts for: its number, or an objective's (``3.2`` → ``3.0``)."""
    if domain in numbers:
        return domain
    prefix = domain.split(".", 1)[0] + ".0"
    return prefix if prefix in numbers else None


def _more(n: int) -> str:
    return f"{n} more answer{'s' if n != 1 else ''}"


def recency_weight(age: dt.timedelta) -> float:
    """``0.5 ** (age / half-life)``; an answer from the future (clock skew) counts as new."""
    days = max(0.0, age.total_seconds() / 86_400)
    return math.pow(0.5, days / HALF_LIFE_DAYS)


def estimate(
    exam: ExamSpec, evidence: Sequence[Evidence], now: dt.datetime
) -> Readiness | NotEnoughEvidence:
    """The member's readiness for ``exam`` from their answers, or what is missing for one."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be time-zone aware")
    tallies: dict[str, _Tally] = {d.number: {} for d in exam.domains}
    counts: dict[str, int] = dict.fromkeys(tallies, 0)
    for e in evidence:
        if e.answered_at.tzinfo is None or e.answered_at.utcoffset() is None:
            raise ValueError("answered_at must be time-zone aware")
        number = _domain_of(tallies, e.domain)
        age = now - e.answered_at
        if number is None or age > WINDOW:
            continue
        difficulty = e.difficulty if e.difficulty in DIFFICULTY_SHIFT else 2
        key = (difficulty, e.correct)
        tallies[number][key] = tallies[number].get(key, 0.0) + recency_weight(age)
        counts[number] += 1

    answers = sum(counts.values())
    missing: list[str] = []
    if answers < MIN_ANSWERS:
        missing.append(f"{_more(MIN_ANSWERS - answers)} overall")
    for d in exam.domains:
        if counts[d.number] < MIN_PER_DOMAIN:
            missing.append(
                f"domain {d.number} {d.title}: {_more(MIN_PER_DOMAIN - counts[d.number])}"
            )
    if missing:
        return NotEnoughEvidence(tuple(missing))

    # each domain's prior is centred on the member's level in the other domains
    likelihoods = {number: _log_likelihood(tally) for number, tally in tallies.items()}
    everything = [math.fsum(column) for column in zip(*likelihoods.values(), strict=True)]
    posteriors: dict[str, list[float]] = {}
    for d in exam.domains:
        own = likelihoods[d.number]
        others = [t - o for t, o in zip(everything, own, strict=True)]
        m = _mean(_posterior(others, 1.0, 1.0))
        posteriors[d.number] = _posterior(own, PRIOR_STRENGTH * m, PRIOR_STRENGTH * (1.0 - m))

    total_weight = sum(d.weight for d in exam.domains)
    target = passing_share(exam)
    tail = (1.0 - BAND) / 2
    share = 0.0
    variance = 0.0
    estimates: list[DomainEstimate] = []
    number_right = [1.0]  # P(floor + k right) at index k
    floor = 0
    for d, n_items in zip(exam.domains, items_per_domain(exam), strict=True):
        post = posteriors[d.number]
        mean = _mean(post)
        w = d.weight / total_weight
        share += w * mean
        variance += w * w * _variance(post, mean)
        estimates.append(
            DomainEstimate(
                number=d.number,
                title=d.title,
                weight=d.weight,
                answered=counts[d.number],
                estimate=mean,
                low=_quantile(post, tail),
                high=_quantile(post, 1.0 - tail),
                shortfall=w * (target - mean),
            )
        )
        offset, values = _trim(_predictive(post, n_items))
        floor += offset
        number_right = _convolve(number_right, values)

    p_pass = math.fsum(number_right[max(0, items_needed(exam) - floor) :])
    low, high = exam.scale
    spread = _Z_BAND * math.sqrt(variance)
    band_low = max(low, math.floor(scaled(exam, share - spread)))
    band_high = min(high, math.ceil(scaled(exam, share + spread)))
    score = round(scaled(exam, share))
    estimates.sort(key=lambda e: (-e.shortfall, e.estimate, e.number))
    return Readiness(
        score=score,
        band=(min(band_low, score), max(band_high, score)),
        passing_score=exam.passing_score,
        pass_probability=round(min(1.0, max(0.0, p_pass)), 6),
        domains=tuple(estimates),
        share=share,
        passing_share=target,
        answers=answers,
    )
