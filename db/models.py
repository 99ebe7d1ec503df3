"""The nine tables of ``shared/spec/database-schema.md``, column for column.

Additions to the spec are marked ``# addition`` and documented in ``docs/schema.md``.
Nullability follows the spec exactly: a column the spec does not mark NOT NULL stays
nullable (with its server default), so rows written by the older web app stay valid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import exams
from db.base import Base, UtcDateTime

EXAM_TYPES: tuple[str, ...] = exams.EXAM_TYPES
"""Every exam type (the registry, ``db.exams``): the spec's four and the 220-1201/1202 pair."""
EXAM_CHECK = "exam_type IN (" + ", ".join(f"'{t}'" for t in EXAM_TYPES) + ")"
"""addition (migration 0005): exam types are the registry's (NULL still passes where allowed)."""
DIFFICULTIES = (1, 2, 3)
"""1 easy recall, 2 exam level, 3 hard (questions.difficulty, an addition)."""
CRITERIA_TYPES: tuple[str, ...] = (
    "quiz_completed",
    "perfect_quiz",
    "high_score_quiz",
    "correct_answers",
    "study_streak",
    "level_reached",
    "exam_specific",
)
RARITIES: tuple[str, ...] = ("common", "rare", "epic", "legendary")
LETTERS: tuple[str, ...] = ("A", "B", "C", "D")
"""The answer letters of a single-answer question: the one source (CHECKs, CSV, buttons)."""
LETTERS_CHECK = "IN (" + ", ".join(f"'{letter}'" for letter in LETTERS) + ")"


def _now() -> Any:
    return func.now()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True, nullable=False)
    username: Mapped[str] = mapped_column(String(100), unique=True, index=True, nullable=False)
    hashed_password: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=true(), default=True)
    is_verified: Mapped[bool | None] = mapped_column(Boolean, server_default=false(), default=False)
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now(), onupdate=_now())
    # addition: the Discord account mapped to this user (a 64-bit snowflake).
    discord_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    profile: Mapped[UserProfile] = relationship(
        back_populates="user", uselist=False, passive_deletes=True
    )


class UserProfile(Base):
    __tablename__ = "user_profiles"
    __table_args__ = (
        # addition: reminder hour is a local hour of the day.
        CheckConstraint("remind_hour >= 0 AND remind_hour <= 23", name="remind_hour_range"),
        # addition: the reminder sweep's one indexed query.
        Index("ix_user_profiles_remind_due", "remind_enabled", "remind_next_at"),
    )

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    selected_avatar_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("avatars.id", ondelete="SET NULL")
    )
    xp: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    level: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"), default=1)
    study_streak_current: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), default=0
    )
    study_streak_longest: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), default=0
    )
    total_exams_taken: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), default=0
    )
    total_questions_answered: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), default=0
    )
    last_activity_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())

    # additions: time zone and daily reminder settings (see docs/schema.md).
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default=text("'UTC'"), default="UTC"
    )
    remind_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false(), default=False
    )
    remind_hour: Mapped[int | None] = mapped_column(SmallInteger)
    remind_next_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)
    remind_lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    remind_unanswered: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    remind_disabled_reason: Mapped[str | None] = mapped_column(String(200))
    remind_prompted: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false(), default=False
    )
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)

    user: Mapped[User] = relationship(back_populates="profile")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        # addition: re-import updates by (exam type, external id) and never duplicates.
        UniqueConstraint("exam_type", "question_id"),
        # addition: the stored key is one letter, like user_answers.
        CheckConstraint(f"correct_answer {LETTERS_CHECK}", name="correct_answer_letter"),
        # additions (0005): a known exam type; a difficulty of 1-3
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),
        CheckConstraint("difficulty >= 1 AND difficulty <= 3", name="difficulty_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str | None] = mapped_column(String(64), index=True)
    exam_type: Mapped[str | None] = mapped_column(String(20), index=True)
    domain: Mapped[str | None] = mapped_column(String(20), index=True)
    question_text: Mapped[str] = mapped_column(Text, nullable=False)
    correct_answer: Mapped[str] = mapped_column(String(1), nullable=False)
    options: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON(none_as_null=True), nullable=False
    )
    # addition (0005): 1 easy, 2 exam level, 3 hard; the quality gates need it
    difficulty: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=text("2"), default=2
    )
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        CheckConstraint("total_questions > 0", name="total_questions_positive"),
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),  # addition (0005)
        CheckConstraint("correct_answers >= 0", name="correct_answers_nonnegative"),
        CheckConstraint("correct_answers <= total_questions", name="correct_not_above_total"),
        CheckConstraint(
            "score_percentage >= 0 AND score_percentage <= 100", name="score_percentage_range"
        ),
        CheckConstraint("time_taken_seconds >= 0", name="time_taken_nonnegative"),
        CheckConstraint("xp_earned >= 0", name="xp_earned_nonnegative"),
        # addition: an attempt is open while its quiz runs, completed once finalized.
        CheckConstraint("status IN ('in_progress', 'completed')", name="status_valid"),
        Index(
            "ix_quiz_attempts_exam_type_score_percentage_completed_at",
            "exam_type",
            "score_percentage",
            "completed_at",
        ),
        Index("ix_quiz_attempts_user_id_completed_at", "user_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    exam_type: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    total_questions: Mapped[int] = mapped_column(Integer, nullable=False)
    correct_answers: Mapped[int] = mapped_column(Integer, nullable=False)
    score_percentage: Mapped[float] = mapped_column(Float, nullable=False)
    time_taken_seconds: Mapped[int | None] = mapped_column(Integer)
    xp_earned: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    completed_at: Mapped[dt.datetime] = mapped_column(
        nullable=False, server_default=_now(), index=True
    )
    # additions (docs/schema.md): the server it was played in, its state, its start.
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=text("'completed'"), default="completed"
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    answers: Mapped[list[UserAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True
    )


class UserAnswer(Base):
    __tablename__ = "user_answers"
    __table_args__ = (
        CheckConstraint(f"user_answer {LETTERS_CHECK}", name="user_answer_letter"),
        CheckConstraint(f"correct_answer {LETTERS_CHECK}", name="correct_answer_letter"),
        CheckConstraint("time_spent_seconds >= 0", name="time_spent_nonnegative"),
        # addition: one answer per (attempt, question); a second click is a no-op.
        UniqueConstraint("quiz_attempt_id", "question_id"),
        Index("ix_user_answers_user_id_is_correct", "user_id", "is_correct"),
        Index("ix_user_answers_quiz_attempt_id_is_correct", "quiz_attempt_id", "is_correct"),
        Index("ix_user_answers_question_id_is_correct", "question_id", "is_correct"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    quiz_attempt_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="SET NULL"), index=True
    )
    user_answer: Mapped[str] = mapped_column(String(1), nullable=False)
    correct_answer: Mapped[str] = mapped_column(String(1), nullable=False)
    is_correct: Mapped[bool] = mapped_column(Boolean, nullable=False, index=True)
    time_spent_seconds: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class Achievement(Base):
    __tablename__ = "achievements"
    __table_args__ = (
        CheckConstraint(EXAM_CHECK, name="exam_type_valid"),  # addition (0005)
        CheckConstraint("criteria_value > 0", name="criteria_value_positive"),
        CheckConstraint("xp_reward >= 0", name="xp_reward_nonnegative"),
        # addition: only the seven documented criteria types.
        CheckConstraint(
            "criteria_type IN (" + ", ".join(f"'{c}'" for c in CRITERIA_TYPES) + ")",
            name="criteria_type_valid",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    badge_icon_url: Mapped[str | None] = mapped_column(String(500))
    criteria_type: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    criteria_value: Mapped[int] = mapped_column(Integer, nullable=False)
    xp_reward: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    unlocks_avatar_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey("avatars.id", ondelete="SET NULL", use_alter=True),
    )
    display_order: Mapped[int | None] = mapped_column(Integer, server_default=text("0"), default=0)
    is_hidden: Mapped[bool | None] = mapped_column(Boolean, server_default=false(), default=False)
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())
    # additions: which exam an exam_specific achievement counts; its display category.
    exam_type: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(50))


class UserAchievement(Base):
    __tablename__ = "user_achievements"
    __table_args__ = (Index("ix_user_achievements_user_id_earned_at", "user_id", "earned_at"),)

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    achievement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    earned_at: Mapped[dt.datetime] = mapped_column(
        nullable=False, server_default=_now(), index=True
    )
    progress_value: Mapped[int | None] = mapped_column(Integer)


class Avatar(Base):
    __tablename__ = "avatars"
    __table_args__ = (
        # addition: the four documented tiers.
        CheckConstraint(
            "rarity IN (" + ", ".join(f"'{r}'" for r in RARITIES) + ")", name="rarity_valid"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str] = mapped_column(String(500), nullable=False)
    is_default: Mapped[bool | None] = mapped_column(Boolean, server_default=false(), default=False)
    required_achievement_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("achievements.id", ondelete="SET NULL")
    )
    rarity: Mapped[str | None] = mapped_column(String(20))
    display_order: Mapped[int | None] = mapped_column(Integer, server_default=text("0"), default=0)
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=_now())


class UserAvatar(Base):
    __tablename__ = "user_avatars"
    __table_args__ = (Index("ix_user_avatars_user_id_unlocked_at", "user_id", "unlocked_at"),)

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    avatar_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("avatars.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    unlocked_at: Mapped[dt.datetime] = mapped_column(nullable=False, server_default=_now())
