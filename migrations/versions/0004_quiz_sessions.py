"""quiz sessions: restart-safe live quizzes and their players

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING_GROUP = sa.text("status = 'running' AND mode = 'group'")


def upgrade() -> None:
    op.create_table(
        "quiz_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'running'"),
                  nullable=False),
        sa.Column("phase", sa.String(length=12), server_default=sa.text("'asking'"),
                  nullable=False),
        sa.Column("exam_type", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=20), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("host_discord_id", sa.BigInteger(), nullable=False),
        sa.Column("host_name", sa.String(length=100), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("current_index", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("seconds_per_question", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("question_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("current_index >= 0",
                           name=op.f("ck_quiz_sessions_current_index_nonnegative")),
        sa.CheckConstraint("mode IN ('group', 'solo')", name=op.f("ck_quiz_sessions_mode_valid")),
        sa.CheckConstraint("phase IN ('asking', 'revealed')",
                           name=op.f("ck_quiz_sessions_phase_valid")),
        sa.CheckConstraint("seconds_per_question >= 10 AND seconds_per_question <= 120",
                           name=op.f("ck_quiz_sessions_seconds_range")),
        sa.CheckConstraint("status IN ('running', 'finished')",
                           name=op.f("ck_quiz_sessions_status_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_sessions")),
    )
    with op.batch_alter_table("quiz_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_quiz_sessions_status_mode", ["status", "mode"], unique=False)
        batch_op.create_index(
            "uq_quiz_sessions_running_group_channel", ["channel_id"], unique=True,
            postgresql_where=RUNNING_GROUP, sqlite_where=RUNNING_GROUP,
        )
    op.create_table(
        "quiz_session_players",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["quiz_attempts.id"],
                                name=op.f("fk_quiz_session_players_attempt_id_quiz_attempts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["quiz_sessions.id"],
                                name=op.f("fk_quiz_session_players_session_id_quiz_sessions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_quiz_session_players_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_quiz_session_players")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_quiz_session_players_attempt_id")),
    )


def downgrade() -> None:
    op.drop_table("quiz_session_players")
    with op.batch_alter_table("quiz_sessions", schema=None) as batch_op:
        batch_op.drop_index("uq_quiz_sessions_running_group_channel",
                            postgresql_where=RUNNING_GROUP, sqlite_where=RUNNING_GROUP)
        batch_op.drop_index("ix_quiz_sessions_status_mode")
    op.drop_table("quiz_sessions")
