"""review deck: one FSRS card per member and answered question

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXAM_TYPES = ("a1101", "a1102", "network", "security", "a1201", "a1202")
EXAM_CHECK = "exam_type IN (" + ", ".join(f"'{t}'" for t in EXAM_TYPES) + ")"


def upgrade() -> None:
    op.create_table(
        "review_cards",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("exam_type", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=20), nullable=True),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_review", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interval_days", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reps", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lapses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_correct", sa.Boolean(), nullable=True),
        sa.CheckConstraint(EXAM_CHECK, name=op.f("ck_review_cards_exam_type_valid")),
        sa.CheckConstraint("state >= 0 AND state <= 3", name=op.f("ck_review_cards_state_valid")),
        sa.CheckConstraint(
            "reps >= 0 AND lapses >= 0 AND lapses <= reps",
            name=op.f("ck_review_cards_counts_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_review_cards_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_cards_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "question_id", name=op.f("pk_review_cards")),
    )
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_cards_user_id_exam_type_due", ["user_id", "exam_type", "due"], unique=False
        )
        batch_op.create_index(
            "ix_review_cards_user_id_state_due", ["user_id", "state", "due"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_review_cards_user_id_state_due")
        batch_op.drop_index("ix_review_cards_user_id_exam_type_due")
    op.drop_table("review_cards")
