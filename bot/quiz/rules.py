"""Pure rules of a quiz session: drawing questions, timing, reveal statistics, ranking."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from db.models import LETTERS as LETTERS

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 50, 10
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 120, 30
# A click that Discord delivered just after the deadline still counts (gateway latency).
DEADLINE_GRACE = dt.timedelta(seconds=1)
# After a restart, a question whose deadline passed longer ago than this is not re-opened:
# the quiz closes cleanly with what was answered.
STALE_AFTER = dt.timedelta(minutes=10)


def draw_questions(
    candidates: Sequence[tuple[int, str]], count: int, rng: random.Random
) -> list[int]:
    """Pick ``count`` distinct question ids, alternating domains when several are present.

    ``candidates`` are (question id, objective id). Questions are shuffled within each domain
    and domains are visited round-robin in a shuffled order, so a 10-question quiz over an
    exam with 5 domains asks about every domain.
    """
    by_domain: dict[str, list[int]] = defaultdict(list)
    for question_id, objective in candidates:
        by_domain[objective.split(".", 1)[0]].append(question_id)
    pools = list(by_domain.values())
    for pool in pools:
        rng.shuffle(pool)
    rng.shuffle(pools)
    drawn: list[int] = []
    while len(drawn) < count and any(pools):
        for pool in pools:
            if pool and len(drawn) < count:
                drawn.append(pool.pop())
    return drawn


def answer_window_open(now: dt.datetime, deadline: dt.datetime | None) -> bool:
    return deadline is None or now <= deadline + DEADLINE_GRACE


def seconds_between(start: dt.datetime | None, end: dt.datetime) -> int | None:
    if start is None:
        return None
    return max(0, int((end - start).total_seconds()))


@dataclass(frozen=True, slots=True)
class OptionShare:
    letter: str
    count: int
    percent: int


def option_shares(counts: dict[str, int]) -> list[OptionShare]:
    """Per-option counts as whole percentages of everyone who answered."""
    total = sum(counts.values())
    return [
        OptionShare(
            letter,
            counts.get(letter, 0),
            round(100 * counts.get(letter, 0) / total) if total else 0,
        )
        for letter in LETTERS
    ]


def names_line(names: Sequence[str], limit: int = 10) -> str:
    """'alice, bob, carol +4 more' — the first ``limit`` names, then a count."""
    if not names:
        return "nobody"
    shown = ", ".join(names[:limit])
    extra = len(names) - limit
    return f"{shown} +{extra} more" if extra > 0 else shown


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    correct: int
    answered: int
    seconds: int


def rank_players(standings: Sequence[Standing]) -> list[Standing]:
    """Most correct first; ties by fewer seconds spent, then by name (deterministic)."""
    return sorted(standings, key=lambda s: (-s.correct, s.seconds, s.name.lower(), s.user_id))
