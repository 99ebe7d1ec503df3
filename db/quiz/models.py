"""Live quiz sessions: what a restarted bot needs to continue a quiz (docs/schema.md).

A session is one ``/quiz start``: its drawn questions, where it is, who runs it, and the
message currently on screen. Each member who answers becomes a player with their own
``quiz_attempts`` row, so answers are stored the moment they are given.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime
from db.models import EXAM_CHECK


class QuizSession(Base):
    __tablename__ = "quiz_sessions"
    __table_args__ = (
        CheckConstraint("mode IN ('group', 'solo')", name="mode_valid"),
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),  # 0005: the registry's exams
        CheckConstraint("status IN ('running', 'finished')", name="status_valid"),
        CheckConstraint("phase IN ('asking', 'revealed')", name="phase_valid"),
        CheckConstraint("current_index >= 0", name="current_index_nonnegative"),
        CheckConstraint(
            "seconds_per_question >= 10 AND seconds_per_question <= 120", name="seconds_range"
        ),
        # one running group quiz per channel, enforced by the database
        Index(
            "uq_quiz_sessions_running_group_channel",
            "channel_id",
            unique=True,
            postgresql_where=text("status = 'running' AND mode = 'group'"),
            sqlite_where=text("status = 'running' AND mode = 'group'"),
        ),
        # restart: find the running group quizzes
        Index("ix_quiz_sessions_status_mode", "status", "mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(
        String(12), nullable=False, server_default=text("'running'"), default="running"
    )
    phase: Mapped[str] = mapped_column(
        String(12), nullable=False, server_default=text("'asking'"), default="asking"
    )
    exam_type: Mapped[str] = mapped_column(String(20), nullable=False)
    objective: Mapped[str | None] = mapped_column(String(20))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    host_discord_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    host_name: Mapped[str] = mapped_column(String(100), nullable=False)
    question_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    current_index: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    seconds_per_question: Mapped[int] = mapped_column(Integer, nullable=False)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    question_started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), nullable=False, server_default=func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class QuizPlayer(Base):
    __tablename__ = "quiz_session_players"

    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("quiz_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("quiz_attempts.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    joined_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), nullable=False, server_default=func.now()
    )
