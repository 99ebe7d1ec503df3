"""mock exams: a member's timed sittings and their items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXAM_TYPES = ("a1101", "a1102", "network", "security", "a1201", "a1202")
EXAM_CHECK = "exam_type IN (" + ", ".join(f"'{t}'" for t in EXAM_TYPES) + ")"
RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.create_table(
        "mock_exams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exam_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'running'"),
                  nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correct_count", sa.Integer(), nullable=True),
        sa.Column("scaled_score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.CheckConstraint(EXAM_CHECK, name=op.f("ck_mock_exams_exam_type_valid")),
        sa.CheckConstraint(
            "status IN ('running', 'submitted', 'timed_out')",
            name=op.f("ck_mock_exams_status_valid"),
        ),
        sa.CheckConstraint(
            "question_count > 0 AND question_count <= 90",
            name=op.f("ck_mock_exams_question_count_range"),
        ),
        sa.CheckConstraint("time_limit_seconds > 0", name=op.f("ck_mock_exams_time_limit_positive")),
        sa.CheckConstraint("ends_at > started_at", name=op.f("ck_mock_exams_ends_after_start")),
        sa.CheckConstraint(
            "position >= 0 AND position < question_count", name=op.f("ck_mock_exams_position_range")
        ),
        sa.CheckConstraint(
            "correct_count IS NULL OR (correct_count >= 0 AND correct_count <= question_count)",
            name=op.f("ck_mock_exams_correct_count_range"),
        ),
        sa.CheckConstraint(
            "(status = 'running') = (finished_at IS NULL)",
            name=op.f("ck_mock_exams_finished_when_not_running"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mock_exams_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mock_exams")),
    )
    with op.batch_alter_table("mock_exams", schema=None) as batch_op:
        batch_op.create_index(
            "uq_mock_exams_running_user",
            ["user_id"],
            unique=True,
            postgresql_where=RUNNING,
            sqlite_where=RUNNING,
        )
        batch_op.create_index("ix_mock_exams_status_ends_at", ["status", "ends_at"], unique=False)
        batch_op.create_index(
            "ix_mock_exams_user_id_started_at", ["user_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_mock_exams_finished_at", ["finished_at"], unique=False)

    op.create_table(
        "mock_exam_items",
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=10), nullable=False),
        sa.Column("chosen", sa.String(length=1), nullable=True),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("position >= 0", name=op.f("ck_mock_exam_items_position_nonnegative")),
        sa.CheckConstraint(
            "chosen IS NULL OR chosen IN ('A', 'B', 'C', 'D')",
            name=op.f("ck_mock_exam_items_chosen_letter"),
        ),
        sa.CheckConstraint(
            "(chosen IS NULL) = (answered_at IS NULL)",
            name=op.f("ck_mock_exam_items_answered_when_chosen"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["mock_exams.id"], name=op.f("fk_mock_exam_items_exam_id_mock_exams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"],
            name=op.f("fk_mock_exam_items_question_id_questions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("exam_id", "position", name=op.f("pk_mock_exam_items")),
    )


def downgrade() -> None:
    op.drop_table("mock_exam_items")
    with op.batch_alter_table("mock_exams", schema=None) as batch_op:
        batch_op.drop_index("ix_mock_exams_finished_at")
        batch_op.drop_index("ix_mock_exams_user_id_started_at")
        batch_op.drop_index("ix_mock_exams_status_ends_at")
        batch_op.drop_index("uq_mock_exams_running_user", sqlite_where=RUNNING,
                            postgresql_where=RUNNING)
    op.drop_table("mock_exams")
