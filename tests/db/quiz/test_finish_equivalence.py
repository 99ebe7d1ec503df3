"""Finishing quizzes leaves exactly the state it left before the finalizer was folded into
fewer statements (bench finding 5): profile, attempts, achievements, avatars, reminder state,
board rows and histogram, and every ``FinishResult``, on PostgreSQL and SQLite.

``EXPECTED`` was recorded with the previous implementation (one statement per step:
``apply_quiz``, ``award_achievements``, ``set_level``, ``on_study``, four board upserts).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.quiz.records import FinishResult
from db.leaderboards.models import BoardHistogram, BoardScore
from db.models import (
    Achievement,
    Avatar,
    QuizAttempt,
    UserAchievement,
    UserAvatar,
    UserProfile,
)
from tests.db.factories import make_user
from tests.db.progression_helpers import NOW, play

GUILD = 555_000_111


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def _result(r: FinishResult) -> list[Any]:
    return [
        r.status,
        r.total_questions,
        r.answered,
        r.correct_answers,
        _plain(r.score_percentage),
        r.time_taken_seconds,
        r.quiz_xp.total if r.quiz_xp else None,
        r.achievement_xp,
        r.xp_gained,
        r.total_xp,
        r.old_level,
        r.new_level,
        [r.streak_before, r.streak_after, r.streak.outcome if r.streak else None],
        [a.name for a in r.achievements],
        [a.name for a in r.avatars],
    ]


async def _state(session: AsyncSession, users: dict[int, str]) -> dict[str, Any]:
    p = UserProfile
    profiles = {
        users[int(r[0])]: [_plain(v) for v in r[1:]]
        for r in await session.execute(
            select(
                p.user_id,
                p.xp,
                p.level,
                p.study_streak_current,
                p.study_streak_longest,
                p.total_exams_taken,
                p.total_questions_answered,
                p.last_activity_date,
                p.remind_unanswered,
                p.remind_next_at,
                p.reminded_on,
            ).where(p.user_id.in_(users))
        )
    }
    a = QuizAttempt
    attempts = [
        [users[int(r[0] or 0)], *(_plain(v) for v in r[1:])]
        for r in await session.execute(
            select(
                a.user_id,
                a.exam_type,
                a.status,
                a.total_questions,
                a.correct_answers,
                a.score_percentage,
                a.time_taken_seconds,
                a.xp_earned,
                a.completed_at,
            )
            .where(a.user_id.in_(users))
            .order_by(a.id)
        )
    ]
    achievements = sorted(
        [users[int(u)], str(n), _plain(w)]
        for u, n, w in await session.execute(
            select(UserAchievement.user_id, Achievement.name, UserAchievement.earned_at)
            .join(Achievement, Achievement.id == UserAchievement.achievement_id)
            .where(UserAchievement.user_id.in_(users))
        )
    )
    avatars = sorted(
        [users[int(u)], str(n)]
        for u, n in await session.execute(
            select(UserAvatar.user_id, Avatar.name)
            .join(Avatar, Avatar.id == UserAvatar.avatar_id)
            .where(UserAvatar.user_id.in_(users))
        )
    )
    s = BoardScore
    scores = sorted(
        [users[int(r[0])], *(_plain(v) for v in r[1:])]
        for r in await session.execute(
            select(
                s.user_id,
                s.board,
                s.scope_id,
                s.period,
                s.period_start,
                s.value,
                s.prev_value,
                s.total,
                s.quizzes,
                s.reached_at,
            ).where(s.user_id.in_(users))
        )
    )
    return {
        "profiles": profiles,
        "attempts": attempts,
        "achievements": achievements,
        "avatars": avatars,
        "scores": scores,
    }


async def _histogram(session: AsyncSession) -> dict[tuple[Any, ...], int]:
    h = BoardHistogram
    rows = await session.execute(
        select(h.board, h.scope_id, h.period, h.period_start, h.level, h.bucket, h.count).where(
            h.scope_id.in_((0, GUILD))
        )
    )
    return {tuple(_plain(v) for v in r[:-1]): int(r[-1]) for r in rows}


async def scenario(session: AsyncSession) -> dict[str, Any]:
    """Two users over five days: reminders on and answered, a first finish without a profile,
    guild and global boards, a streak that grows and breaks, achievements with avatars and a
    level-up reached through achievement XP."""
    keen = await make_user(session)
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == keen)
        .values(
            timezone="Europe/Berlin",
            remind_enabled=True,
            remind_hour=19,
            reminded_on=NOW.date(),
            remind_unanswered=2,
            remind_next_at=NOW,
        )
    )
    fresh = await make_user(session)  # no profile yet: the finish creates it
    await session.execute(delete(UserProfile).where(UserProfile.user_id == fresh))
    users = {keen: "keen", fresh: "fresh"}
    # the histogram is shared with every other board row (some tests commit theirs): compare
    # what the scenario moved
    before = await _histogram(session)
    day = dt.timedelta(days=1)
    plays: list[tuple[int, list[bool], str, dt.datetime, int | None, int | None]] = [
        (keen, [True] * 10, "security", NOW, GUILD, 7),
        (keen, [True, False, True, False, True], "network", NOW + dt.timedelta(hours=2), None, 4),
        (fresh, [True, True, False], "a1101", NOW, GUILD, None),
        (keen, [True, False, True], "security", NOW + day, GUILD, 9),
        (keen, [True] * 4, "security", NOW + day + dt.timedelta(minutes=5), GUILD, 3),
        (fresh, [True] * 20, "a1101", NOW + day, None, 2),
        (keen, [False, False], "security", NOW + 3 * day, GUILD, 30),
        (keen, [True] * 50, "security", NOW + 4 * day, None, 1),
    ]
    results = []
    for user, answers, exam, when, guild, seconds in plays:
        result = await play(
            session, user, answers, exam_type=exam, now=when, guild_id=guild, seconds=seconds
        )
        results.append([users[user], *_result(result)])
    state = await _state(session, users)
    state["results"] = results
    after = await _histogram(session)
    state["histogram"] = sorted(
        [*k, after.get(k, 0) - before.get(k, 0)]
        for k in after.keys() | before.keys()
        if after.get(k, 0) != before.get(k, 0)
    )
    return json.loads(json.dumps(state))


async def test_finishing_quizzes_leaves_the_same_state_as_before(session: AsyncSession) -> None:
    assert await scenario(session) == EXPECTED


# fmt: off
EXPECTED: dict[str, Any] = {'achievements': [['fresh', 'First Steps', '2026-03-02T15:00:00+00:00'],
                  ['fresh', 'Perfectionist', '2026-03-03T15:00:00+00:00'],
                  ['keen', 'First Steps', '2026-03-02T15:00:00+00:00'],
                  ['keen', 'Getting the Hang of It', '2026-03-06T15:00:00+00:00'],
                  ['keen', 'Perfectionist', '2026-03-02T15:00:00+00:00'],
                  ['keen', 'Rising Star', '2026-03-06T15:00:00+00:00'],
                  ['keen', 'Security Apprentice', '2026-03-06T15:00:00+00:00'],
                  ['keen', 'Warming Up', '2026-03-05T15:00:00+00:00']],
 'attempts': [['keen', 'security', 'completed', 10, 10, 100.0, 70, 250,
               '2026-03-02T15:00:00+00:00'],
              ['keen', 'network', 'completed', 5, 3, 60.0, 20, 30, '2026-03-02T17:00:00+00:00'],
              ['fresh', 'a1101', 'completed', 3, 2, 66.666667, 0, 45, '2026-03-02T15:00:00+00:00'],
              ['keen', 'security', 'completed', 3, 2, 66.666667, 27, 21,
               '2026-03-03T15:00:00+00:00'],
              ['keen', 'security', 'completed', 4, 4, 100.0, 12, 63, '2026-03-03T15:05:00+00:00'],
              ['fresh', 'a1101', 'completed', 20, 20, 100.0, 40, 390, '2026-03-03T15:00:00+00:00'],
              ['keen', 'security', 'completed', 2, 0, 0.0, 60, 50, '2026-03-05T15:00:00+00:00'],
              ['keen', 'security', 'completed', 50, 50, 100.0, 50, 937,
               '2026-03-06T15:00:00+00:00']],
 'avatars': [['fresh', 'Byte Bot'], ['fresh', 'Firewall Falcon'], ['fresh', 'Packet Owl'],
             ['fresh', 'Rookie Tech'], ['keen', 'Circuit Fox'], ['keen', 'Firewall Falcon'],
             ['keen', 'Router Raccoon']],
 'histogram': [['exam:security', 0, 'all', '1970-01-01', 0, 7333, 1],
               ['exam:security', 0, 'all', '1970-01-01', 1, 229, 1],
               ['exam:security', 0, 'all', '1970-01-01', 2, 7, 1],
               ['exam:security', 0, 'all', '1970-01-01', 3, 0, 1],
               ['exam:security', 0, 'month', '2026-03-01', 0, 7333, 1],
               ['exam:security', 0, 'month', '2026-03-01', 1, 229, 1],
               ['exam:security', 0, 'month', '2026-03-01', 2, 7, 1],
               ['exam:security', 0, 'month', '2026-03-01', 3, 0, 1],
               ['exam:security', 0, 'week', '2026-03-02', 0, 7333, 1],
               ['exam:security', 0, 'week', '2026-03-02', 1, 229, 1],
               ['exam:security', 0, 'week', '2026-03-02', 2, 7, 1],
               ['exam:security', 0, 'week', '2026-03-02', 3, 0, 1],
               ['exam:security', 555000111, 'all', '1970-01-01', 0, 6666, 1],
               ['exam:security', 555000111, 'all', '1970-01-01', 1, 208, 1],
               ['exam:security', 555000111, 'all', '1970-01-01', 2, 6, 1],
               ['exam:security', 555000111, 'all', '1970-01-01', 3, 0, 1],
               ['exam:security', 555000111, 'month', '2026-03-01', 0, 6666, 1],
               ['exam:security', 555000111, 'month', '2026-03-01', 1, 208, 1],
               ['exam:security', 555000111, 'month', '2026-03-01', 2, 6, 1],
               ['exam:security', 555000111, 'month', '2026-03-01', 3, 0, 1],
               ['exam:security', 555000111, 'week', '2026-03-02', 0, 6666, 1],
               ['exam:security', 555000111, 'week', '2026-03-02', 1, 208, 1],
               ['exam:security', 555000111, 'week', '2026-03-02', 2, 6, 1],
               ['exam:security', 555000111, 'week', '2026-03-02', 3, 0, 1],
               ['streak', 0, 'all', '1970-01-01', 0, 2, 2],
               ['streak', 0, 'all', '1970-01-01', 1, 0, 2],
               ['streak', 0, 'all', '1970-01-01', 2, 0, 2],
               ['streak', 0, 'all', '1970-01-01', 3, 0, 2],
               ['streak', 0, 'month', '2026-03-01', 0, 2, 2],
               ['streak', 0, 'month', '2026-03-01', 1, 0, 2],
               ['streak', 0, 'month', '2026-03-01', 2, 0, 2],
               ['streak', 0, 'month', '2026-03-01', 3, 0, 2],
               ['streak', 0, 'week', '2026-03-02', 0, 2, 2],
               ['streak', 0, 'week', '2026-03-02', 1, 0, 2],
               ['streak', 0, 'week', '2026-03-02', 2, 0, 2],
               ['streak', 0, 'week', '2026-03-02', 3, 0, 2],
               ['streak', 555000111, 'all', '1970-01-01', 0, 1, 1],
               ['streak', 555000111, 'all', '1970-01-01', 0, 2, 1],
               ['streak', 555000111, 'all', '1970-01-01', 1, 0, 2],
               ['streak', 555000111, 'all', '1970-01-01', 2, 0, 2],
               ['streak', 555000111, 'all', '1970-01-01', 3, 0, 2],
               ['streak', 555000111, 'month', '2026-03-01', 0, 1, 1],
               ['streak', 555000111, 'month', '2026-03-01', 0, 2, 1],
               ['streak', 555000111, 'month', '2026-03-01', 1, 0, 2],
               ['streak', 555000111, 'month', '2026-03-01', 2, 0, 2],
               ['streak', 555000111, 'month', '2026-03-01', 3, 0, 2],
               ['streak', 555000111, 'week', '2026-03-02', 0, 1, 1],
               ['streak', 555000111, 'week', '2026-03-02', 0, 2, 1],
               ['streak', 555000111, 'week', '2026-03-02', 1, 0, 2],
               ['streak', 555000111, 'week', '2026-03-02', 2, 0, 2],
               ['streak', 555000111, 'week', '2026-03-02', 3, 0, 2],
               ['xp', 0, 'all', '1970-01-01', 0, 435, 1],
               ['xp', 0, 'all', '1970-01-01', 0, 1351, 1],
               ['xp', 0, 'all', '1970-01-01', 1, 13, 1], ['xp', 0, 'all', '1970-01-01', 1, 42, 1],
               ['xp', 0, 'all', '1970-01-01', 2, 0, 1], ['xp', 0, 'all', '1970-01-01', 2, 1, 1],
               ['xp', 0, 'all', '1970-01-01', 3, 0, 2],
               ['xp', 0, 'month', '2026-03-01', 0, 435, 1],
               ['xp', 0, 'month', '2026-03-01', 0, 1351, 1],
               ['xp', 0, 'month', '2026-03-01', 1, 13, 1],
               ['xp', 0, 'month', '2026-03-01', 1, 42, 1],
               ['xp', 0, 'month', '2026-03-01', 2, 0, 1],
               ['xp', 0, 'month', '2026-03-01', 2, 1, 1],
               ['xp', 0, 'month', '2026-03-01', 3, 0, 2],
               ['xp', 0, 'week', '2026-03-02', 0, 435, 1],
               ['xp', 0, 'week', '2026-03-02', 0, 1351, 1],
               ['xp', 0, 'week', '2026-03-02', 1, 13, 1],
               ['xp', 0, 'week', '2026-03-02', 1, 42, 1], ['xp', 0, 'week', '2026-03-02', 2, 0, 1],
               ['xp', 0, 'week', '2026-03-02', 2, 1, 1], ['xp', 0, 'week', '2026-03-02', 3, 0, 2],
               ['xp', 555000111, 'all', '1970-01-01', 0, 45, 1],
               ['xp', 555000111, 'all', '1970-01-01', 0, 384, 1],
               ['xp', 555000111, 'all', '1970-01-01', 1, 1, 1],
               ['xp', 555000111, 'all', '1970-01-01', 1, 12, 1],
               ['xp', 555000111, 'all', '1970-01-01', 2, 0, 2],
               ['xp', 555000111, 'all', '1970-01-01', 3, 0, 2],
               ['xp', 555000111, 'month', '2026-03-01', 0, 45, 1],
               ['xp', 555000111, 'month', '2026-03-01', 0, 384, 1],
               ['xp', 555000111, 'month', '2026-03-01', 1, 1, 1],
               ['xp', 555000111, 'month', '2026-03-01', 1, 12, 1],
               ['xp', 555000111, 'month', '2026-03-01', 2, 0, 2],
               ['xp', 555000111, 'month', '2026-03-01', 3, 0, 2],
               ['xp', 555000111, 'week', '2026-03-02', 0, 45, 1],
               ['xp', 555000111, 'week', '2026-03-02', 0, 384, 1],
               ['xp', 555000111, 'week', '2026-03-02', 1, 1, 1],
               ['xp', 555000111, 'week', '2026-03-02', 1, 12, 1],
               ['xp', 555000111, 'week', '2026-03-02', 2, 0, 2],
               ['xp', 555000111, 'week', '2026-03-02', 3, 0, 2]],
 'profiles': {'fresh': [435, 3, 2, 2, 2, 23, '2026-03-03', 0, None, None],
              'keen': [1351, 5, 2, 2, 6, 74, '2026-03-06', 0, '2026-03-07T18:00:00+00:00',
                       '2026-03-02']},
 'results': [['keen', 'finished', 10, 10, 10, 100.0, 70, 150, 100, 250, 250, 1, 2,
              [0, 1, 'started'], ['First Steps', 'Perfectionist'], ['Firewall Falcon']],
             ['keen', 'finished', 5, 5, 3, 60.0, 20, 30, 0, 30, 280, 2, 2, [1, 1, 'same_day'], [],
              []],
             ['fresh', 'finished', 3, 3, 2, 66.666667, 0, 20, 25, 45, 45, 1, 1, [0, 1, 'started'],
              ['First Steps'], []],
             ['keen', 'finished', 3, 3, 2, 66.666667, 27, 21, 0, 21, 301, 2, 2, [1, 2, 'extended'],
              [], []],
             ['keen', 'finished', 4, 4, 4, 100.0, 12, 63, 0, 63, 364, 2, 2, [2, 2, 'same_day'], [],
              []],
             ['fresh', 'finished', 20, 20, 20, 100.0, 40, 315, 75, 390, 435, 1, 3,
              [1, 2, 'extended'], ['Perfectionist'], ['Firewall Falcon']],
             ['keen', 'finished', 2, 2, 0, 0.0, 60, 0, 50, 50, 414, 2, 3, [2, 1, 'reset'],
              ['Warming Up'], ['Circuit Fox']],
             ['keen', 'finished', 50, 50, 50, 100.0, 50, 787, 150, 937, 1351, 3, 5,
              [1, 2, 'extended'], ['Getting the Hang of It', 'Security Apprentice', 'Rising Star'],
              ['Router Raccoon']]],
 'scores': [['fresh', 'exam:a1101', 0, 'all', '1970-01-01', None, None, 16667, 2,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'exam:a1101', 0, 'month', '2026-03-01', None, None, 16667, 2,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'exam:a1101', 0, 'week', '2026-03-02', None, None, 16667, 2,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'exam:a1101', 555000111, 'all', '1970-01-01', None, None, 6667, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'exam:a1101', 555000111, 'month', '2026-03-01', None, None, 6667, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'exam:a1101', 555000111, 'week', '2026-03-02', None, None, 6667, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'streak', 0, 'all', '1970-01-01', 2, 1, 0, 2, '2026-03-03T15:00:00+00:00'],
            ['fresh', 'streak', 0, 'month', '2026-03-01', 2, 1, 0, 2, '2026-03-03T15:00:00+00:00'],
            ['fresh', 'streak', 0, 'week', '2026-03-02', 2, 1, 0, 2, '2026-03-03T15:00:00+00:00'],
            ['fresh', 'streak', 555000111, 'all', '1970-01-01', 1, None, 0, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'streak', 555000111, 'month', '2026-03-01', 1, None, 0, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'streak', 555000111, 'week', '2026-03-02', 1, None, 0, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'xp', 0, 'all', '1970-01-01', 435, 45, 435, 2, '2026-03-03T15:00:00+00:00'],
            ['fresh', 'xp', 0, 'month', '2026-03-01', 435, 45, 435, 2,
             '2026-03-03T15:00:00+00:00'],
            ['fresh', 'xp', 0, 'week', '2026-03-02', 435, 45, 435, 2, '2026-03-03T15:00:00+00:00'],
            ['fresh', 'xp', 555000111, 'all', '1970-01-01', 45, None, 45, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'xp', 555000111, 'month', '2026-03-01', 45, None, 45, 1,
             '2026-03-02T15:00:00+00:00'],
            ['fresh', 'xp', 555000111, 'week', '2026-03-02', 45, None, 45, 1,
             '2026-03-02T15:00:00+00:00'],
            ['keen', 'exam:network', 0, 'all', '1970-01-01', None, None, 6000, 1,
             '2026-03-02T17:00:00+00:00'],
            ['keen', 'exam:network', 0, 'month', '2026-03-01', None, None, 6000, 1,
             '2026-03-02T17:00:00+00:00'],
            ['keen', 'exam:network', 0, 'week', '2026-03-02', None, None, 6000, 1,
             '2026-03-02T17:00:00+00:00'],
            ['keen', 'exam:security', 0, 'all', '1970-01-01', 7333, 6666, 36667, 5,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'exam:security', 0, 'month', '2026-03-01', 7333, 6666, 36667, 5,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'exam:security', 0, 'week', '2026-03-02', 7333, 6666, 36667, 5,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'exam:security', 555000111, 'all', '1970-01-01', 6666, 8889, 26667, 4,
             '2026-03-05T15:00:00+00:00'],
            ['keen', 'exam:security', 555000111, 'month', '2026-03-01', 6666, 8889, 26667, 4,
             '2026-03-05T15:00:00+00:00'],
            ['keen', 'exam:security', 555000111, 'week', '2026-03-02', 6666, 8889, 26667, 4,
             '2026-03-05T15:00:00+00:00'],
            ['keen', 'streak', 0, 'all', '1970-01-01', 2, 2, 0, 6, '2026-03-03T15:00:00+00:00'],
            ['keen', 'streak', 0, 'month', '2026-03-01', 2, 2, 0, 6, '2026-03-03T15:00:00+00:00'],
            ['keen', 'streak', 0, 'week', '2026-03-02', 2, 2, 0, 6, '2026-03-03T15:00:00+00:00'],
            ['keen', 'streak', 555000111, 'all', '1970-01-01', 2, 2, 0, 4,
             '2026-03-03T15:00:00+00:00'],
            ['keen', 'streak', 555000111, 'month', '2026-03-01', 2, 2, 0, 4,
             '2026-03-03T15:00:00+00:00'],
            ['keen', 'streak', 555000111, 'week', '2026-03-02', 2, 2, 0, 4,
             '2026-03-03T15:00:00+00:00'],
            ['keen', 'xp', 0, 'all', '1970-01-01', 1351, 414, 1351, 6,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'xp', 0, 'month', '2026-03-01', 1351, 414, 1351, 6,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'xp', 0, 'week', '2026-03-02', 1351, 414, 1351, 6,
             '2026-03-06T15:00:00+00:00'],
            ['keen', 'xp', 555000111, 'all', '1970-01-01', 384, 334, 384, 4,
             '2026-03-05T15:00:00+00:00'],
            ['keen', 'xp', 555000111, 'month', '2026-03-01', 384, 334, 384, 4,
             '2026-03-05T15:00:00+00:00'],
            ['keen', 'xp', 555000111, 'week', '2026-03-02', 384, 334, 384, 4,
             '2026-03-05T15:00:00+00:00']]}
# fmt: on
