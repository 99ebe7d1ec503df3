"""Study rules every feature that reads accuracy shares: what "weakest first" means."""

from __future__ import annotations

import re


def accuracy(answered: int, correct: int) -> float:
    return correct / answered if answered else 0.0


def objective_order(objective_id: str) -> tuple[int, ...]:
    """Sort key: 1.10 after 1.9; ids that are not dotted numbers last."""
    if re.fullmatch(r"\d+(\.\d+)*", objective_id):
        return tuple(int(p) for p in objective_id.split("."))
    return (1 << 30,)


def weakest_first(objective_id: str, answered: int, correct: int) -> tuple[object, ...]:
    """Sort key of answered objectives, weakest first: lowest accuracy, then the most
    answered (the surest), then the objective's number (``/stats``, ``/review``,
    ``/readiness``)."""
    return (accuracy(answered, correct), -answered, objective_order(objective_id))
