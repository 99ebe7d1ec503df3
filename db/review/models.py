"""The review deck (issue [3/8]): one card per member and answered question (docs/schema.md).

Each card holds its FSRS state (``bot.review.rules``) in real columns: ``state`` and ``due``
are indexed for the due-card selection of ``/review`` and the counts of the reminder DM.
A card is created or moved where the quiz's answers are finalised (its finish), for all
players at once; it is deleted with its member or its question.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime
from db.models import EXAM_CHECK


class ReviewCard(Base):
    __tablename__ = "review_cards"
    __table_args__ = (
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),
        CheckConstraint("state >= 0 AND state <= 3", name="state_valid"),
        CheckConstraint("reps >= 0 AND lapses >= 0 AND lapses <= reps", name="counts_valid"),
        # /review: this member's due cards, most overdue first (optionally one exam)
        Index("ix_review_cards_user_id_exam_type_due", "user_id", "exam_type", "due"),
        Index("ix_review_cards_user_id_state_due", "user_id", "state", "due"),
    )

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    exam_type: Mapped[str] = mapped_column(String(20), nullable=False)
    objective: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[dt.datetime] = mapped_column(UtcDateTime(), nullable=False)
    last_review: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    interval_days: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    reps: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    lapses: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    last_correct: Mapped[bool | None] = mapped_column(Boolean)
