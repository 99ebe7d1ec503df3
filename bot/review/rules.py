"""The review deck's rules: every answered question is a card scheduled with FSRS (py-fsrs).

Decisions (docs/review.md):

* **Rating.** A wrong answer is ``Again``; a right one is ``Good``. Answer time does not refine
  it to ``Hard``/``Easy``: a quiz's clock includes reading the stem and, in a group quiz,
  waiting for the deadline, so a slow right answer is not a hard recall and a fast one is not
  proof of an easy one. ``Good``/``Again`` is what the answer itself tells.
* **Scheduler.** Desired retention 0.9, FSRS's default weights, no (re)learning steps of
  minutes: a study bot is used once or twice a day, so a card goes straight to whole-day
  intervals (a miss comes back the next day). No fuzz: the same answers give the same
  schedule, which members can trust and tests can check.
* **Calendar days.** FSRS gives an interval in days from the review instant; the card is due
  at the start of that day in the member's time zone (``review day + interval``). A DST
  change or a late-evening review never moves a card to another day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fsrs import Card, Rating, Scheduler, State

from bot.core.clock import to_utc
from bot.core.timezones import local_date, local_instant

DESIRED_RETENTION = 0.9
SCHEDULER = Scheduler(
    desired_retention=DESIRED_RETENTION,
    learning_steps=(),
    relearning_steps=(),
    enable_fuzzing=False,
)

NEW, LEARNING, REVIEW, RELEARNING = 0, int(State.Learning), int(State.Review), int(State.Relearning)
"""Card states as stored (``review_cards.state``): 0 never scheduled, then FSRS's own."""


@dataclass(frozen=True, slots=True)
class CardState:
    """One member's card for one question, as ``review_cards`` stores it."""

    state: int
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None
    reps: int = 0
    lapses: int = 0
    interval_days: int = 0
    """Whole days of the member's calendar from the last review to the due day."""


def rating_for(correct: bool) -> Rating:
    return Rating.Good if correct else Rating.Again


def start_of_day(day: dt.date, timezone: str | None) -> dt.datetime:
    """Local midnight of ``day`` in ``timezone``, in UTC (the first instant of that day)."""
    return local_instant(day, timezone)


def review(
    card: CardState | None, correct: bool, at: dt.datetime, timezone: str | None
) -> CardState:
    """The card after answering its question at ``at`` (right or wrong)."""
    when = to_utc(at)
    # an explicit card_id: without one, py-fsrs's Card() sleeps 1 ms to make its id unique
    if card is None or card.state == NEW:
        fsrs_card = Card(card_id=0, due=when)
    else:
        fsrs_card = Card(
            card_id=0,
            state=State(card.state),
            step=None if card.state == REVIEW else 0,
            stability=card.stability,
            difficulty=card.difficulty,
            due=to_utc(card.due),
            last_review=None if card.last_review is None else to_utc(card.last_review),
        )
    reviewed, _ = SCHEDULER.review_card(fsrs_card, rating_for(correct), review_datetime=when)
    days = max(1, round((reviewed.due - when) / dt.timedelta(days=1)))
    due_day = local_date(when, timezone) + dt.timedelta(days=days)
    return CardState(
        state=int(reviewed.state),
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=start_of_day(due_day, timezone),
        last_review=when,
        reps=(card.reps if card else 0) + 1,
        lapses=(card.lapses if card else 0) + (0 if correct else 1),
        interval_days=days,
    )


def end_of_day(day: dt.date, timezone: str | None) -> dt.datetime:
    """The first instant of the day after ``day``: cards due before it are due on ``day``."""
    return start_of_day(day + dt.timedelta(days=1), timezone)
