"""Accounts on PostgreSQL and SQLite: Discord-first creation, linking and merging, passwords,
deletion and avatars."""

from __future__ import annotations

import datetime as dt
from typing import Any

import bcrypt
import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.accounts.service import (
    BCRYPT_ROUNDS,
    UNUSABLE_PASSWORD,
    delete_account,
    equip_avatar,
    get_or_create_account,
    link_account,
    list_avatars,
    set_password,
    username_candidates,
)
from bot.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited
from bot.progression.levels import level_for
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
from tests.db.progression_helpers import NOW, HookCalls, count, install_hooks, new_discord_id, play

WEB_PASSWORD = "correct horse battery"
# A cheap hash for fixtures (any cost verifies); set_password itself is tested for cost 12.
WEB_HASH = bcrypt.hashpw(WEB_PASSWORD.encode(), bcrypt.gensalt(4)).decode()


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> HookCalls:
    return install_hooks(monkeypatch)


async def web_user(session: AsyncSession, email: str, username: str = "webby") -> int:
    stmt = (
        insert(User)
        .values(email=email, username=username, hashed_password=WEB_HASH)
        .returning(User.id)
    )
    user_id = int((await session.execute(stmt)).scalar_one())
    await session.execute(insert(UserProfile).values(user_id=user_id))
    return user_id


async def fresh(session: AsyncSession, model: Any, *where: Any) -> Any:
    stmt = select(model).where(*where).execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def names(session: AsyncSession, table: Any, name_col: Any, join_on: Any, user: int) -> set:
    stmt = select(name_col).join(table, join_on).where(table.user_id == user)
    return set((await session.scalars(stmt)).all())


async def achievement_names(session: AsyncSession, user: int) -> set[str]:
    return await names(
        session,
        UserAchievement,
        Achievement.name,
        UserAchievement.achievement_id == Achievement.id,
        user,
    )


async def avatar_names(session: AsyncSession, user: int) -> set[str]:
    return await names(session, UserAvatar, Avatar.name, UserAvatar.avatar_id == Avatar.id, user)


COMMON = {"Rookie Tech", "Byte Bot", "Packet Owl"}


# --- creation -------------------------------------------------------------------------------


async def test_a_first_interaction_creates_a_discord_only_account(session: AsyncSession) -> None:
    discord_id = new_discord_id()
    account = await get_or_create_account(session, discord_id, "Sam")
    assert account.created and account.username == "Sam" and account.discord_id == discord_id
    assert (account.xp, account.level, account.timezone) == (0, 1, "UTC")
    user = await fresh(session, User, User.id == account.user_id)
    assert user.email == f"discord-{discord_id}@certquest.invalid"
    assert user.hashed_password == UNUSABLE_PASSWORD
    with pytest.raises(ValueError):  # bcrypt can never match the marker
        bcrypt.checkpw(b"!discord-only", user.hashed_password.encode())
    assert await avatar_names(session, account.user_id) == COMMON
    equipped = await session.scalar(
        select(Avatar.name).where(Avatar.id == account.selected_avatar_id)
    )
    assert equipped == "Rookie Tech"


async def test_a_returning_user_costs_one_select(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    discord_id = new_discord_id()
    first = await get_or_create_account(session, discord_id, "Sam")
    statements: list[str] = []

    def count_statement(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
    try:
        again = await get_or_create_account(session, discord_id, "Sam renamed")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_statement)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")
    assert again.user_id == first.user_id and not again.created
    assert again.username == "Sam"  # display name changes don't rename the account


async def test_username_collisions_resolve_deterministically(session: AsyncSession) -> None:
    a, b = 123_450_000_000_001_234, 987_650_000_000_001_234  # same last four digits
    c = 555_550_000_000_009_999
    first = await get_or_create_account(session, a, "Sam")
    second = await get_or_create_account(session, b, "Sam")
    await web_user(session, "sam9999@example.test", username="Sam#9999")
    third = await get_or_create_account(session, c, "Sam")
    assert first.username == "Sam"
    assert second.username == "Sam#1234"
    assert third.username == f"Sam-{c}"
    assert username_candidates("Sam", c) == ["Sam", "Sam#9999", f"Sam-{c}", f"discord-{c}"]


def test_display_names_are_cleaned_and_fit_the_column() -> None:
    assert username_candidates("  Ada \n\t Lovelace\x00 ", 1)[0] == "Ada Lovelace"
    assert username_candidates("\u200b", 42)[0] == "user"  # format chars only
    long = username_candidates("x" * 300, 1234567890)
    assert all(len(n) <= 100 for n in long)
    assert long[1].endswith("#7890") and long[2].endswith("-1234567890")


async def test_a_disabled_account_is_refused(session: AsyncSession) -> None:
    discord_id = new_discord_id()
    account = await get_or_create_account(session, discord_id, "Sam")
    await session.execute(update(User).where(User.id == account.user_id).values(is_active=False))
    with pytest.raises(NotAllowed):
        await get_or_create_account(session, discord_id, "Sam")


# --- passwords --------------------------------------------------------------------------------


async def test_set_password_hashes_with_bcrypt_cost_12(session: AsyncSession) -> None:
    account = await get_or_create_account(session, new_discord_id(), "Sam")
    await set_password(session, account.user_id, "pässwörd-42")
    user = await fresh(session, User, User.id == account.user_id)
    assert user.hashed_password.startswith(f"$2b${BCRYPT_ROUNDS}$") and BCRYPT_ROUNDS >= 12
    assert bcrypt.checkpw("pässwörd-42".encode(), user.hashed_password.encode())


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 8"),
        ("        ", "at least 8"),
        ("🔐" * 19, "76 bytes"),  # 19 characters, 76 bytes
        ("abc\x00defgh", "NUL"),
    ],
)
async def test_bad_passwords_get_a_clear_reason(
    session: AsyncSession, password: str, fragment: str
) -> None:
    account = await get_or_create_account(session, new_discord_id(), "Sam")
    with pytest.raises(InvalidInput) as err:
        await set_password(session, account.user_id, password)
    assert fragment in err.value.user_message


async def test_set_password_of_a_missing_user(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await set_password(session, 99_999_999, "long enough")


# --- linking ----------------------------------------------------------------------------------


async def test_linking_merges_the_discord_progress_into_the_web_account(
    session: AsyncSession, hooks: HookCalls
) -> None:
    discord_id = new_discord_id()
    web = await web_user(session, "Ada@Example.test")
    # The web account played 3 quizzes yesterday and the day before; the Discord account 2
    # quizzes today. Both earned First Steps (+25 XP each time).
    day = dt.timedelta(days=1)
    for when in (NOW - 2 * day, NOW - day, NOW - day):
        await play(session, web, [True, False], now=when)
    web_before = await fresh(session, UserProfile, UserProfile.user_id == web)
    web_xp, web_streak = web_before.xp, web_before.study_streak_current
    auto = await get_or_create_account(session, discord_id, "Ada")
    for _ in range(2):
        await play(session, auto.user_id, [True, True, False], now=NOW)
    auto_before = await fresh(session, UserProfile, UserProfile.user_id == auto.user_id)
    auto_xp, auto_streak = auto_before.xp, auto_before.study_streak_current
    auto_answers = await count(session, UserAnswer, UserAnswer.user_id == auto.user_id)
    assert (web_streak, auto_streak) == (2, 1)

    result = await link_account(session, discord_id, "  ada@example.TEST ", WEB_PASSWORD, NOW)

    assert result.linked and result.user_id == web and result.merged_from_user_id == auto.user_id
    # the Discord identity moved; the auto account is gone
    assert (await fresh(session, User, User.id == web)).discord_id == discord_id
    assert await fresh(session, User, User.id == auto.user_id) is None
    # attempts and answers changed owner, none lost
    assert await count(session, QuizAttempt, QuizAttempt.user_id == web) == 5
    assert await count(session, UserAnswer, UserAnswer.user_id == web) == 6 + auto_answers
    # 5 Security+ quizzes together unlock Warming Up and Security Apprentice (+50 XP each) and
    # Warming Up's avatar, at the merge
    assert [a.name for a in result.achievements] == ["Warming Up", "Security Apprentice"]
    assert [a.name for a in result.avatars] == ["Circuit Fox"]
    assert await achievement_names(session, web) == {
        "First Steps",
        "Warming Up",
        "Security Apprentice",
    }
    assert await avatar_names(session, web) == COMMON | {"Circuit Fox"}
    # XP summed, First Steps counted once, plus the new rewards
    merged = await fresh(session, UserProfile, UserProfile.user_id == web)
    assert merged.xp == web_xp + auto_xp - 25 + 100 == result.xp
    assert merged.level == level_for(merged.xp) == result.level
    assert merged.total_exams_taken == 5
    assert merged.total_questions_answered == 6 + 6
    # Streak histories don't combine: the most recent study day's streak wins (today's 1,
    # although the web account studied yesterday) and the longest is the better one.
    assert merged.last_activity_date == NOW.date()
    assert merged.study_streak_current == auto_streak == 1
    assert merged.study_streak_longest == 2
    assert hooks.merges == [{"from_user_id": auto.user_id, "into_user_id": web}]
    # the Discord user now lands on the web account
    again = await get_or_create_account(session, discord_id, "Ada")
    assert (again.user_id, again.created, again.xp) == (web, False, merged.xp)


async def test_bot_settings_follow_the_discord_account(session: AsyncSession) -> None:
    discord_id = new_discord_id()
    web = await web_user(session, "tz@example.test")
    auto = await get_or_create_account(session, discord_id, "Tz")
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == auto.user_id)
        .values(timezone="Europe/Paris", remind_enabled=True, remind_hour=19)
    )
    await link_account(session, discord_id, "tz@example.test", WEB_PASSWORD, NOW)
    merged = await fresh(session, UserProfile, UserProfile.user_id == web)
    assert (merged.timezone, merged.remind_enabled, merged.remind_hour) == (
        "Europe/Paris",
        True,
        19,
    )


async def test_linking_without_an_auto_account_just_maps_the_identity(
    session: AsyncSession,
) -> None:
    discord_id = new_discord_id()
    web = await web_user(session, "solo@example.test")
    result = await link_account(session, discord_id, "solo@example.test", WEB_PASSWORD, NOW)
    assert result.linked and result.merged_from_user_id is None
    assert await avatar_names(session, web) == COMMON
    account = await get_or_create_account(session, discord_id, "whatever")
    assert account.user_id == web and not account.created
    again = await link_account(session, discord_id, "solo@example.test", WEB_PASSWORD, NOW)
    assert again.linked and again.already_linked


async def test_a_wrong_password_is_a_committed_failed_attempt(session: AsyncSession) -> None:
    discord_id = new_discord_id()
    await web_user(session, "ada@example.test")
    result = await link_account(session, discord_id, "ada@example.test", "wrong guess", NOW)
    assert not result.linked and result.attempts_left == 4
    assert "4 attempts left" in result.message
    unknown = await link_account(session, discord_id, "nobody@example.test", "whatever", NOW)
    assert unknown.message.split(".")[0] == result.message.split(".")[0]  # no enumeration
    assert await count(session, LinkAttempt, LinkAttempt.discord_id == discord_id) == 2


async def test_five_failures_in_fifteen_minutes_lock_linking_until_the_first_expires(
    session: AsyncSession,
) -> None:
    discord_id = new_discord_id()
    await web_user(session, "ada@example.test")
    start = dt.datetime(2026, 3, 2, 14, 0, 30, tzinfo=dt.UTC)
    for i in range(5):
        r = await link_account(
            session, discord_id, "ada@example.test", "nope", start + dt.timedelta(minutes=i)
        )
        assert not r.linked and r.attempts_left == 4 - i
    assert "try again at 14:16 UTC" in r.message
    with pytest.raises(RateLimited) as err:  # even the right password is not checked
        await link_account(
            session, discord_id, "ada@example.test", WEB_PASSWORD, start + dt.timedelta(minutes=6)
        )
    # the first failure (14:00:30) leaves the window at 14:15:30: shown rounded up
    assert err.value.user_message == "Too many attempts; try again at 14:16 UTC."
    later = start + dt.timedelta(minutes=15, seconds=1)
    ok = await link_account(session, discord_id, "ada@example.test", WEB_PASSWORD, later)
    assert ok.linked
    # another Discord user is not throttled by these
    other = await link_account(session, new_discord_id(), "x@example.test", "nope", start)
    assert other.attempts_left == 4


async def test_an_overlong_password_is_explained_and_not_counted(session: AsyncSession) -> None:
    discord_id = new_discord_id()
    with pytest.raises(InvalidInput) as err:
        await link_account(session, discord_id, "ada@example.test", "é" * 40, NOW)
    assert "80 bytes" in err.value.user_message and "72" in err.value.user_message
    assert await count(session, LinkAttempt, LinkAttempt.discord_id == discord_id) == 0


async def test_a_web_account_linked_to_someone_else_is_refused(session: AsyncSession) -> None:
    owner, intruder = new_discord_id(), new_discord_id()
    await web_user(session, "ada@example.test")
    assert (await link_account(session, owner, "ada@example.test", WEB_PASSWORD, NOW)).linked
    with pytest.raises(Conflict):
        await link_account(session, intruder, "ada@example.test", WEB_PASSWORD, NOW)


async def test_an_auto_account_cannot_be_the_target(session: AsyncSession) -> None:
    a, b = new_discord_id(), new_discord_id()
    first = await get_or_create_account(session, a, "A")
    r = await link_account(session, b, f"discord-{a}@certquest.invalid", "!discord-only", NOW)
    assert not r.linked
    assert (await fresh(session, User, User.id == first.user_id)).discord_id == a


# --- deletion and avatars ---------------------------------------------------------------------


async def test_deleting_an_account_removes_all_its_data(
    session: AsyncSession, hooks: HookCalls
) -> None:
    discord_id = new_discord_id()
    account = await get_or_create_account(session, discord_id, "Gone")
    await play(session, account.user_id, [True] * 3)
    uid = account.user_id
    assert await delete_account(session, discord_id) == uid
    for model in (UserProfile, QuizAttempt, UserAnswer, UserAchievement, UserAvatar):
        assert await count(session, model, model.user_id == uid) == 0
    assert await count(session, User, User.id == uid) == 0
    assert hooks.calls["remove_user"] == [{"user_id": uid}]
    with pytest.raises(NotFound):
        await delete_account(session, discord_id)
    # the same Discord user can start over
    assert (await get_or_create_account(session, discord_id, "Gone")).created


async def test_equipping_only_unlocked_avatars(session: AsyncSession) -> None:
    account = await get_or_create_account(session, new_discord_id(), "Eq")
    byte_bot = await equip_avatar(session, account.user_id, "byte bot")
    assert byte_bot.name == "Byte Bot"
    profile = await fresh(session, UserProfile, UserProfile.user_id == account.user_id)
    assert profile.selected_avatar_id == byte_bot.id
    with pytest.raises(NotAllowed) as err:
        await equip_avatar(session, account.user_id, "Firewall Falcon")
    assert "Perfectionist" in err.value.user_message
    with pytest.raises(NotFound):
        await equip_avatar(session, account.user_id, "Nyan Cat")
    await play(session, account.user_id, [True] * 4)  # perfect: unlocks Firewall Falcon
    falcon_id = await session.scalar(select(Avatar.id).where(Avatar.name == "Firewall Falcon"))
    assert (await equip_avatar(session, account.user_id, falcon_id or 0)).name == "Firewall Falcon"
    statuses = {s.avatar.name: s for s in await list_avatars(session, account.user_id)}
    assert statuses["Firewall Falcon"].equipped and statuses["Firewall Falcon"].unlocked
    assert not statuses["Byte Bot"].equipped and statuses["Byte Bot"].unlocked
    assert not statuses["Root Lion"].unlocked
    assert statuses["Root Lion"].required_achievement == "Elite Technician"


async def test_a_discord_user_already_linked_to_a_web_account_cannot_link_another(
    session: AsyncSession,
) -> None:
    discord_id = new_discord_id()
    first = await web_user(session, "first@example.test", username="first")
    await web_user(session, "second@example.test", username="second")
    assert (await link_account(session, discord_id, "first@example.test", WEB_PASSWORD, NOW)).linked
    with pytest.raises(Conflict) as err:
        await link_account(session, discord_id, "second@example.test", WEB_PASSWORD, NOW)
    assert "first" in err.value.user_message
    assert (await fresh(session, User, User.id == first)).discord_id == discord_id
