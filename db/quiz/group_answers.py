"""Group-quiz answers of known players in one PostgreSQL statement (the hot path).

A member's second and later clicks in a group quiz are the bulk of CertQuest's writes. The
general recorder (``bot.quiz.records.record_answers_bulk`` behind ``bot.quiz.batcher``)
spends about seven round trips through an ORM session on a batch: BEGIN, the sessions, the
attempts ``FOR SHARE``, the INSERT, the objectives, the counts upsert, COMMIT. At a steady
200 clicks/s a batch holds one or two clicks, so that cost is each click's latency
(docs/benchmarks.md, finding 3). Here the same work is one statement, sent in autocommit
(a single statement is its own transaction: all of it is stored, or none):

1. ``c``: the clicks, unnested from arrays (one row per click, ``ord`` is its position);
2. ``a``: their attempts, ``FOR SHARE`` in id order — the lock the general path takes, so
   ``finish_attempt``'s claim waits for these answers and counts them;
3. ``s0``/``s``: each click beside its quiz session, the question on screen (``question_ids`` at
   ``current_index``), that question's key and objective, and whether it may be stored
   (``eligible``: the checks of ``bot.quiz.batcher._refusal``: running group quiz, that
   question still asking, within the deadline plus grace, question still in the bank,
   the attempt the player's own and in progress);
4. ``ins``: the first click of each (attempt, question) among the eligible ones, inserted
   with ``ON CONFLICT DO NOTHING`` (stored at most once, whatever runs beside it), in key
   order so two statements lock the same rows in the same order;
5. ``st``: the per-objective counters of the rows actually inserted, moved by
   ``ON CONFLICT DO UPDATE SET answered = answered + excluded.answered`` (never read and
   written back), in key order;
6. the result: per click, the facts the caller turns into a reply, the inserted row if this
   statement stored it, else the answer already stored (committed before the statement).

PostgreSQL only: SQLite has no data-modifying CTEs (it keeps the general path, and has one
writer anyway). No Discord import here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from db.accounts.queries import to_utc


@dataclass(frozen=True, slots=True)
class KnownClick:
    """A click of a player whose (user, attempt) in the quiz is known."""

    session_id: int
    index: int
    letter: str
    user_id: int
    attempt_id: int
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClickFacts:
    """What the statement found for one click (None where there was nothing to find)."""

    status: str | None
    """The quiz session's status (None: no such session)."""
    mode: str | None
    on_screen: bool
    """The click's question is the one asking, within its deadline (plus grace)."""
    question_gone: bool
    """The question on screen was removed from the bank."""
    attempt_user_id: int | None
    """Owner of the click's attempt (None: the attempt is gone)."""
    attempt_status: str | None
    inserted: tuple[str, bool] | None
    """(user_answer, is_correct) if this statement stored the click's answer."""
    existing: tuple[str, bool] | None
    """(user_answer, is_correct) of an answer stored before this statement."""
    eligible: bool = False
    """The statement's verdict: this click may be stored (``s.eligible``; the Python form is
    ``bot.quiz.rules.answer_refusal`` with ``attempt_accepts``)."""


_SQL = """
WITH c AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::varchar[], $5::int[], $6::int[],
                         $7::timestamptz[])
        AS c(ord, session_id, idx, letter, user_id, attempt_id, at)
),
a AS (
    SELECT id, user_id, status, exam_type FROM quiz_attempts
    WHERE id = ANY($6::int[]) ORDER BY id FOR SHARE
),
s0 AS (
    SELECT c.ord, c.letter, c.user_id, c.attempt_id, c.at,
           qs.status, qs.mode,
           (c.idx = qs.current_index AND qs.phase = 'asking'
            AND (qs.deadline_at IS NULL OR c.at <= qs.deadline_at + $8::interval)) AS on_screen,
           q.id AS question_id, q.correct_answer, coalesce(q.domain, '') AS objective,
           c.at - qs.question_started_at AS spent,
           a.user_id AS attempt_user_id, a.status AS attempt_status, a.exam_type
    FROM c
    LEFT JOIN quiz_sessions qs ON qs.id = c.session_id
    LEFT JOIN questions q ON q.id = (qs.question_ids ->> qs.current_index)::int
    LEFT JOIN a ON a.id = c.attempt_id
),
s AS (
    SELECT s0.*,
           coalesce(status = 'running' AND mode = 'group' AND on_screen
                    AND question_id IS NOT NULL
                    AND attempt_user_id = user_id AND attempt_status = 'in_progress',
                    false) AS eligible
    FROM s0
),
ins AS (
    INSERT INTO user_answers (quiz_attempt_id, user_id, question_id, user_answer,
                              correct_answer, is_correct, time_spent_seconds, answered_at)
    SELECT DISTINCT ON (attempt_id, question_id)
           attempt_id, user_id, question_id, letter, correct_answer, letter = correct_answer,
           greatest(0, floor(extract(epoch FROM spent)))::int, at
    FROM s WHERE eligible
    ORDER BY attempt_id, question_id, ord
    ON CONFLICT (quiz_attempt_id, question_id) DO NOTHING
    RETURNING quiz_attempt_id, question_id, user_id, user_answer, is_correct
),
st AS (
    INSERT INTO user_objective_stats AS o (user_id, exam_type, objective, answered, correct)
    SELECT ins.user_id, k.exam_type, k.objective, count(*), count(*) FILTER (WHERE ins.is_correct)
    FROM ins
    JOIN (SELECT DISTINCT attempt_id, question_id, exam_type, objective FROM s WHERE eligible) k
      ON k.attempt_id = ins.quiz_attempt_id AND k.question_id = ins.question_id
    GROUP BY ins.user_id, k.exam_type, k.objective
    ORDER BY ins.user_id, k.exam_type, k.objective
    ON CONFLICT (user_id, exam_type, objective)
    DO UPDATE SET answered = o.answered + excluded.answered, correct = o.correct + excluded.correct
)
SELECT s.ord, s.status, s.mode, coalesce(s.on_screen, false), s.question_id IS NULL,
       s.attempt_user_id, s.attempt_status,
       ins.user_answer, ins.is_correct, ua.user_answer, ua.is_correct, s.eligible
FROM s
LEFT JOIN ins ON ins.quiz_attempt_id = s.attempt_id AND ins.question_id = s.question_id
LEFT JOIN user_answers ua ON ua.quiz_attempt_id = s.attempt_id AND ua.question_id = s.question_id
ORDER BY s.ord
"""


async def record_known_clicks(
    conn: AsyncConnection, clicks: Sequence[KnownClick], grace: dt.timedelta
) -> list[ClickFacts]:
    """Store ``clicks`` with one statement; one ``ClickFacts`` per click, in order.

    Run it on a connection in autocommit (the statement is its own transaction) or inside
    the caller's transaction. ``grace``: how long after a question's deadline a click still
    counts (``bot.quiz.rules.DEADLINE_GRACE``)."""
    if not clicks:
        return []
    result = await conn.exec_driver_sql(
        _SQL,
        (
            list(range(len(clicks))),
            [c.session_id for c in clicks],
            [c.index for c in clicks],
            [c.letter for c in clicks],
            [c.user_id for c in clicks],
            [c.attempt_id for c in clicks],
            [to_utc(c.at) for c in clicks],
            grace,
        ),
    )
    facts: list[ClickFacts] = []
    rows: list[tuple[Any, ...]] = [tuple(r) for r in result]
    for _, status, mode, on_screen, gone, owner, attempt_status, ia, ic, ea, ec, ok in rows:
        facts.append(
            ClickFacts(
                status=status,
                mode=mode,
                on_screen=bool(on_screen),
                question_gone=bool(gone) and status is not None,
                attempt_user_id=owner,
                attempt_status=attempt_status,
                inserted=None if ia is None else (str(ia), bool(ic)),
                existing=None if ea is None else (str(ea), bool(ec)),
                eligible=bool(ok),
            )
        )
    return facts
