"""Pure rules of a quiz session: drawing questions, timing, reveal statistics, ranking."""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from db.models import LETTERS as LETTERS

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 50, 10
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 120, 30
# A click that Discord delivered just after the deadline still counts (gateway latency).
DEADLINE_GRACE = dt.timedelta(seconds=1)
# After a restart, a question whose deadline passed longer ago than this is not re-opened:
# the quiz closes cleanly with what was answered.
STALE_AFTER = dt.timedelta(minutes=10)


RECENTLY_SEEN = dt.timedelta(days=30)
"""A question one of a quiz's players answered this recently is drawn only after unseen ones."""


def draw_questions(
    candidates: Sequence[tuple[int, str]],
    count: int,
    rng: random.Random,
    last_seen: Mapping[int, dt.datetime] | None = None,
) -> list[int]:
    """Pick ``count`` distinct question ids: unseen first, alternating domains.

    ``candidates`` are (question id, objective id); ``last_seen`` maps a question to the last
    time one of the quiz's players answered it within ``RECENTLY_SEEN`` (absent: unseen).
    Questions nobody saw recently come first: shuffled within each domain, domains visited
    round-robin in a shuffled order, so a 10-question quiz over an exam with 5 domains asks
    about every domain. When they run out, the least recently seen follow.
    """
    seen = last_seen or {}
    unseen = [c for c in candidates if c[0] not in seen]
    drawn = _round_robin(unseen, count, rng)
    if len(drawn) < count:
        again = [c[0] for c in candidates if c[0] in seen]
        rng.shuffle(again)  # ties in time keep a random order
        again.sort(key=lambda question_id: seen[question_id])
        drawn += again[: count - len(drawn)]
    return drawn


def _round_robin(
    candidates: Sequence[tuple[int, str]], count: int, rng: random.Random
) -> list[int]:
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


# --- may this answer be stored? ---------------------------------------------------------
# The one eligibility rule. Its SQL form is the ``s0.on_screen`` and ``s.eligible`` columns of
# ``db.quiz.group_answers``; tests/db/quiz/test_answer_eligibility.py holds both to a table of
# cases. The reasons are checked in this order by every answer path.


class Refusal(enum.StrEnum):
    NOT_A_LETTER = "not_a_letter"
    ENDED = "ended"
    """No such quiz, or it is no longer running."""
    SOLO = "solo"
    """A solo quiz: answered by its own path (reveals at once)."""
    TOO_LATE = "too_late"
    """Not the question asking, or past its deadline (plus grace)."""
    QUESTION_GONE = "question_gone"
    """The question on screen was removed from the bank."""


def on_screen(
    *,
    index: int,
    current_index: int,
    phase: str,
    deadline_at: dt.datetime | None,
    at: dt.datetime,
) -> bool:
    """The click's question is the one asking, within its deadline plus the grace."""
    return index == current_index and phase == "asking" and answer_window_open(at, deadline_at)


def answer_refusal(
    *,
    letter: str,
    status: str | None,
    mode: str | None,
    shown: bool,
    question_gone: bool,
) -> Refusal | None:
    """Why an answer cannot be stored (None: it may be), in the order every path checks."""
    if letter not in LETTERS:
        return Refusal.NOT_A_LETTER
    if status != "running":
        return Refusal.ENDED
    if mode != "group":
        return Refusal.SOLO
    if not shown:
        return Refusal.TOO_LATE
    if question_gone:
        return Refusal.QUESTION_GONE
    return None


def attempt_accepts(
    *, attempt_user_id: int | None, attempt_status: str | None, user_id: int
) -> bool:
    """The attempt an answer goes to is the member's own and still in progress."""
    return attempt_user_id == user_id and attempt_status == "in_progress"


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
