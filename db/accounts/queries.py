"""Account and profile queries: users, profiles, default avatars, the link throttle, merges.

Helpers flush at most, never commit: the caller's unit of work owns the transaction.
Counters move by atomic SQL (``xp = xp + :gain``); rows another transaction may change at the
same moment are read ``FOR UPDATE`` (a no-op on SQLite, whose writers are serialized anyway).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, delete, func, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import insert
from db.models import (
    Achievement,
    Avatar,
    QuizAttempt,
    User,
    UserAchievement,
    UserAnswer,
    UserAvatar,
    UserProfile,
)
from db.progression.models import LinkAttempt
from db.progression.records import UnlockedAvatar
from db.utc import as_aware as as_aware
from db.utc import to_utc as to_utc

log = logging.getLogger(__name__)

# Profile settings that only the bot knows (time zone, reminders, DM channel): on a merge they
# come from the Discord account, because the web app has none of them.
BOT_SETTINGS_COLUMNS: tuple[str, ...] = (
    "timezone",
    "remind_enabled",
    "remind_hour",
    "remind_next_at",
    "reminded_on",
    "remind_lease_until",
    "remind_unanswered",
    "remind_disabled_reason",
    "remind_prompted",
    "dm_channel_id",
)






@dataclass(frozen=True, slots=True)
class AccountRow:
    user_id: int
    discord_id: int | None
    username: str
    email: str
    is_active: bool
    has_profile: bool
    xp: int
    level: int
    timezone: str
    selected_avatar_id: int | None


@dataclass(frozen=True, slots=True)
class LockedProfile:
    user_id: int
    xp: int
    level: int
    streak_current: int
    streak_longest: int
    total_exams_taken: int
    total_questions_answered: int
    last_activity_date: dt.date | None
    timezone: str
    selected_avatar_id: int | None


_ACCOUNT_COLUMNS = (
    User.id,
    User.discord_id,
    User.username,
    User.email,
    User.is_active,
    UserProfile.user_id.label("profile_user_id"),
    UserProfile.xp,
    UserProfile.level,
    UserProfile.timezone,
    UserProfile.selected_avatar_id,
)


def _account_row(row: Any) -> AccountRow:
    (uid, discord_id, username, email, is_active, profile_uid, xp, level, tz, avatar) = row
    return AccountRow(
        user_id=int(uid),
        discord_id=discord_id,
        username=str(username),
        email=str(email),
        is_active=is_active is not False,
        has_profile=profile_uid is not None,
        xp=int(xp or 0),
        level=int(level or 1),
        timezone=str(tz or "UTC"),
        selected_avatar_id=avatar,
    )


async def find_by_discord_id(session: AsyncSession, discord_id: int) -> AccountRow | None:
    """The account mapped to a Discord user, with its profile: one SELECT (the hot path)."""
    stmt = (
        select(*_ACCOUNT_COLUMNS)
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .where(User.discord_id == discord_id)
    )
    row = (await session.execute(stmt)).first()
    return _account_row(row) if row else None


async def find_by_user_id(session: AsyncSession, user_id: int) -> AccountRow | None:
    stmt = (
        select(*_ACCOUNT_COLUMNS)
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .where(User.id == user_id)
    )
    row = (await session.execute(stmt)).first()
    return _account_row(row) if row else None


async def find_login(session: AsyncSession, email: str) -> tuple[int, str, str, int | None] | None:
    """(user id, username, password hash, discord id) of the account with ``email``.

    Emails compare case-insensitively.
    """
    stmt = select(User.id, User.username, User.hashed_password, User.discord_id).where(
        func.lower(User.email) == email.strip().lower()
    )
    row = (await session.execute(stmt.order_by(User.id).limit(1))).first()
    if row is None:
        return None
    return int(row[0]), str(row[1]), str(row[2]), row[3]


async def taken_usernames(session: AsyncSession, candidates: Sequence[str]) -> set[str]:
    stmt = select(User.username).where(User.username.in_(list(candidates)))
    return set((await session.scalars(stmt)).all())


async def email_taken(session: AsyncSession, email: str) -> bool:
    stmt = select(User.id).where(User.email == email).limit(1)
    return (await session.scalar(stmt)) is not None


async def insert_discord_user(
    session: AsyncSession, *, discord_id: int, username: str, email: str, hashed_password: str
) -> int | None:
    """Insert a Discord-only user; None when any unique key (discord id, username, email)
    is already taken, including by a concurrent transaction (which this waits for)."""
    stmt = (
        insert(session, User)
        .values(
            discord_id=discord_id,
            username=username,
            email=email,
            hashed_password=hashed_password,
            is_active=True,
            is_verified=False,
        )
        .on_conflict_do_nothing()
        .returning(User.id)
    )
    user_id = (await session.execute(stmt)).scalar_one_or_none()
    return int(user_id) if user_id is not None else None


def _default_avatar_id() -> object:
    return (
        select(Avatar.id)
        .where(Avatar.is_default == true())
        .order_by(Avatar.display_order, Avatar.id)
        .limit(1)
        .scalar_subquery()
    )


async def ensure_profile(session: AsyncSession, user_id: int) -> None:
    """A profile with the common avatars unlocked and the first one equipped (idempotent)."""
    await session.execute(
        insert(session, UserProfile)
        .values(user_id=user_id, selected_avatar_id=_default_avatar_id())
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    await session.execute(
        insert(session, UserAvatar)
        .from_select(
            ["user_id", "avatar_id"],
            select(literal(user_id, Integer), Avatar.id).where(Avatar.is_default == true()),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "avatar_id"])
    )


async def delete_by_discord_id(session: AsyncSession, discord_id: int) -> int | None:
    """Delete the user (everything cascades); the deleted id or None."""
    stmt = delete(User).where(User.discord_id == discord_id).returning(User.id)
    user_id = (await session.execute(stmt)).scalar_one_or_none()
    await session.execute(delete(LinkAttempt).where(LinkAttempt.discord_id == discord_id))
    return int(user_id) if user_id is not None else None


async def set_password_hash(session: AsyncSession, user_id: int, hashed: str) -> bool:
    stmt = update(User).where(User.id == user_id).values(hashed_password=hashed).returning(User.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# --- profiles -------------------------------------------------------------------------------


async def lock_profile(session: AsyncSession, user_id: int) -> LockedProfile | None:
    """Read a profile ``FOR UPDATE``: concurrent finishes of one user queue up here."""
    p = UserProfile
    stmt = (
        select(
            p.user_id,
            p.xp,
            p.level,
            p.study_streak_current,
            p.study_streak_longest,
            p.total_exams_taken,
            p.total_questions_answered,
            p.last_activity_date,
            p.timezone,
            p.selected_avatar_id,
        )
        .where(p.user_id == user_id)
        .with_for_update()
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return LockedProfile(
        user_id=int(row[0]),
        xp=int(row[1] or 0),
        level=int(row[2] or 1),
        streak_current=int(row[3] or 0),
        streak_longest=int(row[4] or 0),
        total_exams_taken=int(row[5] or 0),
        total_questions_answered=int(row[6] or 0),
        last_activity_date=row[7],
        timezone=str(row[8] or "UTC"),
        selected_avatar_id=row[9],
    )


async def add_xp(session: AsyncSession, user_id: int, gain: int) -> int:
    """``xp = xp + :gain``; returns the new total."""
    stmt = (
        update(UserProfile)
        .where(UserProfile.user_id == user_id)
        .values(xp=UserProfile.xp + gain)
        .returning(UserProfile.xp)
    )
    return int((await session.execute(stmt)).scalar_one())


async def set_level(session: AsyncSession, user_id: int, level: int) -> None:
    await session.execute(
        update(UserProfile).where(UserProfile.user_id == user_id).values(level=level)
    )


# --- avatars ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AvatarStatus:
    avatar: UnlockedAvatar
    unlocked: bool
    equipped: bool
    required_achievement: str | None
    display_order: int
    secret_requirement: bool = False
    """The unlocking achievement is hidden: do not name it to someone who has not earned it."""


async def avatar_statuses(session: AsyncSession, user_id: int) -> list[AvatarStatus]:
    """Every avatar with whether ``user_id`` unlocked and equipped it, in display order."""
    equipped = (
        select(UserProfile.selected_avatar_id)
        .where(UserProfile.user_id == user_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Avatar.id,
            Avatar.name,
            Avatar.rarity,
            Avatar.image_url,
            Avatar.description,
            Avatar.display_order,
            UserAvatar.user_id,
            Achievement.name,
            (Avatar.id == equipped).label("equipped"),
            Achievement.is_hidden,
        )
        .outerjoin(
            UserAvatar, (UserAvatar.avatar_id == Avatar.id) & (UserAvatar.user_id == user_id)
        )
        .outerjoin(Achievement, Achievement.id == Avatar.required_achievement_id)
        .order_by(Avatar.display_order, Avatar.id)
    )
    return [
        AvatarStatus(
            avatar=UnlockedAvatar(int(r[0]), str(r[1]), r[2], str(r[3]), r[4]),
            unlocked=r[6] is not None,
            equipped=bool(r[8]),
            required_achievement=r[7],
            display_order=int(r[5] or 0),
            secret_requirement=bool(r[9]),
        )
        for r in await session.execute(stmt)
    ]


async def set_selected_avatar(session: AsyncSession, user_id: int, avatar_id: int) -> None:
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == user_id)
        .values(selected_avatar_id=avatar_id)
    )


# --- link throttle ----------------------------------------------------------------------------

LINK_LOCK_NAMESPACE = 0x4C4E4B  # "LNK": first key of the advisory lock


async def lock_link_slot(session: AsyncSession, discord_id: int) -> None:
    """Serialize link attempts of one Discord user (PostgreSQL advisory transaction lock).

    SQLite serializes writers itself; there a concurrent pair can at worst record one extra
    failure, which only makes the throttle stricter.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(func.pg_advisory_xact_lock(LINK_LOCK_NAMESPACE, discord_id % 2_147_483_647))
        )


async def recent_failed_links(
    session: AsyncSession, discord_id: int, since: dt.datetime
) -> list[dt.datetime]:
    """Times of failed link attempts after ``since``, oldest first."""
    stmt = (
        select(LinkAttempt.attempted_at)
        .where(
            LinkAttempt.discord_id == discord_id,
            LinkAttempt.succeeded == False,  # noqa: E712
            LinkAttempt.attempted_at > to_utc(since),
        )
        .order_by(LinkAttempt.attempted_at)
    )
    return [t for t in (as_aware(x) for x in await session.scalars(stmt)) if t is not None]


async def record_link_attempt(
    session: AsyncSession, discord_id: int, when: dt.datetime, *, succeeded: bool
) -> None:
    await session.execute(
        insert(session, LinkAttempt).values(
            discord_id=discord_id, attempted_at=to_utc(when), succeeded=succeeded
        )
    )


async def prune_link_attempts(session: AsyncSession, discord_id: int, before: dt.datetime) -> None:
    """Forget this user's attempts older than the throttle window (keeps the table small)."""
    await session.execute(
        delete(LinkAttempt).where(
            LinkAttempt.discord_id == discord_id, LinkAttempt.attempted_at < to_utc(before)
        )
    )


async def set_discord_id(session: AsyncSession, user_id: int, discord_id: int | None) -> None:
    await session.execute(update(User).where(User.id == user_id).values(discord_id=discord_id))


# --- merge -----------------------------------------------------------------------------------


async def lock_attempts_of(session: AsyncSession, user_id: int) -> None:
    """Lock a user's attempt rows (in id order) before their profile, like a finish does."""
    await session.execute(
        select(QuizAttempt.id)
        .where(QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.id)
        .with_for_update()
    )


@dataclass(frozen=True, slots=True)
class MergeTotals:
    xp: int
    moved_attempts: int
    duplicate_achievement_xp: int


async def _bot_settings(session: AsyncSession, user_id: int) -> dict[str, object]:
    cols = [getattr(UserProfile, c) for c in BOT_SETTINGS_COLUMNS]
    row = (await session.execute(select(*cols).where(UserProfile.user_id == user_id))).one()
    return dict(zip(BOT_SETTINGS_COLUMNS, row, strict=True))


async def merge_progress(
    session: AsyncSession, *, source: LockedProfile, target: LockedProfile
) -> MergeTotals:
    """Move everything of ``source`` into ``target`` (both profiles locked by the caller).

    Attempts and answers change owner; achievements and avatars are copied with
    ``ON CONFLICT DO NOTHING``. XP is summed minus the rewards of achievements both accounts
    had earned (that reward was granted twice, once per account). Totals are summed, the
    longest streak is the better one, the current streak is the one of the most recent study
    day. The caller deletes ``source`` afterwards.
    """
    src, dst = source.user_id, target.user_id
    dst_earned = select(UserAchievement.achievement_id).where(UserAchievement.user_id == dst)
    duplicate_xp = await session.scalar(
        select(func.coalesce(func.sum(Achievement.xp_reward), 0))
        .join(UserAchievement, UserAchievement.achievement_id == Achievement.id)
        .where(UserAchievement.user_id == src, UserAchievement.achievement_id.in_(dst_earned))
    )
    duplicate_xp = int(duplicate_xp or 0)

    moved = await session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.user_id == src)
        .values(user_id=dst)
        .returning(QuizAttempt.id)
    )
    moved_attempts = len(moved.all())
    await session.execute(update(UserAnswer).where(UserAnswer.user_id == src).values(user_id=dst))
    await session.execute(
        insert(session, UserAchievement)
        .from_select(
            ["user_id", "achievement_id", "earned_at", "progress_value"],
            select(
                literal(dst, Integer),
                UserAchievement.achievement_id,
                UserAchievement.earned_at,
                UserAchievement.progress_value,
            ).where(UserAchievement.user_id == src),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "achievement_id"])
    )
    await session.execute(
        insert(session, UserAvatar)
        .from_select(
            ["user_id", "avatar_id", "unlocked_at"],
            select(literal(dst, Integer), UserAvatar.avatar_id, UserAvatar.unlocked_at).where(
                UserAvatar.user_id == src
            ),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "avatar_id"])
    )

    # The streak of the most recent study day wins; on the same day, the longer one.
    def recency(p: LockedProfile) -> tuple[dt.date, int]:
        return (p.last_activity_date or dt.date.min, p.streak_current)

    latest = max(source, target, key=recency)
    longest = max(source.streak_longest, target.streak_longest, latest.streak_current)
    settings = await _bot_settings(session, src)
    xp_delta = source.xp - duplicate_xp
    p = UserProfile
    new_xp = await session.scalar(
        update(p)
        .where(p.user_id == dst)
        .values(
            xp=func.max(p.xp + xp_delta, 0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(p.xp + xp_delta, 0),
            total_exams_taken=func.coalesce(p.total_exams_taken, 0) + source.total_exams_taken,
            total_questions_answered=func.coalesce(p.total_questions_answered, 0)
            + source.total_questions_answered,
            study_streak_current=latest.streak_current,
            study_streak_longest=longest,
            last_activity_date=latest.last_activity_date,
            selected_avatar_id=func.coalesce(p.selected_avatar_id, source.selected_avatar_id),
            **settings,
        )
        .returning(p.xp)
    )
    return MergeTotals(
        xp=int(new_xp or 0), moved_attempts=moved_attempts, duplicate_achievement_xp=duplicate_xp
    )


async def delete_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(User).where(User.id == user_id))
