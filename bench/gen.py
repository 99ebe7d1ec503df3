"""Synthetic CertQuest data at scale, through binary COPY into the real (migrated) schema.

``await generate(url, Spec(users=1_000_000))`` fills, by default, 1 M users with profiles,
5 attempts and ~20 answers per user on average across 1,000 guilds, the achievements and
avatars those users would have earned, and the pre-aggregated tables of db/leaderboards/queries.py
(``board_scores``, ``board_histogram``, ``user_objective_stats``) as ``record_progress`` and
``record_answers_stats`` would have left them after every one of those quizzes, followed by
``prune_periods`` of week and month boards that started before the previous month.

Shape of the data (numpy, seeded, deterministic):

* guild sizes follow Zipf (s = 1): the largest of 1,000 guilds holds ~13 % of the users;
* quizzes per user are lognormal (sigma 1.2): many users have none or one, a few thousands;
* 85 % of quizzes are played in the user's home guild, 5 % in another, 10 % solo (no guild);
  80 % in the user's preferred exam; 2-6 questions (mean 4: 20 M answers for 5 M quizzes);
  accuracy per user ~ Beta(5, 3); completion times uniform over the last 26 weeks;
* streaks follow from the UTC study days (consecutive days extend, a gap resets);
  XP from ``bot.progression.levels.quiz_xp``; achievements evaluated to a fixed point like
  ``bot.progression.achievements.evaluate`` (their XP is folded into the user's last quiz, so the
  sum of
  ``quiz_attempts.xp_earned`` is the profile's XP, as ``finish_attempt`` records it).

Loading: every non-primary index, unique constraint and foreign key of the filled tables is
dropped first and recreated after the COPY (foreign keys ``NOT VALID``: the data is correct by
construction and validating 20 M rows would only cost time), then ``VACUUM ANALYZE``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import numpy as np

from bench.common import pg_connect
from bench.pgcopy import Col, copy_columns, epoch_us
from db.leaderboards.queries import EXAM_MIN_QUIZZES
from db.models import EXAM_TYPES

TABLES = (
    "users",
    "user_profiles",
    "quiz_attempts",
    "user_answers",
    "user_achievements",
    "user_avatars",
    "board_scores",
    "board_histogram",
    "user_objective_stats",
)
LETTERS = np.array([b"A", b"B", b"C", b"D"])
GUILD_BASE = 900_000_000_000_000_000
DISCORD_BASE = 100_000_000_000_000_000
DAY_US = 86_400 * 1_000_000


@dataclass
class Spec:
    users: int
    attempts_per_user: float = 5.0
    answers: bool = True
    """False: attempts without answer rows (4 questions each), no objective stats."""
    guilds: int = 1000
    days: int = 182
    seed: int = 20261125
    boards: bool = True

    @property
    def attempts(self) -> int:
        return int(self.users * self.attempts_per_user)


@dataclass
class GenReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    guild_ids: np.ndarray | None = None
    home_guild: np.ndarray | None = None
    """Home guild id of each user (index = user id - 1)."""
    attempts_of: np.ndarray | None = None
    """Completed quizzes of each user (index = user id - 1)."""

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def level_table(max_level: int = 5000) -> np.ndarray:
    n = np.arange(0, max_level, dtype=np.int64)  # level - 1
    return 5 * n * (n + 1) * (2 * n + 1) // 6 + 25 * n * (n + 1) + 100 * n


_LEVELS = level_table()


def levels_for(xp: np.ndarray) -> np.ndarray:
    """``bot.progression.levels.level_for`` over an array."""
    return np.maximum(np.searchsorted(_LEVELS, xp, side="right"), 1).astype(np.int64)


def quiz_xp(correct: np.ndarray, total: np.ndarray, streak: np.ndarray) -> np.ndarray:
    """``bot.progression.levels.quiz_xp(...).total`` over arrays."""
    base = correct * 10
    perfect = np.where((total > 0) & (correct == total), total * 5, 0)
    percent = np.where(streak <= 1, 0, np.minimum((streak - 1) * 5, 50))
    return base + perfect + (base + perfect) * percent // 100


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def prune_cutoff(now: dt.datetime) -> dt.date:
    """Week and month boards that started before this day are pruned (previous month's 1st)."""
    first = _month_start(now.date())
    return _month_start(first - dt.timedelta(days=1))


Constraint = tuple[str, str, str, str]  # name, kind (p/u/f), table, definition


async def _drop_secondary(conn: asyncpg.Connection) -> tuple[list[Constraint], list[str]]:
    """Drop the keys, foreign keys and indexes of the filled tables; return their definitions."""
    rows = await conn.fetch(
        """SELECT c.conname, c.contype::text, t.relname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           LEFT JOIN pg_class r ON r.oid = c.confrelid
           WHERE c.contype IN ('p', 'u', 'f')
             AND (t.relname = ANY($1::text[]) OR r.relname = ANY($1::text[]))""",
        list(TABLES),
    )
    cons: list[Constraint] = [(r[0], r[1], r[2], r[3]) for r in rows]
    idx = await conn.fetch(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        list(TABLES),
    )
    for name, _kind, table, _ in sorted(cons, key=lambda c: c[1] != "f"):
        await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
    for r in idx:
        await conn.execute(f'DROP INDEX "{r[0]}"')
    return cons, [str(r[1]) for r in idx]


async def _restore_secondary(
    conn: asyncpg.Connection, cons: list[Constraint], indexdefs: list[str]
) -> None:
    for name, kind, table, definition in cons:
        if kind in ("p", "u"):
            await conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for definition in indexdefs:
        await conn.execute(definition)
    for name, kind, table, definition in cons:
        if kind == "f":
            await conn.execute(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition} NOT VALID'
            )


def ends_empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


async def generate(
    url_or_name: str,
    spec: Spec,
    *,
    now: dt.datetime | None = None,
    log: Callable[[str], None] = print,
) -> GenReport:
    """Fill the (migrated, seeded, otherwise empty) database ``bench_…`` named in the URL."""
    report = GenReport(now=now or dt.datetime.now(dt.UTC))
    now = report.now
    name = url_or_name.rsplit("/", 1)[-1]
    conn = await pg_connect(name)
    t0 = time.perf_counter()

    def step(what: str) -> None:
        nonlocal t0
        t = time.perf_counter()
        report.seconds[what] = t - t0
        log(f"  gen {what}: {t - t0:.1f} s")
        t0 = t

    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET work_mem = '256MB'")
        await conn.execute("SET synchronous_commit = off")
        await _fill(conn, spec, report, step)
    finally:
        await conn.close()
    return report


async def _fill(
    conn: asyncpg.Connection, spec: Spec, report: GenReport, step: Callable[[str], None]
) -> None:
    now = report.now
    rng = np.random.default_rng(spec.seed)
    U, A, G = spec.users, spec.attempts, spec.guilds
    questions = await conn.fetch(
        "SELECT id, exam_type, domain, correct_answer FROM questions ORDER BY id"
    )
    defaults = [
        int(r[0])
        for r in await conn.fetch(
            "SELECT id FROM avatars WHERE is_default ORDER BY display_order, id"
        )
    ]
    achievements = await conn.fetch(
        "SELECT id, criteria_type, criteria_value, xp_reward, unlocks_avatar_id, exam_type "
        "FROM achievements ORDER BY display_order, id"
    )
    cons, indexdefs = await _drop_secondary(conn)
    step("drop indexes")

    # --- users and their habits ---
    uid = np.arange(1, U + 1, dtype=np.int64)
    zipf = 1.0 / np.arange(1, G + 1)
    guild_ids = GUILD_BASE + np.arange(G, dtype=np.int64) * (1 << 22)
    home = rng.choice(G, size=U, p=zipf / zipf.sum())
    pref_exam = rng.integers(0, len(EXAM_TYPES), U)
    skill = rng.beta(5, 3, U)
    weight = rng.lognormal(0.0, 1.2, U)
    report.guild_ids = guild_ids
    report.home_guild = guild_ids[home]

    # --- attempts, in completion order (ids grow with time) ---
    now_us = epoch_us(now)
    a_user = rng.choice(U, size=A, p=weight / weight.sum())
    a_time = np.sort(now_us - (rng.random(A) * spec.days * DAY_US).astype(np.int64))
    a_exam = np.where(rng.random(A) < 0.8, pref_exam[a_user], rng.integers(0, 4, A))
    r = rng.random(A)
    a_guild_idx = np.where(r < 0.85, home[a_user], rng.integers(0, G, A))
    a_solo = r >= 0.95
    a_k = rng.integers(2, 7, A) if spec.answers else np.full(A, 4)
    a_correct = rng.binomial(a_k, skill[a_user])
    a_id = np.arange(1, A + 1, dtype=np.int64)
    a_day = a_time // DAY_US

    # streak after each quiz: consecutive UTC study days per user
    order = np.lexsort((a_time, a_user))
    su, sd = a_user[order], a_day[order]
    new_day = np.concatenate(([True], (su[1:] != su[:-1]) | (sd[1:] != sd[:-1])))
    day_idx = np.cumsum(new_day) - 1  # (user, day) pair of each sorted attempt
    pu, pd = su[new_day], sd[new_day]
    run_start = np.concatenate(([True], (pu[1:] != pu[:-1]) | (pd[1:] != pd[:-1] + 1)))
    run_id = np.cumsum(run_start) - 1
    first_of_run = np.flatnonzero(run_start)
    pair_streak = np.arange(len(pu)) - first_of_run[run_id] + 1
    a_streak = np.empty(A, dtype=np.int64)
    a_streak[order] = pair_streak[day_idx]
    a_xp = quiz_xp(a_correct, a_k, a_streak)
    step("attempts (numpy)")

    # --- per-user totals, achievements to a fixed point ---
    n_att = np.bincount(a_user, minlength=U)
    last = np.full(U, -1, dtype=np.int64)
    ends = np.flatnonzero(np.concatenate((su[1:] != su[:-1], [True]))) if A else ends_empty()
    last[su[ends]] = order[ends]  # each user's latest attempt
    has = n_att > 0
    score = a_correct * 100.0 / a_k
    stats = {
        "quiz_completed": n_att,
        "perfect_quiz": np.bincount(a_user, weights=a_correct == a_k, minlength=U),
        "high_score_quiz": np.bincount(a_user, weights=score >= 90.0, minlength=U),
        "correct_answers": np.bincount(a_user, weights=a_correct, minlength=U),
    }
    streak_cur = np.where(has, a_streak[np.maximum(last, 0)], 0)
    streak_long = np.zeros(U, dtype=np.int64)
    np.maximum.at(streak_long, a_user, a_streak)
    stats["study_streak"] = np.maximum(streak_cur, streak_long)
    by_exam = {e: np.bincount(a_user[a_exam == i], minlength=U) for i, e in enumerate(EXAM_TYPES)}
    xp = np.bincount(a_user, weights=a_xp, minlength=U).astype(np.int64)
    earned = np.zeros((U, len(achievements)), dtype=bool)
    rewards = np.array([int(a[3]) for a in achievements], dtype=np.int64)
    while True:
        level = levels_for(xp)
        new_any = False
        for j, (_, ctype, cval, *_rest) in enumerate(achievements):
            exam = achievements[j][5]
            if ctype == "level_reached":
                measure = level
            elif ctype == "exam_specific":
                measure = by_exam.get(exam, np.zeros(U)) if exam else np.zeros(U)
            else:
                measure = stats.get(ctype, np.zeros(U))
            new = (measure >= cval) & has & ~earned[:, j]
            if new.any():
                new_any = True
                earned[:, j] |= new
                xp += np.where(new, rewards[j], 0)
        if not new_any:
            break
    ach_xp = earned.astype(np.int64) @ rewards
    a_xp[last[has]] += ach_xp[has]
    xp = np.bincount(a_user, weights=a_xp, minlength=U).astype(np.int64)
    level = levels_for(xp)
    step("achievements (numpy)")

    # --- answers ---
    q_ids = np.array([int(q[0]) for q in questions], dtype=np.int64)
    q_exam = np.array([EXAM_TYPES.index(q[1]) for q in questions])
    q_letter = np.array([LETTERS.tolist().index(q[3].encode()) for q in questions])
    pools = [rng.permutation(np.flatnonzero(q_exam == e)) for e in range(len(EXAM_TYPES))]
    if spec.answers:
        n_ans = int(a_k.sum())
        s_att = np.repeat(np.arange(A), a_k)
        starts = np.concatenate(([0], np.cumsum(a_k)[:-1]))
        j = np.arange(n_ans) - np.repeat(starts, a_k)
        offset = rng.integers(0, 1 << 30, A)
        s_q = np.empty(n_ans, dtype=np.int64)
        s_exam = a_exam[s_att]
        for e, pool in enumerate(pools):
            m = s_exam == e
            s_q[m] = pool[(offset[s_att[m]] + j[m]) % len(pool)]
        s_ok = j < a_correct[s_att]
        right = q_letter[s_q]
        s_letter = np.where(s_ok, right, (right + rng.integers(1, 4, n_ans)) % 4)
        s_spent = rng.integers(3, 31, n_ans)
        spent_cum = np.cumsum(s_spent)
        a_spent = np.add.reduceat(s_spent, starts)
        a_start = a_time - a_spent * 1_000_000
        s_at = (
            a_start[s_att]
            + (spent_cum - np.repeat(spent_cum[starts] - s_spent[starts], a_k)) * 1_000_000
        )
    else:
        a_spent = a_k * 15
        a_start = a_time - a_spent * 1_000_000
    step("answers (numpy)")

    # --- COPY ---
    created = now_us - spec.days * DAY_US - DAY_US
    username = np.char.add(b"bu", np.char.zfill(uid.astype("S8"), 8))
    report.rows["users"] = await copy_columns(
        conn,
        "users",
        [
            Col("id", "int4", uid),
            Col("email", "text", np.char.add(username, b"@bench.invalid")),
            Col("username", "text", username),
            Col("hashed_password", "text", np.full(U, b"!discord-only")),
            Col("is_active", "bool", np.ones(U, dtype=bool)),
            Col("is_verified", "bool", np.zeros(U, dtype=bool)),
            Col("created_at", "ts", np.full(U, created)),
            Col("updated_at", "ts", np.full(U, created)),
            Col("discord_id", "int8", DISCORD_BASE + uid),
        ],
    )
    last_day = np.where(has, a_day[np.maximum(last, 0)], 0)
    report.rows["user_profiles"] = await copy_columns(
        conn,
        "user_profiles",
        [
            Col("user_id", "int4", uid),
            Col(
                "selected_avatar_id",
                "int4",
                np.full(U, defaults[0] if defaults else 0),
                None if defaults else np.ones(U, dtype=bool),
            ),
            Col("xp", "int4", xp),
            Col("level", "int4", level),
            Col("study_streak_current", "int4", streak_cur),
            Col("study_streak_longest", "int4", streak_long),
            Col("total_exams_taken", "int4", n_att),
            Col("total_questions_answered", "int4", np.bincount(a_user, weights=a_k, minlength=U)),
            Col("last_activity_date", "date", last_day, ~has),
            Col("created_at", "ts", np.full(U, created)),
            Col("timezone", "text", np.full(U, b"UTC")),
            Col("remind_enabled", "bool", np.zeros(U, dtype=bool)),
            Col("remind_unanswered", "int4", np.zeros(U, dtype=np.int64)),
            Col("remind_prompted", "bool", np.ones(U, dtype=bool)),
        ],
    )
    exam_names = np.array([e.encode() for e in EXAM_TYPES])
    report.rows["quiz_attempts"] = await copy_columns(
        conn,
        "quiz_attempts",
        [
            Col("id", "int4", a_id),
            Col("user_id", "int4", a_user + 1),
            Col("exam_type", "text", exam_names[a_exam]),
            Col("total_questions", "int4", a_k),
            Col("correct_answers", "int4", a_correct),
            Col("score_percentage", "float8", score),
            Col("time_taken_seconds", "int4", a_spent),
            Col("xp_earned", "int4", a_xp),
            Col("completed_at", "ts", a_time),
            Col("guild_id", "int8", guild_ids[a_guild_idx], a_solo),
            Col("status", "text", np.full(A, b"completed")),
            Col("started_at", "ts", a_start),
        ],
    )
    step("COPY users, profiles, attempts")
    if spec.answers:
        report.rows["user_answers"] = await copy_columns(
            conn,
            "user_answers",
            [
                Col("id", "int4", np.arange(1, n_ans + 1)),
                Col("user_id", "int4", a_user[s_att] + 1),
                Col("quiz_attempt_id", "int4", s_att + 1),
                Col("question_id", "int4", q_ids[s_q]),
                Col("user_answer", "text", LETTERS[s_letter]),
                Col("correct_answer", "text", LETTERS[right]),
                Col("is_correct", "bool", s_ok),
                Col("time_spent_seconds", "int4", s_spent),
                Col("answered_at", "ts", s_at),
            ],
        )
        step("COPY answers")
    eu, ea = np.nonzero(earned)
    ach_ids = np.array([int(a[0]) for a in achievements], dtype=np.int64)
    report.rows["user_achievements"] = await copy_columns(
        conn,
        "user_achievements",
        [
            Col("user_id", "int4", eu + 1),
            Col("achievement_id", "int4", ach_ids[ea]),
            Col("earned_at", "ts", a_time[last[eu]]),
        ],
    )
    unlocks = np.array([int(a[4] or 0) for a in achievements], dtype=np.int64)
    av_user = [np.repeat(uid, len(defaults))] if defaults else []
    av_id = [np.tile(np.array(defaults, dtype=np.int64), U)] if defaults else []
    m = unlocks[ea] > 0
    av_user.append(eu[m] + 1)
    av_id.append(unlocks[ea[m]])
    avu, avi = np.concatenate(av_user), np.concatenate(av_id)
    report.rows["user_avatars"] = await copy_columns(
        conn,
        "user_avatars",
        [
            Col("user_id", "int4", avu),
            Col("avatar_id", "int4", avi),
            Col("unlocked_at", "ts", np.full(len(avu), created)),
        ],
    )
    step("COPY achievements, avatars")

    if spec.boards:
        await conn.execute(
            "CREATE UNLOGGED TABLE bench_facts (user_id int, guild_id bigint, exam smallint, "
            "xp int, score bigint, streak int, completed_at timestamptz)"
        )
        await copy_columns(
            conn,
            "bench_facts",
            [
                Col("user_id", "int4", a_user + 1),
                Col("guild_id", "int8", guild_ids[a_guild_idx], a_solo),
                Col("exam", "int2", a_exam),
                Col("xp", "int4", a_xp),
                Col("score", "int8", (score * 100 + 0.5).astype(np.int64)),
                Col("streak", "int4", a_streak),
                Col("completed_at", "ts", a_time),
            ],
        )
        await _boards(conn, prune_cutoff(now))
        await conn.execute("DROP TABLE bench_facts")
        step("boards (SQL aggregates)")
        if spec.answers:
            await conn.execute(
                """INSERT INTO user_objective_stats (user_id, exam_type, objective, answered,
                   correct)
                   SELECT a.user_id, q.exam_type, COALESCE(q.domain, ''), count(*),
                          count(*) FILTER (WHERE a.is_correct)
                   FROM user_answers a JOIN questions q ON q.id = a.question_id
                   GROUP BY 1, 2, 3"""
            )
            step("objective stats (SQL aggregate)")
    for table, column, value in (
        ("users", "id", U),
        ("quiz_attempts", "id", A),
        ("user_answers", "id", int(a_k.sum()) if spec.answers else 0),
    ):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), $1, true)",
            max(value, 1),
        )
    await _restore_secondary(conn, cons, indexdefs)
    step("indexes and constraints")
    for table in TABLES:
        await conn.execute(f'VACUUM (ANALYZE) "{table}"')
    step("VACUUM ANALYZE")
    for table in ("board_scores", "board_histogram", "user_objective_stats"):
        report.rows[table] = int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
    report.attempts_of = n_att


_EXPAND = """
    FROM bench_facts f
    CROSS JOIN LATERAL (VALUES (0::bigint), (f.guild_id)) s(scope_id)
    CROSS JOIN LATERAL (VALUES
        ('week'::varchar, date_trunc('week', f.completed_at AT TIME ZONE 'UTC')::date),
        ('month'::varchar, date_trunc('month', f.completed_at AT TIME ZONE 'UTC')::date),
        ('all'::varchar, DATE '1970-01-01')) p(period, period_start)
    {join}
    WHERE s.scope_id IS NOT NULL AND (p.period = 'all' OR p.period_start >= $1)
"""
_SCORE_COLUMNS = (
    "(user_id, board, scope_id, period, period_start, value, prev_value, total, quizzes, "
    "reached_at)"
)


async def _boards(conn: asyncpg.Connection, cutoff: dt.date) -> None:
    """board_scores and board_histogram as record_progress leaves them (see module doc)."""
    exams = ", ".join(f"({i}, 'exam:{e}')" for i, e in enumerate(EXAM_TYPES))
    statements = (
        # xp: XP earned per period and scope; global all time is the total (the same sum)
        f"""INSERT INTO board_scores {_SCORE_COLUMNS}
        SELECT f.user_id, 'xp', s.scope_id, p.period, p.period_start, sum(f.xp), NULL,
               sum(f.xp), count(*),
               coalesce(max(f.completed_at) FILTER (WHERE f.xp <> 0), min(f.completed_at))
        {_EXPAND.format(join="")}
        GROUP BY f.user_id, s.scope_id, p.period, p.period_start""",
        # exam:<type>: average score (hundredths of a percent) from EXAM_MIN_QUIZZES quizzes
        f"""INSERT INTO board_scores {_SCORE_COLUMNS}
        SELECT f.user_id, e.board, s.scope_id, p.period, p.period_start,
               CASE WHEN count(*) >= {EXAM_MIN_QUIZZES} THEN sum(f.score) / count(*) END,
               NULL, sum(f.score), count(*), max(f.completed_at)
        {_EXPAND.format(join=f"JOIN (VALUES {exams}) e(code, board) ON e.code = f.exam")}
        GROUP BY f.user_id, e.board, s.scope_id, p.period, p.period_start""",
        # streak: best streak reached in the period
        f"""INSERT INTO board_scores {_SCORE_COLUMNS}
        SELECT f.user_id, 'streak', s.scope_id, p.period, p.period_start, max(f.streak), NULL,
               0, count(*), max(f.completed_at)
        {_EXPAND.format(join="")}
        GROUP BY f.user_id, s.scope_id, p.period, p.period_start""",
    )
    for sql in statements:
        await conn.execute(sql, cutoff)
    # level 0 counts users per value; each level above sums 32 buckets of the level below
    await conn.execute(
        """INSERT INTO board_histogram (board, scope_id, period, period_start, level, bucket,
           count)
           SELECT board, scope_id, period, period_start, 0, value, count(*)
           FROM board_scores WHERE value IS NOT NULL
           GROUP BY 1, 2, 3, 4, 6"""
    )
    for level in (1, 2, 3):
        await conn.execute(
            f"""INSERT INTO board_histogram (board, scope_id, period, period_start, level,
               bucket, count)
               SELECT board, scope_id, period, period_start, {level}, bucket >> 5, sum(count)
               FROM board_histogram WHERE level = {level - 1}
               GROUP BY 1, 2, 3, 4, 6"""
        )
