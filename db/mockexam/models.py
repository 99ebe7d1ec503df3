"""Mock exams (issue [3/8], docs/mock-exam.md): a member's private, timed, full-length
simulation, kept whole in the database so a restarted bot resumes it (docs/schema.md).

``mock_exams`` is one sitting: its exam, length, time limit and deadline, and once it ends
(submitted, or timed out by the sweep) its score. ``mock_exam_items`` are its questions in the
order shown, each with the member's current choice and flag. A member has at most one running
mock exam (a partial unique index). Finished sittings are pruned after the retention
(``Settings.mock_exam_retention_days``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime
from db.models import EXAM_CHECK, LETTERS_CHECK

RUNNING, SUBMITTED, TIMED_OUT = "running", "submitted", "timed_out"


class MockExam(Base):
    __tablename__ = "mock_exams"
    __table_args__ = (
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),
        CheckConstraint(
            "status IN ('running', 'submitted', 'timed_out')", name="status_valid"
        ),
        CheckConstraint("question_count > 0 AND question_count <= 90", name="question_count_range"),
        CheckConstraint("time_limit_seconds > 0", name="time_limit_positive"),
        CheckConstraint("ends_at > started_at", name="ends_after_start"),
        CheckConstraint("position >= 0 AND position < question_count", name="position_range"),
        CheckConstraint(
            "correct_count IS NULL OR (correct_count >= 0 AND correct_count <= question_count)",
            name="correct_count_range",
        ),
        CheckConstraint(
            "(status = 'running') = (finished_at IS NULL)", name="finished_when_not_running"
        ),
        # one running mock exam per member, enforced by the database
        Index(
            "uq_mock_exams_running_user",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
        # the time-out sweep: running sittings past their deadline
        Index("ix_mock_exams_status_ends_at", "status", "ends_at"),
        # /exam results: a member's sittings, newest first; retention by finish time
        Index("ix_mock_exams_user_id_started_at", "user_id", "started_at"),
        Index("ix_mock_exams_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    exam_type: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(
        String(12), nullable=False, server_default=text("'running'"), default=RUNNING
    )
    question_count: Mapped[int] = mapped_column(Integer, nullable=False)
    time_limit_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), nullable=False)
    position: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    """The question on screen (0-based): a resumed sitting opens there."""
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    correct_count: Mapped[int | None] = mapped_column(Integer)
    scaled_score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)


class MockExamItem(Base):
    __tablename__ = "mock_exam_items"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_nonnegative"),
        CheckConstraint(f"chosen IS NULL OR chosen {LETTERS_CHECK}", name="chosen_letter"),
        CheckConstraint(
            "(chosen IS NULL) = (answered_at IS NULL)", name="answered_when_chosen"
        ),
    )

    exam_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("mock_exams.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="CASCADE"), nullable=False
    )
    domain: Mapped[str] = mapped_column(String(10), nullable=False)
    """The exam domain (``"2.0"``) the item was drawn for: the result's breakdown."""
    chosen: Mapped[str | None] = mapped_column(String(1))
    flagged: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false(), default=False
    )
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
