"""Account service: Discord-first accounts, linking to a web account, passwords, avatars.

Every function takes the caller's ``AsyncSession`` first and never commits.

* ``get_or_create_account`` is on every interaction's path: one SELECT when the account exists.
  Creation is ``INSERT … ON CONFLICT DO NOTHING`` then SELECT, so two first interactions at
  once create one user (the second waits for the first and then reads its row).
* ``link_account`` returns ``LinkResult(linked=False, …)`` for a wrong email or password instead
  of raising: the failed attempt is a row that must be *committed* for the throttle to work,
  and raising would roll it back. It raises ``RateLimited`` once 5 attempts failed in 15
  minutes, and ``InvalidInput`` / ``Conflict`` for requests that cannot succeed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass

import bcrypt
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import require_aware
from bot.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited
from bot.core.hooks import hooks
from bot.progression.achievements import UnlockedAchievement, UnlockedAvatar
from bot.progression.awards import award_achievements
from bot.progression.levels import level_for
from db.accounts import queries as account_db
from db.accounts.queries import AvatarStatus

log = logging.getLogger(__name__)

DISCORD_EMAIL_DOMAIN = "certquest.invalid"  # RFC 2606: can never receive mail
# not a bcrypt hash: checkpw never accepts any password
UNUSABLE_PASSWORD = "!discord-only"  # noqa: S105  - a marker, not a credential
BCRYPT_ROUNDS = 12
BCRYPT_MAX_BYTES = 72
MIN_PASSWORD_LENGTH = 8
USERNAME_MAX = 100
LINK_MAX_FAILURES = 5
LINK_WINDOW = dt.timedelta(minutes=15)
# A cost-12 hash of a random string: checked when the email is unknown, so a wrong email and a
# wrong password take the same time.
_TIMING_DUMMY_HASH = b"$2b$12$Rj0ehdyu9AwJwJCOTCwoJuR.XrqbqWl31N38t2M0PHrCKYtYF8LGK"


@dataclass(frozen=True, slots=True)
class Account:
    """The CertQuest account behind a Discord user."""

    user_id: int
    discord_id: int
    username: str
    xp: int
    level: int
    timezone: str
    selected_avatar_id: int | None
    created: bool = False


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome of ``/link``; ``message`` is ready to show (ephemerally)."""

    linked: bool
    message: str
    user_id: int | None = None
    username: str | None = None
    already_linked: bool = False
    merged_from_user_id: int | None = None
    attempts_left: int | None = None
    xp: int = 0
    level: int = 1
    achievements: tuple[UnlockedAchievement, ...] = ()
    avatars: tuple[UnlockedAvatar, ...] = ()


# --- pure helpers -----------------------------------------------------------------------------


def discord_email(discord_id: int) -> str:
    return f"discord-{discord_id}@{DISCORD_EMAIL_DOMAIN}"


def is_discord_only_email(email: str) -> bool:
    return email.lower().endswith("@" + DISCORD_EMAIL_DOMAIN)


def clean_display_name(display_name: str) -> str:
    """A display name made safe for ``users.username``: printable, single-spaced, non-empty."""
    text = unicodedata.normalize("NFC", display_name or "")
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()
    return text or "user"


def username_candidates(display_name: str, discord_id: int) -> list[str]:
    """Usernames to try, in order: ``name``, ``name#<last 4 of id>``, ``name-<id>``,
    ``discord-<id>`` (each cut to fit the 100-character column)."""
    name = clean_display_name(display_name)

    def fit(suffix: str) -> str:
        return name[: USERNAME_MAX - len(suffix)].rstrip() + suffix

    result: list[str] = []
    for candidate in (
        fit(""),
        fit(f"#{str(discord_id)[-4:]}"),
        fit(f"-{discord_id}"),
        f"discord-{discord_id}",
    ):
        if candidate not in result:
            result.append(candidate)
    return result


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        return f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long."
    size = len(password.encode("utf-8"))
    if size > BCRYPT_MAX_BYTES:
        return (
            f"Your password is {size} bytes long in UTF-8; the limit is {BCRYPT_MAX_BYTES} bytes "
            "(accented letters and emoji take 2 to 4 bytes each). Choose a shorter one."
        )
    if "\x00" in password:
        return "Your password can't contain a NUL character."
    return None


def _check_password(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # not a bcrypt hash (e.g. the unusable marker)
        return False


def _hash_password(password: bytes) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def _ceil_minute(when: dt.datetime) -> dt.datetime:
    when = when.astimezone(dt.UTC)
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + dt.timedelta(minutes=1)


# --- accounts ---------------------------------------------------------------------------------


def _account(row: account_db.AccountRow, *, created: bool = False) -> Account:
    return Account(
        user_id=row.user_id,
        discord_id=int(row.discord_id or 0),
        username=row.username,
        xp=row.xp,
        level=row.level,
        timezone=row.timezone,
        selected_avatar_id=row.selected_avatar_id,
        created=created,
    )


async def get_or_create_account(
    session: AsyncSession, discord_id: int, display_name: str
) -> Account:
    """The account of a Discord user, created on first use (atomic, see module docstring)."""
    row = await account_db.find_by_discord_id(session, discord_id)
    if row is not None:
        if not row.is_active:
            raise NotAllowed("Your CertQuest account is disabled.")
        if not row.has_profile:  # a web account linked before it ever had a profile
            await account_db.ensure_profile(session, row.user_id)
            row = await account_db.find_by_discord_id(session, discord_id) or row
        return _account(row)

    email = discord_email(discord_id)
    if await account_db.email_taken(session, email):
        email = f"discord-{discord_id}-{uuid.uuid4().hex[:8]}@{DISCORD_EMAIL_DOMAIN}"
    candidates = username_candidates(display_name, discord_id)
    taken = await account_db.taken_usernames(session, candidates)
    ordered = [c for c in candidates if c not in taken] + [
        f"discord-{discord_id}-{n}" for n in range(2, 6)
    ]
    for username in ordered:
        user_id = await account_db.insert_discord_user(
            session,
            discord_id=discord_id,
            username=username,
            email=email,
            hashed_password=UNUSABLE_PASSWORD,
        )
        if user_id is None:
            row = await account_db.find_by_discord_id(session, discord_id)
            if row is not None:  # a concurrent first interaction created it
                return _account(row)
            continue  # the username was taken meanwhile: try the next one
        await account_db.ensure_profile(session, user_id)
        created = await account_db.find_by_user_id(session, user_id)
        if created is None:
            raise RuntimeError(f"account {user_id} vanished right after it was created")
        log.info(
            "created an account for a Discord user",
            extra={"user_id": user_id, "username": username, "discord_id": discord_id},
        )
        return _account(created, created=True)
    raise Conflict("Couldn't pick a free username for you; please try again.")


async def set_password(session: AsyncSession, user_id: int, password: str) -> None:
    """Set a web password (bcrypt, cost 12, hashed off the event loop)."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    hashed = await asyncio.to_thread(_hash_password, password.encode("utf-8"))
    if not await account_db.set_password_hash(session, user_id, hashed):
        raise NotFound("That account no longer exists.")


async def delete_account(session: AsyncSession, discord_id: int) -> int:
    """Delete the Discord user's account and all its data (cascades); returns the user id.

    The leaderboards module takes the user off its boards first (its histograms are not
    covered by the cascade).
    """
    row = await account_db.find_by_discord_id(session, discord_id)
    if row is None:
        raise NotFound("You don't have any CertQuest data to delete.")

    await hooks.user_deleting(session, row.user_id)  # the boards, and any other feature
    await account_db.delete_by_discord_id(session, discord_id)
    log.info("deleted an account", extra={"user_id": row.user_id, "discord_id": discord_id})
    return row.user_id


async def list_avatars(session: AsyncSession, user_id: int) -> list[AvatarStatus]:
    """Every avatar, with unlocked/equipped flags and the achievement that unlocks it."""
    return await account_db.avatar_statuses(session, user_id)


async def equip_avatar(
    session: AsyncSession, user_id: int, avatar_name_or_id: str | int
) -> UnlockedAvatar:
    """Equip an unlocked avatar, chosen by id or (case-insensitive) name."""
    statuses = await account_db.avatar_statuses(session, user_id)
    wanted = str(avatar_name_or_id).strip()
    match = next(
        (
            s
            for s in statuses
            if (wanted.isdigit() and s.avatar.id == int(wanted))
            or s.avatar.name.casefold() == wanted.casefold()
        ),
        None,
    )
    if match is None:
        raise NotFound(f"There is no avatar called “{wanted}”.")
    if not match.unlocked:
        if match.secret_requirement:  # a hidden achievement stays secret until earned
            how = " It comes with a secret achievement."
        elif match.required_achievement:
            how = f" Earn the achievement “{match.required_achievement}” first."
        else:
            how = ""
        raise NotAllowed(f"You haven't unlocked {match.avatar.name} yet.{how}")
    await account_db.set_selected_avatar(session, user_id, match.avatar.id)
    return match.avatar


# --- linking ----------------------------------------------------------------------------------


async def link_account(
    session: AsyncSession, discord_id: int, email: str, password: str, now: dt.datetime
) -> LinkResult:
    """Link the Discord user to an existing web account, merging the Discord-only account.

    On success the Discord identity moves to the web account; the auto-created account's
    attempts, answers, achievements, avatars, XP, totals and streaks are merged into it (see
    ``db.accounts.queries.merge_progress``), the level is recomputed, achievements are re-evaluated
    on
    the merged stats, and the auto-created account is deleted: all in the caller's
    transaction.
    """
    require_aware(now)
    email = (email or "").strip()
    if not email or not password:
        raise InvalidInput("Enter the email and password of your CertQuest web account.")
    size = len(password.encode("utf-8"))
    if size > BCRYPT_MAX_BYTES:
        raise InvalidInput(
            f"That password is {size} bytes long in UTF-8, but CertQuest passwords are at most "
            f"{BCRYPT_MAX_BYTES} bytes, so it can't be yours. Check what you pasted."
        )

    await account_db.lock_link_slot(session, discord_id)
    window_start = now - LINK_WINDOW
    failures = await account_db.recent_failed_links(session, discord_id, window_start)
    if len(failures) >= LINK_MAX_FAILURES:
        retry_at = _ceil_minute(failures[-LINK_MAX_FAILURES] + LINK_WINDOW)
        raise RateLimited(f"Too many attempts; try again at {retry_at:%H:%M} UTC.")

    login = await account_db.find_login(session, email)
    hashed = login[2].encode("utf-8") if login else _TIMING_DUMMY_HASH
    ok = await asyncio.to_thread(_check_password, password.encode("utf-8"), hashed)
    if not ok or login is None:
        await account_db.prune_link_attempts(session, discord_id, window_start)
        await account_db.record_link_attempt(session, discord_id, now, succeeded=False)
        left = LINK_MAX_FAILURES - len(failures) - 1
        if left > 0:
            message = (
                "That email and password don't match a CertQuest web account. "
                f"{left} attempt{'s' if left != 1 else ''} left."
            )
        else:
            retry_at = _ceil_minute(([*failures, now])[-LINK_MAX_FAILURES] + LINK_WINDOW)
            message = (
                "That email and password don't match a CertQuest web account. "
                f"Too many attempts; try again at {retry_at:%H:%M} UTC."
            )
        log.info("failed link attempt", extra={"discord_id": discord_id})
        return LinkResult(linked=False, message=message, attempts_left=left)

    target_id, username, _, target_discord = login
    if target_discord == discord_id:
        account = await account_db.find_by_user_id(session, target_id)
        return LinkResult(
            linked=True,
            already_linked=True,
            message=f"You're already linked to {username}.",
            user_id=target_id,
            username=username,
            xp=account.xp if account else 0,
            level=account.level if account else 1,
        )
    if target_discord is not None:
        raise Conflict("That web account is already linked to another Discord user.")
    source = await account_db.find_by_discord_id(session, discord_id)
    if source is not None and not is_discord_only_email(source.email):
        raise Conflict(
            f"Your Discord account is already linked to the web account {source.username}."
        )

    merged_from = await _move_identity(session, discord_id, source, target_id)
    awarded = await award_achievements(session, target_id, now)
    profile = await account_db.find_by_user_id(session, target_id)
    if profile is None:
        raise RuntimeError(f"account {target_id} has no profile after linking")
    level = level_for(profile.xp)
    await account_db.set_level(session, target_id, level)
    await account_db.prune_link_attempts(session, discord_id, now + dt.timedelta(seconds=1))
    log.info(
        "Discord user linked to an account",
        extra={"discord_id": discord_id, "user_id": target_id, "merged_from": merged_from},
    )
    merged_note = " Your Discord progress was merged into it." if merged_from else ""
    return LinkResult(
        linked=True,
        message=f"Linked to {username}.{merged_note}",
        user_id=target_id,
        username=username,
        merged_from_user_id=merged_from,
        xp=profile.xp,
        level=level,
        achievements=awarded.achievements,
        avatars=awarded.avatars,
    )


async def _move_identity(
    session: AsyncSession,
    discord_id: int,
    source: account_db.AccountRow | None,
    target_id: int,
) -> int | None:
    """Give ``discord_id`` to ``target_id``, merging and deleting the Discord-only ``source``."""
    await account_db.ensure_profile(session, target_id)
    if source is None:
        await account_db.set_discord_id(session, target_id, discord_id)
        return None
    source_id = source.user_id
    await account_db.ensure_profile(session, source_id)
    # Lock order: the source's attempts first (as a finishing quiz does: attempt, then profile),
    # then both profiles by id.
    await account_db.lock_attempts_of(session, source_id)
    locked = {
        uid: await account_db.lock_profile(session, uid) for uid in sorted((source_id, target_id))
    }
    src, dst = locked[source_id], locked[target_id]
    if src is None or dst is None:
        raise RuntimeError(f"profile of account {source_id} or {target_id} is missing")
    await account_db.set_discord_id(session, source_id, None)
    await account_db.set_discord_id(session, target_id, discord_id)
    await account_db.merge_progress(session, source=src, target=dst)


    await hooks.users_merged(session, source_id, target_id)  # the boards, the review deck…
    await account_db.delete_user(session, source_id)
    return source_id
