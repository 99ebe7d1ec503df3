"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:33:24.205850
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("badge_icon_url", sa.String(length=500), nullable=True),
        sa.Column("criteria_type", sa.String(length=50), nullable=False),
        sa.Column("criteria_value", sa.Integer(), nullable=False),
        sa.Column("xp_reward", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unlocks_avatar_id", sa.Integer(), nullable=True),
        sa.Column("display_order", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("is_hidden", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.Column("exam_type", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.CheckConstraint(
            "criteria_type IN ('quiz_completed', 'perfect_quiz', 'high_score_quiz', 'correct_answers', 'study_streak', 'level_reached', 'exam_specific')",
            name=op.f("ck_achievements_criteria_type_valid"),
        ),
        sa.CheckConstraint(
            "criteria_value > 0", name=op.f("ck_achievements_criteria_value_positive")
        ),
        sa.CheckConstraint("xp_reward >= 0", name=op.f("ck_achievements_xp_reward_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
    )
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_achievements_criteria_type"), ["criteria_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_achievements_name"), ["name"], unique=True)

    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=True),
        sa.Column("exam_type", sa.String(length=20), nullable=True),
        sa.Column("domain", sa.String(length=20), nullable=True),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("correct_answer", sa.String(length=1), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.CheckConstraint(
            "correct_answer IN ('A', 'B', 'C', 'D')",
            name=op.f("ck_questions_correct_answer_letter"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint(
            "exam_type", "question_id", name=op.f("uq_questions_exam_type_question_id")
        ),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_exam_type"), ["exam_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_question_id"), ["question_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.Column("discord_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("discord_id", name=op.f("uq_users_discord_id")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=True)
        batch_op.create_index(batch_op.f("ix_users_username"), ["username"], unique=True)

    op.create_table(
        "avatars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("required_achievement_id", sa.Integer(), nullable=True),
        sa.Column("rarity", sa.String(length=20), nullable=True),
        sa.Column("display_order", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.CheckConstraint(
            "rarity IN ('common', 'rare', 'epic', 'legendary')",
            name=op.f("ck_avatars_rarity_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["required_achievement_id"],
            ["achievements.id"],
            name=op.f("fk_avatars_required_achievement_id_achievements"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avatars")),
    )
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_avatars_name"), ["name"], unique=True)

    # achievements <-> avatars reference each other: add this side once avatars exists.
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_achievements_unlocks_avatar_id_avatars"),
            "avatars",
            ["unlocks_avatar_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("exam_type", sa.String(length=20), nullable=False),
        sa.Column("total_questions", sa.Integer(), nullable=False),
        sa.Column("correct_answers", sa.Integer(), nullable=False),
        sa.Column("score_percentage", sa.Float(), nullable=False),
        sa.Column("time_taken_seconds", sa.Integer(), nullable=True),
        sa.Column("xp_earned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "completed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'completed'"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed')", name=op.f("ck_quiz_attempts_status_valid")
        ),
        sa.CheckConstraint(
            "correct_answers <= total_questions",
            name=op.f("ck_quiz_attempts_correct_not_above_total"),
        ),
        sa.CheckConstraint(
            "correct_answers >= 0", name=op.f("ck_quiz_attempts_correct_answers_nonnegative")
        ),
        sa.CheckConstraint(
            "score_percentage >= 0 AND score_percentage <= 100",
            name=op.f("ck_quiz_attempts_score_percentage_range"),
        ),
        sa.CheckConstraint(
            "time_taken_seconds >= 0", name=op.f("ck_quiz_attempts_time_taken_nonnegative")
        ),
        sa.CheckConstraint(
            "total_questions > 0", name=op.f("ck_quiz_attempts_total_questions_positive")
        ),
        sa.CheckConstraint("xp_earned >= 0", name=op.f("ck_quiz_attempts_xp_earned_nonnegative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_quiz_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempts")),
    )
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quiz_attempts_completed_at"), ["completed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quiz_attempts_exam_type"), ["exam_type"], unique=False)
        batch_op.create_index(
            "ix_quiz_attempts_exam_type_score_percentage_completed_at",
            ["exam_type", "score_percentage", "completed_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_quiz_attempts_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_quiz_attempts_user_id_completed_at", ["user_id", "completed_at"], unique=False
        )

    op.create_table(
        "user_achievements",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column(
            "earned_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("progress_value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_user_achievements_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_achievements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "achievement_id", name=op.f("pk_user_achievements")),
    )
    with op.batch_alter_table("user_achievements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_achievements_achievement_id"), ["achievement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_achievements_earned_at"), ["earned_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_user_achievements_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_user_achievements_user_id_earned_at", ["user_id", "earned_at"], unique=False
        )

    op.create_table(
        "user_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("quiz_attempt_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("user_answer", sa.String(length=1), nullable=False),
        sa.Column("correct_answer", sa.String(length=1), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column("time_spent_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "answered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.CheckConstraint(
            "correct_answer IN ('A', 'B', 'C', 'D')",
            name=op.f("ck_user_answers_correct_answer_letter"),
        ),
        sa.CheckConstraint(
            "user_answer IN ('A', 'B', 'C', 'D')", name=op.f("ck_user_answers_user_answer_letter")
        ),
        sa.CheckConstraint(
            "time_spent_seconds >= 0", name=op.f("ck_user_answers_time_spent_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_user_answers_question_id_questions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quiz_attempt_id"],
            ["quiz_attempts.id"],
            name=op.f("fk_user_answers_quiz_attempt_id_quiz_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_answers")),
        sa.UniqueConstraint(
            "quiz_attempt_id",
            "question_id",
            name=op.f("uq_user_answers_quiz_attempt_id_question_id"),
        ),
    )
    with op.batch_alter_table("user_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_answers_is_correct"), ["is_correct"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_answers_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(
            "ix_user_answers_question_id_is_correct", ["question_id", "is_correct"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_answers_quiz_attempt_id"), ["quiz_attempt_id"], unique=False
        )
        batch_op.create_index(
            "ix_user_answers_quiz_attempt_id_is_correct",
            ["quiz_attempt_id", "is_correct"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_user_answers_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_user_answers_user_id_is_correct", ["user_id", "is_correct"], unique=False
        )

    op.create_table(
        "user_avatars",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("avatar_id", sa.Integer(), nullable=False),
        sa.Column(
            "unlocked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["avatar_id"],
            ["avatars.id"],
            name=op.f("fk_user_avatars_avatar_id_avatars"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_avatars_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "avatar_id", name=op.f("pk_user_avatars")),
    )
    with op.batch_alter_table("user_avatars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_avatars_avatar_id"), ["avatar_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_avatars_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_user_avatars_user_id_unlocked_at", ["user_id", "unlocked_at"], unique=False
        )

    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column("selected_avatar_id", sa.Integer(), nullable=True),
        sa.Column("xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("study_streak_current", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("study_streak_longest", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("total_exams_taken", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "total_questions_answered", sa.Integer(), server_default=sa.text("0"), nullable=True
        ),
        sa.Column("last_activity_date", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True
        ),
        sa.Column(
            "timezone", sa.String(length=64), server_default=sa.text("'UTC'"), nullable=False
        ),
        sa.Column("remind_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("remind_hour", sa.SmallInteger(), nullable=True),
        sa.Column("remind_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("remind_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_unanswered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("remind_disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("remind_prompted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "remind_hour >= 0 AND remind_hour <= 23",
            name=op.f("ck_user_profiles_remind_hour_range"),
        ),
        sa.ForeignKeyConstraint(
            ["selected_avatar_id"],
            ["avatars.id"],
            name=op.f("fk_user_profiles_selected_avatar_id_avatars"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_profiles")),
    )
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_profiles_remind_due", ["remind_enabled", "remind_next_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_user_profiles_remind_due")

    op.drop_table("user_profiles")
    with op.batch_alter_table("user_avatars", schema=None) as batch_op:
        batch_op.drop_index("ix_user_avatars_user_id_unlocked_at")
        batch_op.drop_index(batch_op.f("ix_user_avatars_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_avatars_avatar_id"))

    op.drop_table("user_avatars")
    with op.batch_alter_table("user_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_user_answers_user_id_is_correct")
        batch_op.drop_index(batch_op.f("ix_user_answers_user_id"))
        batch_op.drop_index("ix_user_answers_quiz_attempt_id_is_correct")
        batch_op.drop_index(batch_op.f("ix_user_answers_quiz_attempt_id"))
        batch_op.drop_index("ix_user_answers_question_id_is_correct")
        batch_op.drop_index(batch_op.f("ix_user_answers_question_id"))
        batch_op.drop_index(batch_op.f("ix_user_answers_is_correct"))

    op.drop_table("user_answers")
    with op.batch_alter_table("user_achievements", schema=None) as batch_op:
        batch_op.drop_index("ix_user_achievements_user_id_earned_at")
        batch_op.drop_index(batch_op.f("ix_user_achievements_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_achievements_earned_at"))
        batch_op.drop_index(batch_op.f("ix_user_achievements_achievement_id"))

    op.drop_table("user_achievements")
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_attempts_user_id_completed_at")
        batch_op.drop_index(batch_op.f("ix_quiz_attempts_user_id"))
        batch_op.drop_index("ix_quiz_attempts_exam_type_score_percentage_completed_at")
        batch_op.drop_index(batch_op.f("ix_quiz_attempts_exam_type"))
        batch_op.drop_index(batch_op.f("ix_quiz_attempts_completed_at"))

    op.drop_table("quiz_attempts")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_achievements_unlocks_avatar_id_avatars"), type_="foreignkey"
        )
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_avatars_name"))

    op.drop_table("avatars")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username"))
        batch_op.drop_index(batch_op.f("ix_users_email"))

    op.drop_table("users")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_question_id"))
        batch_op.drop_index(batch_op.f("ix_questions_exam_type"))
        batch_op.drop_index(batch_op.f("ix_questions_domain"))

    op.drop_table("questions")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_achievements_name"))
        batch_op.drop_index(batch_op.f("ix_achievements_criteria_type"))

    op.drop_table("achievements")
