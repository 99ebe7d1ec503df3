"""Answer clicks that arrive together are stored in one transaction (group commit).

One ORM transaction per click costs ~10 round trips and a commit; at ~100 clicks a second
that, not PostgreSQL, was the limit of the answer path (docs/benchmarks.md). The
``AnswerBatcher`` collects the clicks that arrive while earlier batches are being written
(``max_inflight`` at a time; an idle batcher waits ``window`` seconds, by default just the
current event-loop turn) and answers them with one transaction:

* the quiz sessions of the batch and the correct answer of each one's current question are
  read with one query;
* who is playing is cached per (quiz session, Discord id) → (user id, attempt id), so a
  player's second and later answers need no account or player lookup at all (the first
  click of a member in a quiz goes through ``get_or_create_account`` and joins the quiz
  exactly as ``bot.quiz.service.answer`` does);
* every answer is written by one ``bot.quiz.records.record_answers_bulk``: one outcome per
  click, a repeat in the same batch reports the first answer;
* on PostgreSQL, the clicks of players already in the cache (every click but a member's
  first in a quiz) skip all of that: ``db.quiz.group_answers.record_known_clicks`` checks and
  stores them with one statement in autocommit, one round trip for the batch instead of
  about seven (docs/benchmarks.md, finding 8). Its facts are turned into the same outcomes.

Each click's future gets its own outcome: an ``AnswerAck``, or the ``BotError`` that
``quiz_service.answer`` would have raised for it (closed question, ended quiz, …). If the
batch's transaction fails as a whole, nothing of it is kept and every click of the batch is
answered again on its own, through ``quiz_service.answer`` in its own unit of work, so one
bad click cannot lose the others. Solo quizzes (their answer also reveals) go that way too.

A click waits at most ``window`` plus the batch in flight before it (batches are capped at
``max_batch`` clicks, a few tens of milliseconds of work), far below the 3 s Discord gives
an interaction and below ~100 ms in the benchmark at saturation. No Discord import here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.errors import BotError, Conflict
from bot.quiz import service as svc
from bot.quiz.records import AnswerInput, record_answers_bulk
from bot.quiz.rules import DEADLINE_GRACE, Refusal, answer_refusal, on_screen, seconds_between
from db.dialect import dialect_name
from db.engine import DatabaseUnavailable, autocommit_connection, create_engine, unit_of_work
from db.models import Question, User, UserProfile
from db.quiz.group_answers import ClickFacts, KnownClick, record_known_clicks
from db.quiz.models import QuizPlayer, QuizSession

log = logging.getLogger(__name__)

QUIZ_OVER = "This quiz is already over; that answer was not recorded."
MAX_CACHED_PLAYERS = 200_000


@dataclass(frozen=True, slots=True)
class Click:
    """One click on an A–D button of a quiz question."""

    session_id: int
    index: int
    letter: str
    discord_id: int
    display_name: str
    now: dt.datetime


Player = tuple[int, int]
"""(user id, attempt id) of a member in a quiz session."""
PlayerKey = tuple[int, int]
"""(quiz session id, Discord id)."""


class _Fallback(Exception):
    """This click is answered on its own (solo quiz, stale cache entry)."""


@dataclass(frozen=True, slots=True)
class _Session:
    id: int
    status: str
    mode: str
    phase: str
    current_index: int
    question_ids: list[int]
    deadline_at: dt.datetime | None
    question_started_at: dt.datetime | None
    exam_type: str
    guild_id: int | None
    correct: str | None
    """Correct answer of the current question (None: the question was deleted)."""


def _current_question_id(session: AsyncSession) -> Any:
    """SQL for ``quiz_sessions.question_ids[current_index]`` (the question on screen)."""
    s = QuizSession
    if dialect_name(session) == "postgresql":
        return cast(s.question_ids.op("->>")(s.current_index), Integer)
    path = literal("$[") + cast(s.current_index, String) + literal("]")
    return cast(func.json_extract(s.question_ids, path), Integer)


async def _sessions(session: AsyncSession, ids: set[int]) -> dict[int, _Session]:
    """The sessions of the batch with the correct answer of their current question, in one
    query (``correct`` is None when that question was deleted from the bank)."""
    s = QuizSession
    rows = await session.execute(
        select(
            s.id,
            s.status,
            s.mode,
            s.phase,
            s.current_index,
            s.question_ids,
            s.deadline_at,
            s.question_started_at,
            s.exam_type,
            s.guild_id,
            Question.correct_answer,
        )
        .outerjoin(Question, Question.id == _current_question_id(session))
        .where(s.id.in_(sorted(ids)))
    )
    return {
        int(r[0]): _Session(
            id=int(r[0]),
            status=str(r[1]),
            mode=str(r[2]),
            phase=str(r[3]),
            current_index=int(r[4]),
            question_ids=list(r[5]),
            deadline_at=r[6],
            question_started_at=r[7],
            exam_type=str(r[8]),
            guild_id=r[9],
            correct=None if r[10] is None else str(r[10]),
        )
        for r in rows
    }


async def _join(
    session: AsyncSession, s: _Session, discord_id: int, name: str, now: dt.datetime
) -> Player:
    """The member's (user, attempt) in this quiz: ``quiz_service.join_quiz``."""
    return await svc.join_quiz(
        session,
        session_id=s.id,
        exam_type=s.exam_type,
        question_count=len(s.question_ids),
        guild_id=s.guild_id,
        discord_id=discord_id,
        display_name=name,
        now=now,
    )


async def _known_players(session: AsyncSession, wanted: set[PlayerKey]) -> dict[PlayerKey, Player]:
    """Players already registered, found by (session, Discord id) in one query; members
    whose account is disabled or lacks a profile are left to ``_join`` (it raises or fixes)."""
    if not wanted:
        return {}
    p = QuizPlayer
    rows = await session.execute(
        select(p.session_id, User.discord_id, p.user_id, p.attempt_id)
        .join(User, User.id == p.user_id)
        .join(UserProfile, UserProfile.user_id == p.user_id)
        .where(
            p.session_id.in_(sorted({s for s, _ in wanted})),
            User.discord_id.in_(sorted({d for _, d in wanted})),
            User.is_active.is_not(False),
        )
    )
    found: dict[PlayerKey, Player] = {}
    for sid, did, uid, aid in rows:
        key = (int(sid), int(did or 0))
        if key in wanted:
            found[key] = (int(uid), int(aid))
    return found


async def answer_many(
    session: AsyncSession, clicks: Sequence[Click], cache: dict[PlayerKey, Player]
) -> tuple[list[svc.AnswerAck | BaseException], dict[PlayerKey, Player]]:
    """Answer group-quiz ``clicks`` in the caller's transaction, in order.

    Returns one result per click (an ``AnswerAck``, a ``BotError`` for that click, or
    ``_Fallback``) and the players looked up or joined (to cache once committed)."""
    results: list[svc.AnswerAck | BaseException | None] = [None] * len(clicks)
    live = await _sessions(session, {c.session_id for c in clicks})
    ok: list[int] = []
    for i, c in enumerate(clicks):
        s = live.get(c.session_id)
        refused = _refusal(
            c,
            status=s.status if s else None,
            mode=s.mode if s else None,
            on_screen=s is not None
            and on_screen(
                index=c.index,
                current_index=s.current_index,
                phase=s.phase,
                deadline_at=s.deadline_at,
                at=c.now,
            ),
            question_gone=s is not None and s.correct is None,
        )
        if refused is None:
            ok.append(i)
        else:
            results[i] = refused
    keys = {(clicks[i].session_id, clicks[i].discord_id) for i in ok}
    players = {k: cache[k] for k in keys if k in cache}
    fresh = await _known_players(session, keys - players.keys())
    players.update(fresh)
    rows: list[AnswerInput] = []
    placed: list[int] = []
    for i in ok:
        c = clicks[i]
        s = live[c.session_id]
        qid = s.question_ids[c.index]
        if s.correct is None:  # _refusal refused it: the question is no longer in the bank
            raise RuntimeError(f"quiz {c.session_id}: question {qid} left the bank")
        key = (c.session_id, c.discord_id)
        if key not in players:
            try:
                players[key] = fresh[key] = await _join(
                    session, s, c.discord_id, c.display_name, c.now
                )
            except BotError as error:
                results[i] = error
                continue
        user_id, attempt_id = players[key]
        rows.append(
            AnswerInput(
                attempt_id,
                user_id,
                qid,
                c.letter,
                s.correct,
                seconds_between(s.question_started_at, c.now),
                c.now,
            )
        )
        placed.append(i)
    # in key order (stable: a repeat keeps its click order), so two batches writing the same
    # answers lock them in the same order
    order = sorted(range(len(rows)), key=lambda k: rows[k].key)
    written = await record_answers_bulk(session, [rows[k] for k in order]) if rows else []
    outcomes: list[Any] = [None] * len(rows)
    for k, outcome in zip(order, written, strict=True):
        outcomes[k] = outcome
    for i, outcome in zip(placed, outcomes, strict=True):
        c = clicks[i]
        if outcome.rejected == "quiz_closed":
            results[i] = Conflict(QUIZ_OVER)
        elif outcome.rejected is not None:  # the cached attempt is gone (account merged…)
            cache.pop((c.session_id, c.discord_id), None)
            fresh.pop((c.session_id, c.discord_id), None)
            results[i] = _Fallback()
        else:
            results[i] = svc.AnswerAck(outcome.user_answer, outcome.stored, outcome.is_correct)
    answered = [r for r in results if r is not None]
    if len(answered) != len(results):
        raise RuntimeError("a click of the batch got no result")
    return answered, fresh


def _refusal(
    c: Click, *, status: str | None, mode: str | None, on_screen: bool, question_gone: bool
) -> BaseException | None:
    """The eligibility rule (``bot.quiz.rules.answer_refusal``) as this path's replies: a solo
    quiz is ``_Fallback`` (answered on its own path)."""
    refusal = answer_refusal(
        letter=c.letter, status=status, mode=mode, shown=on_screen, question_gone=question_gone
    )
    if refusal is None:
        return None
    if refusal is Refusal.SOLO:
        return _Fallback()
    return svc.refusal_error(refusal)


def known_outcomes(
    clicks: Sequence[Click], players: Sequence[Player], facts: Sequence[ClickFacts]
) -> list[svc.AnswerAck | BaseException]:
    """The outcome of each click stored by ``record_known_clicks``: the same replies, in the
    same order of checks, as ``answer_many`` gives (``_Fallback`` for a solo quiz, an
    attempt that is no longer the player's, or an answer neither stored nor found)."""
    results: list[svc.AnswerAck | BaseException] = []
    reported: set[tuple[int, int, int]] = set()
    for c, (user_id, attempt_id), f in zip(clicks, players, facts, strict=True):
        refused = _refusal(
            c,
            status=f.status,
            mode=f.mode,
            on_screen=f.on_screen,
            question_gone=f.question_gone,
        )
        if refused is not None:
            results.append(refused)
        elif f.attempt_user_id != user_id:
            results.append(_Fallback())
        elif f.inserted is not None:
            key = (attempt_id, c.session_id, c.index)
            first = key not in reported
            reported.add(key)
            results.append(svc.AnswerAck(f.inserted[0], first, f.inserted[1]))
        elif f.existing is not None:
            results.append(svc.AnswerAck(f.existing[0], False, f.existing[1]))
        elif f.attempt_status != "in_progress":
            results.append(Conflict(QUIZ_OVER))
        else:  # a concurrent transaction stored it after this statement began
            results.append(_Fallback())
    return results


class AnswerBatcher:
    """Collects clicks into batches, one transaction each (see the module doc).

    ``window``: how long the first click of an idle batcher waits for company; ``max_batch``:
    clicks per transaction; ``max_inflight``: batches written at the same time (default 2,
    1 on SQLite); ``one_statement``: known players' clicks through ``record_known_clicks``
    on PostgreSQL (off: everything through ``answer_many``, for comparison)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        window: float = 0.0,
        max_batch: int = 64,
        max_inflight: int | None = None,
        one_statement: bool = True,
    ) -> None:
        self.sessions = sessions
        self.window = window
        self.max_batch = max_batch
        bind = sessions.kw.get("bind")
        if max_inflight is None:  # SQLite has one writer: a second batch would only queue
            sqlite = getattr(getattr(bind, "dialect", None), "name", "") == "sqlite"
            max_inflight = 1 if sqlite else 2
        self.max_inflight = max_inflight
        self.fast: AsyncEngine | None = None
        """The batcher's own small autocommit pool for ``record_known_clicks`` (PostgreSQL
        only; disposed by ``close``). No pre-ping: it would cost three round trips per batch
        (BEGIN, ping, ROLLBACK), and a statement on a dead connection falls back to the
        general path anyway. Generic plans: the statement is prepared once per connection,
        and PostgreSQL's own choice sometimes settles on planning it anew at every execution
        (~0.3 ms, more than running it; docs/benchmarks.md finding 8)."""
        if one_statement and isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
            self.fast = create_engine(
                bind.url,
                pool_size=max_inflight,
                max_overflow=2,
                autocommit=True,
                pre_ping=False,
                server_settings={"plan_cache_mode": "force_generic_plan"},
            )
        self.fast_clicks = 0
        self.players: dict[PlayerKey, Player] = {}
        self.batches = 0
        self.clicks = 0
        self.fallbacks = 0
        self._pending: list[tuple[Click, asyncio.Future[svc.AnswerAck]]] = []
        self._inflight = 0
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def answer(self, click: Click) -> svc.AnswerAck:
        """Store the click (the first answer counts) and return what to tell the member;
        raises the ``BotError`` that ``quiz_service.answer`` would raise for it."""
        fut: asyncio.Future[svc.AnswerAck] = asyncio.get_running_loop().create_future()
        self._pending.append((click, fut))
        self._kick()
        return await fut

    def _kick(self) -> None:
        if not self._pending or self._inflight >= self.max_inflight:
            return  # a finishing batch kicks again
        if len(self._pending) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.window, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._pending and self._inflight < self.max_inflight:
            self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        self._inflight += 1
        task = asyncio.create_task(self._run(batch), name="answer-batch")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[Click, asyncio.Future[svc.AnswerAck]]]) -> None:
        try:
            await self._process(batch)
        finally:
            self._inflight -= 1
            if self._pending and self._inflight < self.max_inflight:
                self._flush()

    async def _process(self, batch: list[tuple[Click, asyncio.Future[svc.AnswerAck]]]) -> None:
        clicks = [c for c, _ in batch]
        self.batches += 1
        self.clicks += len(clicks)
        results: list[Any] = [None] * len(clicks)
        known = [
            i
            for i, c in enumerate(clicks)
            if self.fast is not None and (c.session_id, c.discord_id) in self.players
        ]
        if known:
            for i, r in zip(known, await self._known([clicks[i] for i in known]), strict=True):
                results[i] = r
        rest = [i for i in range(len(clicks)) if results[i] is None]
        if rest:
            for i, r in zip(rest, await self._general([clicks[i] for i in rest]), strict=True):
                results[i] = r
        for i, r in enumerate(results):
            if isinstance(r, _Fallback):  # one by one: rare, and SQLite has one writer
                self.fallbacks += 1
                try:
                    results[i] = await self._single(clicks[i])
                except Exception as error:
                    results[i] = error
        for (_, fut), r in zip(batch, results, strict=True):
            if fut.done():
                continue
            if isinstance(r, BaseException):
                fut.set_exception(r)
            else:
                fut.set_result(r)

    async def _known(self, clicks: list[Click]) -> list[Any]:
        """Clicks of cached players, one statement (PostgreSQL); on failure, one by one."""
        if self.fast is None:
            raise RuntimeError("_known needs the fast path (PostgreSQL)")
        players = [self.players[(c.session_id, c.discord_id)] for c in clicks]
        rows = [
            KnownClick(c.session_id, c.index, c.letter, uid, aid, c.now)
            for c, (uid, aid) in zip(clicks, players, strict=True)
        ]
        try:
            async with autocommit_connection(self.fast) as conn:
                facts = await record_known_clicks(conn, rows, DEADLINE_GRACE)
        except Exception as error:  # nothing of it was stored: answer each click on its own
            level = logging.INFO if isinstance(error, DatabaseUnavailable) else logging.WARNING
            log.log(level, "answer statement for %d clicks failed (%r)", len(clicks), error)
            return [_Fallback()] * len(clicks)
        self.fast_clicks += len(clicks)
        results = known_outcomes(clicks, players, facts)
        for c, r in zip(clicks, results, strict=True):
            if isinstance(r, _Fallback):  # maybe a stale player (account merged, quiz redone)
                self.players.pop((c.session_id, c.discord_id), None)
        return results

    async def _general(self, clicks: list[Click]) -> list[Any]:
        """Clicks through ``answer_many`` in one unit of work; on failure, ``_Fallback``s."""
        try:
            async with unit_of_work(self.sessions) as session:
                results, joined = await answer_many(session, clicks, self.players)
        except Exception as error:  # the whole batch is gone: answer each click on its own
            log.warning(
                "answer batch failed; retrying one by one",
                extra={"clicks": len(clicks), "error": repr(error)},
            )
            return [_Fallback()] * len(clicks)
        if len(self.players) > MAX_CACHED_PLAYERS:
            self.players.clear()
        self.players.update(joined)
        return results

    async def _single(self, c: Click) -> svc.AnswerAck:
        async with unit_of_work(self.sessions) as session:
            return await svc.answer(
                session,
                session_id=c.session_id,
                index=c.index,
                letter=c.letter,
                discord_id=c.discord_id,
                display_name=c.display_name,
                now=c.now,
            )

    async def close(self) -> None:
        """Wait for the batches in flight (and those still queued); close the own pool."""
        while self._pending or self._tasks:
            if self._pending and not self._tasks:
                self._flush()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.fast is not None:
            await self.fast.dispose()


def batcher_for(owner: Any) -> AnswerBatcher:
    """The batcher of a bot (anything with ``sessions``), created on first use."""
    batcher = getattr(owner, "answer_batcher", None)
    if not isinstance(batcher, AnswerBatcher):
        batcher = AnswerBatcher(owner.sessions)
        owner.answer_batcher = batcher
    return batcher
