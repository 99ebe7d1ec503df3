"""exam registry: A+ 220-1201/1202 beside the spec's four; question difficulty

Every exam_type column gets a CHECK naming the registry's exams at this revision (the spec's
four stay valid; a1201/a1202 join), and questions get a difficulty (1 easy, 2 exam level,
3 hard; existing questions 2). Rows keep their exam type: a1101/a1102 attempts stay what
they were, only marked retired by the registry's dates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the registry at this revision (db/exams.py); a later exam needs a later migration
EXAM_TYPES = ("a1101", "a1102", "network", "security", "a1201", "a1202")
EXAM_CHECK = "exam_type IN (" + ", ".join(f"'{t}'" for t in EXAM_TYPES) + ")"
TABLES = ("questions", "quiz_attempts", "achievements", "quiz_sessions", "user_objective_stats")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_exam_type_valid"), EXAM_CHECK)
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("difficulty", sa.SmallInteger(), server_default=sa.text("2"), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_questions_difficulty_range"), "difficulty >= 1 AND difficulty <= 3"
        )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_questions_difficulty_range"), type_="check")
        batch_op.drop_column("difficulty")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_exam_type_valid"), type_="check")
