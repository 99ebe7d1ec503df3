"""What the profile, avatar, stats, leaderboard and account commands read and change.

Thin services composing the core ones (``bot.accounts.service``, ``bot.progression.awards``,
``bot.profile.stats``, ``bot.leaderboards.service``) so that each command opens one unit of
work and makes one call. Every function takes the caller's ``AsyncSession`` first and never
commits; none of
them imports discord. The rules themselves (XP, levels, streaks, achievement criteria) stay in
their own modules: here they are only applied for display.

Whose data: ``create=True`` is the caller looking at themselves (their account is created on
first use, like on every other command); ``create=False`` is someone else's, which is only
read: ``None`` comes back when that person has no (active) CertQuest account.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import (
    Account,
    equip_avatar,
    get_or_create_account,
    list_avatars,
    set_password,
)
from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.core.hooks import hooks
from bot.core.timezones import validate_timezone
from bot.leaderboards.service import BoardName, LeaderboardPage, leaderboard
from bot.profile.stats import UserStats, user_stats
from bot.progression.achievements import AchievementProgress, UnlockedAvatar
from bot.progression.awards import achievement_progress
from bot.progression.levels import LevelProgress, level_progress
from bot.progression.streaks import effective_streak, local_date, resolve_timezone
from db.accounts import queries as account_db
from db.leaderboards.queries import Period
from db.models import Achievement, Avatar, UserAchievement, UserProfile
from db.progression.achievements import gather_stats

log = logging.getLogger(__name__)

LATEST_ACHIEVEMENTS = 3
AUTOCOMPLETE_LIMIT = 25
NOT_USER_ZONES = frozenset({"localtime", "Factory", "posixrules"})
"""Names ``available_timezones()`` may list that are no place's zone: the host's own zone
(``localtime``) and tzdata's placeholders."""


# --- who -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    username: str


async def _person(
    session: AsyncSession, discord_id: int, display_name: str, *, create: bool
) -> Person | None:
    if create:
        account = await get_or_create_account(session, discord_id, display_name)
        return Person(account.user_id, account.username)
    row = await account_db.find_by_discord_id(session, discord_id)
    if row is None or not row.is_active or not row.has_profile:
        return None
    return Person(row.user_id, row.username)


async def _own_account(session: AsyncSession, discord_id: int, display_name: str) -> Account:
    return await get_or_create_account(session, discord_id, display_name)


# --- /profile ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AvatarInfo:
    id: int
    name: str
    rarity: str | None
    image_url: str
    """Path relative to ``seeds/`` (``seeds.art.asset_path`` gives the file)."""


@dataclass(frozen=True, slots=True)
class EarnedAchievement:
    name: str
    earned_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ProfileCard:
    user_id: int
    username: str
    xp: int
    level: LevelProgress
    """Level and XP inside it, recomputed from the total XP."""
    streak_current: int
    """The streak as it stands today in the user's time zone (0 once a day was missed)."""
    streak_longest: int
    quizzes_completed: int
    questions_answered: int
    correct_answers: int
    achievements_earned: int
    achievements_total: int
    latest_achievements: tuple[EarnedAchievement, ...]
    """Most recent first, at most :data:`LATEST_ACHIEVEMENTS`."""
    avatar: AvatarInfo | None
    timezone: str

    @property
    def accuracy(self) -> float | None:
        """Correct answers over answered questions (completed quizzes), 0.0–1.0; None before
        the first answer."""
        if self.questions_answered <= 0:
            return None
        return min(1.0, self.correct_answers / self.questions_answered)


async def profile_card(
    session: AsyncSession,
    discord_id: int,
    display_name: str,
    *,
    create: bool,
    now: dt.datetime,
) -> ProfileCard | None:
    """Everything ``/profile`` shows for a Discord user (None: someone else without account)."""
    person = await _person(session, discord_id, display_name, create=create)
    if person is None:
        return None
    p = UserProfile
    row = (
        await session.execute(
            select(
                p.xp,
                p.study_streak_current,
                p.study_streak_longest,
                p.last_activity_date,
                p.total_questions_answered,
                p.timezone,
                Avatar.id,
                Avatar.name,
                Avatar.rarity,
                Avatar.image_url,
            )
            .outerjoin(Avatar, Avatar.id == p.selected_avatar_id)
            .where(p.user_id == person.user_id)
        )
    ).one()
    xp, current, longest, last_date, answered, tz, av_id, av_name, av_rarity, av_url = row
    stats = await gather_stats(session, person.user_id)
    tz_name = str(tz or "UTC")
    streak_now = effective_streak(current, last_date, local_date(now, tz_name))
    latest = await session.execute(
        select(Achievement.name, UserAchievement.earned_at)
        .join(Achievement, Achievement.id == UserAchievement.achievement_id)
        .where(UserAchievement.user_id == person.user_id)
        .order_by(UserAchievement.earned_at.desc(), UserAchievement.achievement_id.desc())
        .limit(LATEST_ACHIEVEMENTS)
    )
    earned = await session.scalar(
        select(func.count())
        .select_from(UserAchievement)
        .where(UserAchievement.user_id == person.user_id)
    )
    total = await session.scalar(select(func.count()).select_from(Achievement))
    return ProfileCard(
        user_id=person.user_id,
        username=person.username,
        xp=int(xp or 0),
        level=level_progress(int(xp or 0)),
        streak_current=streak_now,
        streak_longest=max(int(longest or 0), streak_now),
        quizzes_completed=stats.quizzes_completed if stats else 0,
        questions_answered=int(answered or 0),
        correct_answers=stats.correct_answers if stats else 0,
        achievements_earned=int(earned or 0),
        achievements_total=int(total or 0),
        latest_achievements=tuple(
            EarnedAchievement(str(name), account_db.as_aware(when) or now) for name, when in latest
        ),
        avatar=(
            AvatarInfo(int(av_id), str(av_name), av_rarity, str(av_url))
            if av_id is not None
            else None
        ),
        timezone=tz_name,
    )


# --- /achievements -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AchievementBoard:
    user_id: int
    username: str
    achievements: tuple[AchievementProgress, ...]
    """Every achievement in display order (hidden unearned ones have ``secret`` set)."""

    @property
    def earned(self) -> int:
        return sum(1 for a in self.achievements if a.earned)


async def achievement_board(
    session: AsyncSession, discord_id: int, display_name: str, *, create: bool
) -> AchievementBoard | None:
    person = await _person(session, discord_id, display_name, create=create)
    if person is None:
        return None
    items = await achievement_progress(session, person.user_id)
    return AchievementBoard(person.user_id, person.username, tuple(items))


# --- /avatar -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AvatarEntry:
    id: int
    name: str
    rarity: str | None
    description: str | None
    image_url: str
    unlocked: bool
    equipped: bool
    required_achievement: str | None
    """The achievement that unlocks it; None for the starting avatars (and when the
    achievement is secret to this user: see ``requires_secret``)."""
    requires_secret: bool = False
    """Unlocked by a hidden achievement the user has not earned: its name stays secret."""
    required_description: str | None = None
    progress: tuple[int, int] | None = None
    """(current, target) towards the required achievement, when it is not secret."""


async def avatar_collection(
    session: AsyncSession, discord_id: int, display_name: str
) -> tuple[AvatarEntry, ...]:
    """Every avatar for the caller, in display order, with how to unlock the locked ones."""
    account = await _own_account(session, discord_id, display_name)
    return await _avatar_entries(session, account.user_id)


async def _avatar_entries(session: AsyncSession, user_id: int) -> tuple[AvatarEntry, ...]:
    statuses = await list_avatars(session, user_id)
    progress = {a.name: a for a in await achievement_progress(session, user_id)}
    entries: list[AvatarEntry] = []
    for s in statuses:
        needed = progress.get(s.required_achievement) if s.required_achievement else None
        secret = needed is not None and needed.secret
        entries.append(
            AvatarEntry(
                id=s.avatar.id,
                name=s.avatar.name,
                rarity=s.avatar.rarity,
                description=s.avatar.description,
                image_url=s.avatar.image_url,
                unlocked=s.unlocked,
                equipped=s.equipped,
                required_achievement=None if secret else s.required_achievement,
                requires_secret=secret,
                required_description=(
                    needed.description if needed is not None and not secret else None
                ),
                progress=(
                    (needed.shown_current, needed.target)
                    if needed is not None and not secret
                    else None
                ),
            )
        )
    return tuple(entries)


async def unlocked_avatar_names(session: AsyncSession, discord_id: int, typed: str) -> list[str]:
    """Autocomplete of ``/avatar equip``: the caller's unlocked avatars containing ``typed``.

    Read-only: without an account yet, the starting avatars (which the account will have).
    """
    row = await account_db.find_by_discord_id(session, discord_id)
    if row is not None and row.has_profile:
        names = [s.avatar.name for s in await list_avatars(session, row.user_id) if s.unlocked]
    else:
        stmt = (
            select(Avatar.name)
            .where(Avatar.is_default.is_(True))
            .order_by(Avatar.display_order, Avatar.id)
        )
        names = [str(n) for n in await session.scalars(stmt)]
    wanted = typed.strip().casefold()

    def rank(name: str) -> int:  # the name, then one of its words, starts with what was typed
        low = name.casefold()
        if low.startswith(wanted):
            return 0
        return 1 if any(w.startswith(wanted) for w in low.split()) else 2

    hits = sorted((n for n in names if wanted in n.casefold()), key=rank)  # stable sort
    return hits[:AUTOCOMPLETE_LIMIT]


async def equip(
    session: AsyncSession, discord_id: int, display_name: str, avatar: str
) -> UnlockedAvatar:
    """Equip one of the caller's unlocked avatars (``NotFound`` / ``NotAllowed`` otherwise).

    A locked avatar that comes with a secret achievement is refused without naming it.
    """
    account = await _own_account(session, discord_id, display_name)
    wanted = avatar.strip().casefold()
    if not wanted:
        raise InvalidInput("Pick an avatar from the list.")
    for entry in await _avatar_entries(session, account.user_id):
        if entry.name.casefold() == wanted and not entry.unlocked and entry.requires_secret:
            raise NotAllowed(
                f"You haven't unlocked {entry.name} yet. It comes with a secret achievement: "
                "keep studying to find out which."
            )
    return await equip_avatar(session, account.user_id, avatar)


# --- /stats --------------------------------------------------------------------------------


async def study_stats(
    session: AsyncSession, discord_id: int, display_name: str, exam_type: str | None
) -> UserStats:
    account = await _own_account(session, discord_id, display_name)
    return await user_stats(session, account.user_id, exam_type)


# --- /leaderboard --------------------------------------------------------------------------


async def leaderboard_for(
    session: AsyncSession,
    discord_id: int,
    *,
    board: BoardName,
    scope_guild_id: int | None,
    period: Period,
    exam_type: str | None,
    page: int,
    now: dt.datetime,
) -> LeaderboardPage:
    """A page of a board as the Discord user ``discord_id`` sees it (with their own rank).

    Read-only: someone without an account simply has no rank line.
    """
    row = await account_db.find_by_discord_id(session, discord_id)
    return await leaderboard(
        session,
        board=board,
        scope_guild_id=scope_guild_id,
        period=period,
        exam_type=exam_type,
        page=page,
        viewer_user_id=row.user_id if row is not None else None,
        now=now,
    )


# --- /account ------------------------------------------------------------------------------


async def change_password(
    session: AsyncSession, discord_id: int, display_name: str, password: str
) -> str:
    """Set the caller's web password; returns their username."""
    account = await _own_account(session, discord_id, display_name)
    await set_password(session, account.user_id, password)
    return account.username


@dataclass(frozen=True, slots=True)
class TimezoneChange:
    old: str
    new: str
    local_time: dt.datetime
    """``now`` in the new zone, so the user can check it is right."""
    remind_next_at: dt.datetime | None
    """The rescheduled reminder check when reminders are on (None otherwise, or when a
    reminder is being sent right now: that send reschedules it)."""


def canonical_timezone(name: str) -> str:
    """The IANA name for ``name`` (case-insensitive) if ``zoneinfo`` lists it, else
    ``InvalidInput``."""
    canonical = validate_timezone(name)
    if canonical not in available_timezones() or canonical in NOT_USER_ZONES:
        raise InvalidInput(
            f"`{name.strip()[:64]}` is not a time zone I know. Pick one from the list, "
            "e.g. `Europe/Berlin` or `America/New_York`."
        )
    return canonical


async def set_timezone(
    session: AsyncSession, discord_id: int, display_name: str, timezone: str, now: dt.datetime
) -> TimezoneChange:
    """Store the caller's IANA time zone (their study days and reminder hour follow it).

    One ``UPDATE … RETURNING`` changes the zone and reads the reminder settings; on PostgreSQL
    it holds the row lock until the commit, so ``/remind on`` (which reads the row ``FOR
    UPDATE``) sees either the old zone and schedule or the new ones, never a mix. When
    reminders are on, ``remind_next_at`` is recomputed for the new zone with
    ``bot.reminders.rules.next_reminder_at`` (the reminders module's own rule), unless a sweep holds
    a live lease on the user: the outcome of that send writes the next instant itself.
    """
    tz = canonical_timezone(timezone)
    account = await _own_account(session, discord_id, display_name)
    p = UserProfile
    changed = (
        await session.execute(
            update(p)
            .where(p.user_id == account.user_id)
            .values(timezone=tz)
            .returning(p.user_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if changed is None:
        raise NotFound("You don't have a CertQuest profile yet. Finish a quiz first.")
    # features whose schedules follow the zone (reminders) move them in this unit of work
    next_at = await hooks.timezone_changed(session, account.user_id, tz, now)
    log.info("user changed time zone", extra={"user_id": account.user_id, "timezone": tz})
    return TimezoneChange(
        old=account.timezone,
        new=tz,
        local_time=now.astimezone(resolve_timezone(tz)),
        remind_next_at=next_at,
    )
