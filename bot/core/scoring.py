"""How an exam is shaped and scored, written once: the split of an exam's items over its
domains by weight, and the linear raw-to-scaled mapping (readiness and mock exams share both).

CompTIA publishes no raw-to-scaled mapping; CertQuest maps the share answered right linearly
onto the exam's scale (``docs/readiness.md`` says what that assumption implies).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def split_by_weight(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """``total`` items over parts of these weights, by largest remainder (ties to the earlier
    part): the counts add up to ``total`` and each is within one of its exact share."""
    if total < 0:
        raise ValueError("a split needs a total of at least 0")
    weight = sum(weights)
    if weight <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be at least 0 and add up to more than 0")
    exact = [total * w / weight for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return tuple(counts)


def scaled_score(share: float, scale: tuple[int, int]) -> float:
    """The share answered right (0..1) on the exam's scale: ``low + (high - low) · share``."""
    low, high = scale
    return low + (high - low) * share


def passing_share(passing_score: int, scale: tuple[int, int]) -> float:
    """The share the linear mapping needs for the passing score (750 on 100–900: 81.25 %)."""
    low, high = scale
    return (passing_score - low) / (high - low)


def items_needed(passing_score: int, scale: tuple[int, int], items: int) -> int:
    """Items right out of ``items`` for a scaled score of at least the passing score."""
    low, high = scale
    need = (passing_score - low) * items
    return -(-need // (high - low))
