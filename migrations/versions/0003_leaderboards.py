"""leaderboards: pre-aggregated boards, their histograms, per-objective answer counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:00:00.000000

The all-time boards and the objective counts are filled from existing rows (data of the older
web app): global XP and longest streak from ``user_profiles``, guild XP and exam averages from
completed ``quiz_attempts``, objective counts from ``user_answers`` joined to ``questions``.
Week and month boards start empty. The constants below are frozen copies of db/leaderboards/queries.py.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_TIME_START = "1970-01-01"
EXAM_MIN_QUIZZES = 3
HISTOGRAM_LEVELS = 4  # bucket = value // 32 ** level

_SCORE_COLUMNS = (
    "(user_id, board, scope_id, period, period_start, value, total, quizzes, reached_at)"
)
_EXAM_SELECT = f"""
    SELECT user_id, 'exam:' || exam_type, {{scope}}, 'all', '{ALL_TIME_START}',
           CASE WHEN COUNT(*) >= {EXAM_MIN_QUIZZES}
                THEN CAST(SUM(CAST(ROUND(score_percentage * 100) AS BIGINT)) AS BIGINT) / COUNT(*)
           END,
           CAST(SUM(CAST(ROUND(score_percentage * 100) AS BIGINT)) AS BIGINT),
           COUNT(*), MAX(completed_at)
    FROM quiz_attempts
    WHERE status = 'completed' AND user_id IS NOT NULL {{where}}
    GROUP BY user_id, exam_type {{group}}
"""
BACKFILL = (
    f"""INSERT INTO board_scores {_SCORE_COLUMNS}
    SELECT user_id, 'xp', 0, 'all', '{ALL_TIME_START}', xp, xp,
           COALESCE(total_exams_taken, 0), :now
    FROM user_profiles WHERE xp > 0""",
    f"""INSERT INTO board_scores {_SCORE_COLUMNS}
    SELECT user_id, 'streak', 0, 'all', '{ALL_TIME_START}', study_streak_longest, 0, 0, :now
    FROM user_profiles WHERE study_streak_longest > 0""",
    f"""INSERT INTO board_scores {_SCORE_COLUMNS}
    SELECT user_id, 'xp', guild_id, 'all', '{ALL_TIME_START}', SUM(xp_earned), SUM(xp_earned),
           COUNT(*), MAX(completed_at)
    FROM quiz_attempts
    WHERE status = 'completed' AND user_id IS NOT NULL AND guild_id IS NOT NULL
    GROUP BY user_id, guild_id""",
    f"INSERT INTO board_scores {_SCORE_COLUMNS}"
    + _EXAM_SELECT.format(scope="0", where="", group=""),
    f"INSERT INTO board_scores {_SCORE_COLUMNS}"
    + _EXAM_SELECT.format(scope="guild_id", where="AND guild_id IS NOT NULL", group=", guild_id"),
    *(
        f"""INSERT INTO board_histogram (board, scope_id, period, period_start, level, bucket, count)
    SELECT board, scope_id, period, period_start, {level}, value / {32**level}, COUNT(*)
    FROM board_scores WHERE value IS NOT NULL
    GROUP BY board, scope_id, period, period_start, value / {32**level}"""
        for level in range(HISTOGRAM_LEVELS)
    ),
    """INSERT INTO user_objective_stats (user_id, exam_type, objective, answered, correct)
    SELECT a.user_id, q.exam_type, COALESCE(q.domain, ''), COUNT(*),
           SUM(CASE WHEN a.is_correct THEN 1 ELSE 0 END)
    FROM user_answers a JOIN questions q ON q.id = a.question_id
    WHERE a.user_id IS NOT NULL AND q.exam_type IS NOT NULL
    GROUP BY a.user_id, q.exam_type, COALESCE(q.domain, '')""",
)


def upgrade() -> None:
    op.create_table(
        "board_histogram",
        sa.Column("board", sa.String(length=24), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint(
            "board",
            "scope_id",
            "period",
            "period_start",
            "level",
            "bucket",
            name=op.f("pk_board_histogram"),
        ),
    )
    op.create_table(
        "board_scores",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("board", sa.String(length=24), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("prev_value", sa.BigInteger(), nullable=True),
        sa.Column("total", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("quizzes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period IN ('week', 'month', 'all')", name=op.f("ck_board_scores_period_valid")
        ),
        sa.CheckConstraint("quizzes >= 0", name=op.f("ck_board_scores_quizzes_nonnegative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_board_scores_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "board", "scope_id", "period", "period_start", name=op.f("pk_board_scores")
        ),
    )
    with op.batch_alter_table("board_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_board_scores_rank",
            [
                "board",
                "scope_id",
                "period",
                "period_start",
                sa.literal_column("value DESC"),
                "reached_at",
                "user_id",
            ],
            unique=False,
        )

    op.create_table(
        "user_objective_stats",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exam_type", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=20), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_user_objective_stats_correct_within_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_objective_stats_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "exam_type", "objective", name=op.f("pk_user_objective_stats")
        ),
    )

    now = sa.bindparam("now", dt.datetime.now(dt.UTC), type_=sa.DateTime(timezone=True))
    for statement in BACKFILL:
        clause = sa.text(statement)
        if ":now" in statement:
            clause = clause.bindparams(now)
        op.execute(clause)


def downgrade() -> None:
    op.drop_table("user_objective_stats")
    with op.batch_alter_table("board_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_board_scores_rank")

    op.drop_table("board_scores")
    op.drop_table("board_histogram")
