"""progression: link-attempt throttle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("discord_id", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
    )
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_link_attempts_discord_id_attempted_at",
            ["discord_id", "attempted_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_link_attempts_discord_id_attempted_at")

    op.drop_table("link_attempts")
