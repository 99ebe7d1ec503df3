"""The review deck: cards from every final answer, and the plan of a ``/review`` session.

``record_final_answers`` is the quiz feature's ``answers_final`` listener (``bot.core.hooks``):
it runs in the finish's unit of work and moves every player's cards with two statements (read
the cards and time zones, one upsert). ``plan_review`` picks a member's due cards, most overdue
first, and tops up with questions they have not seen from their weakest objectives; those are
presented as new questions, never as reviews. Flush at most, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.clock import to_utc
from bot.core.errors import InvalidInput, NotFound
from bot.core.events import FinalAnswer
from bot.core.study import weakest_first
from bot.core.timezones import local_date
from bot.review.rules import CardState, end_of_day, review
from db.exams import exam_label, exams
from db.leaderboards import queries as boards
from db.review import queries as cards_db

MIN_COUNT, MAX_COUNT, DEFAULT_COUNT = 1, 50, 10


async def record_final_answers(
    session: AsyncSession, answers: Sequence[FinalAnswer], now: dt.datetime
) -> None:
    """Every answer of a finished quiz becomes (or moves) its member's card."""
    if not answers:
        return
    latest: dict[tuple[int, int], FinalAnswer] = {}
    for a in sorted(answers, key=lambda a: a.answered_at):
        latest[(a.user_id, a.question_id)] = a
    existing = await cards_db.cards(session, list(latest))
    unknown = [u for (u, _), a in latest.items() if a.timezone is None]
    zones = await cards_db.timezones(session, unknown) if unknown else {}
    rows: list[dict[str, Any]] = []
    for key, a in latest.items():
        old = existing.get(key)
        before = (
            None
            if old is None
            else CardState(
                old.state,
                old.stability,
                old.difficulty,
                old.due,
                old.last_review,
                old.reps,
                old.lapses,
                old.interval_days,
            )
        )
        last = before.last_review if before is not None else None
        if last is not None and to_utc(a.answered_at) <= last:
            continue  # already scheduled from this answer (a finish seen twice)
        card = review(before, a.correct, a.answered_at, a.timezone or zones.get(a.user_id))
        rows.append(
            {
                "user_id": a.user_id,
                "question_id": a.question_id,
                "exam_type": a.exam_type,
                "objective": a.objective,
                "state": card.state,
                "stability": card.stability,
                "difficulty": card.difficulty,
                "due": card.due,
                "last_review": card.last_review,
                "interval_days": card.interval_days,
                "reps": card.reps,
                "lapses": card.lapses,
                "last_correct": a.correct,
            }
        )
    await cards_db.upsert_cards(session, rows)


async def merge_decks(session: AsyncSession, source: int, target: int) -> None:
    """Two accounts became one (``hooks.users_merged``): the source's cards join the target's
    deck; where both have a card of a question, the target's is kept."""
    await cards_db.merge_cards(session, source, target)


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    exam_type: str
    due_ids: tuple[int, ...]
    """Cards due today, most overdue first."""
    new_ids: tuple[int, ...]
    """Top-up: questions the member has not seen, from their weakest objectives."""
    due_today: int
    due_tomorrow: int

    @property
    def question_ids(self) -> tuple[int, ...]:
        return self.due_ids + self.new_ids

    @property
    def intro(self) -> str:
        label = exam_label(self.exam_type)
        parts = [f"🔁 **Review · {label}**: {len(self.due_ids)} due card(s)"]
        if self.new_ids:
            parts.append(f"then {len(self.new_ids)} new question(s) from your weakest objectives")
        return (
            ", ".join(parts)
            + f".\nDue today: **{self.due_today}** · due tomorrow: **{self.due_tomorrow}**."
        )


async def due_counts(
    session: AsyncSession,
    user_id: int,
    timezone: str | None,
    now: dt.datetime,
    exam_type: str | None = None,
) -> tuple[int, int]:
    """(cards due by the end of the member's today, cards that come due tomorrow)."""
    today = local_date(now, timezone)
    by_today, by_tomorrow = await cards_db.count_due(
        session,
        user_id,
        before=[end_of_day(today, timezone), end_of_day(today + dt.timedelta(days=1), timezone)],
        exam_type=exam_type,
    )
    return by_today, by_tomorrow - by_today


async def cards_due_today(
    session: AsyncSession, members: Sequence[tuple[int, str]], now: dt.datetime
) -> dict[int, int]:
    """user id → cards due by the end of their local today (``hooks.cards_due``): one query
    per distinct end of day in the batch (members of one time zone share it)."""
    by_cutoff: dict[dt.datetime, list[int]] = {}
    for user_id, timezone in members:
        cutoff = end_of_day(local_date(now, timezone), timezone)
        by_cutoff.setdefault(cutoff, []).append(user_id)
    due: dict[int, int] = {}
    for cutoff, user_ids in by_cutoff.items():
        due.update(await cards_db.count_due_of(session, user_ids, cutoff))
    return due


async def plan_review(
    session: AsyncSession,
    *,
    discord_id: int,
    display_name: str,
    exam_type: str | None,
    count: int,
    now: dt.datetime,
) -> ReviewPlan:
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise InvalidInput(f"A review has {MIN_COUNT}–{MAX_COUNT} questions.")
    if exam_type is not None and exam_type not in exams():
        raise InvalidInput("Pick an exam from the list.")
    account = await get_or_create_account(session, discord_id, display_name)
    tz = account.timezone
    end_today = end_of_day(local_date(now, tz), tz)
    exam = exam_type or await cards_db.exam_with_most_due(session, account.user_id, end_today)
    if exam is None:
        raise NotFound(
            "Nothing is due: your review deck fills as you answer questions. "
            "Play a `/quiz start` first, then come back to `/review`."
        )
    due = await cards_db.due_cards(session, account.user_id, end_today, exam_type=exam, limit=count)
    due_ids = tuple(c.question_id for c in due)
    new_ids: tuple[int, ...] = ()
    if len(due_ids) < count:
        counts = await boards.objective_counts(session, account.user_id, exam)
        answered = [(o, n, c) for _, o, n, c in counts if o and n > 0]
        weakest = [o for o, _, _ in sorted(answered, key=lambda r: weakest_first(*r))][:5]
        unseen = await cards_db.unseen_questions(
            session, account.user_id, exam, weakest, limit=count - len(due_ids)
        )
        rank = {objective: i for i, objective in enumerate(weakest)}
        unseen.sort(key=lambda item: (rank.get(item[1], len(rank)), item[0]))
        new_ids = tuple(qid for qid, _ in unseen[: count - len(due_ids)])
    if not due_ids and not new_ids:
        raise NotFound(
            f"No {exam_label(exam)} cards are due today, and there is nothing new to top up "
            "with yet. Play a `/quiz start` to grow your deck."
        )
    today, tomorrow = await due_counts(session, account.user_id, tz, now)
    return ReviewPlan(exam, due_ids, new_ids, today, tomorrow)
