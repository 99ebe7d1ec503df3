"""Pre-aggregated leaderboards and per-objective answer counts (docs/queries.md).

``board_scores``
    One row per (board, scope, period, period start, user): the value the board ranks on.
    Boards are ``xp``, ``streak`` and ``exam:<exam_type>``; the scope is a guild id or 0 for
    the global board; periods are ``week`` (starting Monday, UTC), ``month`` (UTC) and ``all``
    (period start 1970-01-01). ``value`` is NULL while a user does not qualify yet (an exam
    board needs a few quizzes). ``prev_value`` is the value before the last write, so the very
    upsert that moves a score also tells how to move the histogram, without a prior read.

``board_histogram``
    How many users of a board sit in each bucket of each level: level 0 buckets are single
    values, levels 1, 2 and 3 group 32, 1024 and 32768 values (bucket = value >> 5 * level).
    A rank is 1 + the users strictly above, summed from at most 31 rows on each of levels
    0-2 and the top-level rows above: it does not grow with the rank, unlike
    ``count(*) WHERE value > mine``.

``user_objective_stats``
    Answers and correct answers per user, exam and objective, counted as answers are
    recorded: a user's per-domain stats read a few dozen rows, however many answers they gave.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.models import EXAM_CHECK


class BoardScore(Base):
    __tablename__ = "board_scores"
    __table_args__ = (
        CheckConstraint("period IN ('week', 'month', 'all')", name="period_valid"),
        CheckConstraint("quizzes >= 0", name="quizzes_nonnegative"),
    )

    # The primary key leads with user_id: it serves the own-row lookup, merges and the
    # cascade from users; the board order is the separate ix_board_scores_rank.
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    board: Mapped[str] = mapped_column(String(24), primary_key=True)
    scope_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[int | None] = mapped_column(BigInteger)
    prev_value: Mapped[int | None] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0"), default=0
    )
    quizzes: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    reached_at: Mapped[dt.datetime] = mapped_column(nullable=False)


# The board order: value DESC, then who reached it first, then user id (deterministic ties).
Index(
    "ix_board_scores_rank",
    BoardScore.board,
    BoardScore.scope_id,
    BoardScore.period,
    BoardScore.period_start,
    BoardScore.value.desc(),
    BoardScore.reached_at,
    BoardScore.user_id,
)


class BoardHistogram(Base):
    __tablename__ = "board_histogram"

    board: Mapped[str] = mapped_column(String(24), primary_key=True)
    scope_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0"), default=0
    )


class UserObjectiveStats(Base):
    __tablename__ = "user_objective_stats"
    __table_args__ = (
        CheckConstraint("correct >= 0 AND correct <= answered", name="correct_within_answered"),
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),  # 0005: the registry's exams
    )

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    exam_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    objective: Mapped[str] = mapped_column(String(20), primary_key=True)
    answered: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    correct: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
