"""What /profile, /achievements, /avatar, /stats, /leaderboard and /account see and change,
told as learners' stories, on PostgreSQL and SQLite (``bot.profile.service``)."""

from __future__ import annotations

import datetime as dt

import bcrypt
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.profile.service import (
    achievement_board,
    avatar_collection,
    canonical_timezone,
    change_password,
    equip,
    leaderboard_for,
    profile_card,
    set_timezone,
    study_stats,
    unlocked_avatar_names,
)
from bot.progression.levels import xp_for
from bot.reminders.rules import next_reminder_at
from db.models import User, UserAchievement, UserProfile
from tests.db.progression_helpers import NOW, new_discord_id, play


async def learner(session: AsyncSession, name: str = "alice") -> tuple[int, int]:
    """A Discord user with a fresh CertQuest account: (discord id, user id)."""
    discord_id = new_discord_id()
    account = await get_or_create_account(session, discord_id, name)
    return discord_id, account.user_id


async def users_with_discord_id(session: AsyncSession, discord_id: int) -> int:
    stmt = select(func.count()).select_from(User).where(User.discord_id == discord_id)
    return int(await session.scalar(stmt) or 0)


# --- /profile ------------------------------------------------------------------------------


async def test_a_newcomer_opening_their_profile_gets_an_account_and_a_blank_card(
    session: AsyncSession,
) -> None:
    discord_id = new_discord_id()

    card = await profile_card(session, discord_id, "Newbie", create=True, now=NOW)

    assert card is not None
    assert card.username == "Newbie"
    assert (card.xp, card.level.level, card.level.into_level, card.level.needed) == (0, 1, 0, 155)
    assert (card.streak_current, card.streak_longest) == (0, 0)
    assert (card.quizzes_completed, card.questions_answered, card.accuracy) == (0, 0, None)
    assert card.latest_achievements == () and card.achievements_earned == 0
    assert card.achievements_total == 27
    assert card.avatar is not None and card.avatar.name == "Rookie Tech"
    assert card.avatar.image_url == "avatars/rookie-tech.png"
    assert await users_with_discord_id(session, discord_id) == 1


async def test_after_a_few_quizzes_the_profile_shows_progress_streak_and_latest_badges(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    await play(session, me, [True] * 10, now=NOW - dt.timedelta(days=2))  # perfect
    await play(session, me, [True, True, False, False], now=NOW - dt.timedelta(days=1))
    await play(session, me, [True, False], now=NOW)

    card = await profile_card(session, discord_id, "alice", create=True, now=NOW)

    assert card is not None
    assert (card.quizzes_completed, card.questions_answered, card.correct_answers) == (3, 16, 13)
    assert card.accuracy == pytest.approx(13 / 16)
    assert (card.streak_current, card.streak_longest) == (3, 3)
    assert card.level.level >= 2 and card.xp > xp_for(2)
    assert card.level.xp == card.xp
    names = [a.name for a in card.latest_achievements]
    assert len(names) == 3
    # "On a Roll" (3-day streak) came with today's quiz: the most recent comes first.
    assert names[0] == "On a Roll"
    assert set(names) <= {"On a Roll", "First Steps", "Perfectionist", "Rising Star"}
    earned_at = [a.earned_at for a in card.latest_achievements]
    assert earned_at == sorted(earned_at, reverse=True)
    assert card.achievements_earned >= 3


async def test_a_missed_day_shows_a_broken_streak_but_keeps_the_best_one(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    for day in (3, 2, 1):
        await play(session, me, [True], now=NOW - dt.timedelta(days=day))

    later = NOW + dt.timedelta(days=2)
    card = await profile_card(session, discord_id, "alice", create=True, now=later)

    assert card is not None and (card.streak_current, card.streak_longest) == (0, 3)


async def test_the_streak_is_judged_in_the_learners_own_time_zone(session: AsyncSession) -> None:
    discord_id, me = await learner(session)
    await set_timezone(session, discord_id, "alice", "Pacific/Auckland", NOW)
    await play(session, me, [True], now=NOW, tz="Pacific/Auckland")  # 04:00 on the 3rd there

    # 47 h later it is 03:00 on the 5th in Auckland: the 4th was missed there, not in UTC.
    card = await profile_card(
        session, discord_id, "alice", create=True, now=NOW + dt.timedelta(hours=47)
    )

    assert card is not None and card.streak_current == 0 and card.timezone == "Pacific/Auckland"


async def test_looking_at_someone_without_an_account_creates_nothing(
    session: AsyncSession,
) -> None:
    stranger = new_discord_id()

    assert await profile_card(session, stranger, "Bob", create=False, now=NOW) is None
    assert await achievement_board(session, stranger, "Bob", create=False) is None
    assert await users_with_discord_id(session, stranger) == 0


async def test_a_classmate_can_look_at_my_profile_without_changing_it(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session, "alice")
    await play(session, me, [True, True])

    theirs = await profile_card(session, discord_id, "whatever", create=False, now=NOW)

    assert theirs is not None and theirs.username == "alice" and theirs.quizzes_completed == 1


# --- /achievements -------------------------------------------------------------------------


async def test_achievements_show_earned_locked_progress_and_keep_secrets(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    await play(session, me, [True, True, True])
    await play(session, me, [True, False, False])

    board = await achievement_board(session, discord_id, "alice", create=True)

    assert board is not None and len(board.achievements) == 27
    by_name = {a.name: a for a in board.achievements}
    assert by_name["First Steps"].earned and by_name["First Steps"].earned_at is not None
    warming = by_name["Warming Up"]
    assert not warming.earned and (warming.shown_current, warming.target) == (2, 5)
    flawless = by_name["Flawless Streak"]
    assert flawless.secret and flawless.display_name == "???"
    assert board.earned == sum(1 for a in board.achievements if a.earned) >= 2


# --- /avatar -------------------------------------------------------------------------------


async def test_a_newcomer_has_the_three_starting_avatars_and_sees_how_to_unlock_the_rest(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    await play(session, me, [True, False])  # not perfect: no Perfectionist, no Falcon
    await play(session, me, [True, False])

    avatars = {a.name: a for a in await avatar_collection(session, discord_id, "alice")}

    assert len(avatars) == 18
    assert {n for n, a in avatars.items() if a.unlocked} == {
        "Rookie Tech",
        "Byte Bot",
        "Packet Owl",
    }
    assert avatars["Rookie Tech"].equipped
    fox = avatars["Circuit Fox"]
    assert (fox.unlocked, fox.required_achievement, fox.progress) == (False, "Warming Up", (2, 5))
    assert fox.required_description == "Complete 5 quizzes."
    phoenix = avatars["Quantum Phoenix"]  # unlocked by the hidden "Flawless Streak"
    assert phoenix.requires_secret
    assert (phoenix.required_achievement, phoenix.required_description, phoenix.progress) == (
        None,
        None,
        None,
    )


async def test_equipping_an_unlocked_avatar_shows_on_the_profile(session: AsyncSession) -> None:
    discord_id, _ = await learner(session)

    equipped = await equip(session, discord_id, "alice", "packet owl")

    assert equipped.name == "Packet Owl"
    card = await profile_card(session, discord_id, "alice", create=True, now=NOW)
    assert card is not None and card.avatar is not None and card.avatar.name == "Packet Owl"
    avatars = await avatar_collection(session, discord_id, "alice")
    assert [a.name for a in avatars if a.equipped] == ["Packet Owl"]


async def test_a_locked_avatar_cannot_be_equipped_and_a_secret_stays_secret(
    session: AsyncSession,
) -> None:
    discord_id, _ = await learner(session)

    with pytest.raises(NotAllowed, match="Warming Up"):
        await equip(session, discord_id, "alice", "Circuit Fox")
    with pytest.raises(NotAllowed) as secret:
        await equip(session, discord_id, "alice", "Quantum Phoenix")
    assert "Flawless Streak" not in secret.value.user_message
    assert "secret achievement" in secret.value.user_message
    with pytest.raises(NotFound):
        await equip(session, discord_id, "alice", "Unicorn")
    with pytest.raises(InvalidInput):
        await equip(session, discord_id, "alice", "   ")


async def test_avatar_autocomplete_offers_only_unlocked_avatars_matching_what_is_typed(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    await play(session, me, [True] * 5)  # Perfectionist unlocks Firewall Falcon

    assert await unlocked_avatar_names(session, discord_id, "") == [
        "Rookie Tech",
        "Byte Bot",
        "Packet Owl",
        "Firewall Falcon",
    ]
    assert await unlocked_avatar_names(session, discord_id, "O") == [
        "Packet Owl",  # prefix matches first
        "Rookie Tech",
        "Byte Bot",
        "Firewall Falcon",
    ]
    assert await unlocked_avatar_names(session, discord_id, "fox") == []


async def test_avatar_autocomplete_for_a_stranger_offers_the_starters_and_creates_nothing(
    session: AsyncSession,
) -> None:
    stranger = new_discord_id()

    names = await unlocked_avatar_names(session, stranger, "")

    assert names == ["Rookie Tech", "Byte Bot", "Packet Owl"]
    assert await users_with_discord_id(session, stranger) == 0


# --- /stats --------------------------------------------------------------------------------


async def test_stats_list_what_the_learner_answered_weakest_first(session: AsyncSession) -> None:
    discord_id, me = await learner(session)
    await play(session, me, [True, False, False, True], exam_type="network")

    stats = await study_stats(session, discord_id, "alice", None)

    assert (stats.answered, stats.correct) == (4, 2)
    (network,) = stats.exams
    assert network.exam_type == "network" and network.objectives[0].answered == 4
    assert (await study_stats(session, discord_id, "alice", "security")).answered == 0
    with pytest.raises(InvalidInput):
        await study_stats(session, discord_id, "alice", "ccna")


# --- /leaderboard --------------------------------------------------------------------------


async def test_the_leaderboard_shows_the_callers_own_rank_in_their_server(
    session: AsyncSession,
) -> None:
    guild = 777_000_000_000_000_001
    _, ada = await learner(session, "ada")
    bob_discord, bob = await learner(session, "bob")
    await play(session, ada, [True] * 3, guild_id=guild)
    await play(session, bob, [True], guild_id=guild)

    page = await leaderboard_for(
        session,
        bob_discord,
        board="xp",
        scope_guild_id=guild,
        period="week",
        exam_type=None,
        page=1,
        now=NOW,
    )

    assert [(e.rank, e.username) for e in page.entries] == [(1, "ada"), (2, "bob")]
    assert page.viewer is not None and page.viewer.username == "bob" and page.viewer.rank == 2
    assert [e.is_viewer for e in page.entries] == [False, True]


async def test_a_visitor_without_an_account_sees_the_board_without_a_rank(
    session: AsyncSession,
) -> None:
    _, ada = await learner(session, "ada")
    await play(session, ada, [True])
    visitor = new_discord_id()

    page = await leaderboard_for(
        session,
        visitor,
        board="streak",
        scope_guild_id=None,
        period="all",
        exam_type=None,
        page=5,
        now=NOW,
    )

    assert page.viewer is None and page.page == 1  # a page past the end shows the last
    assert "ada" in [e.username for e in page.entries]
    assert await users_with_discord_id(session, visitor) == 0


# --- /account password ---------------------------------------------------------------------


async def test_a_learner_sets_a_web_password_that_is_stored_only_as_a_hash(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session, "alice")

    username = await change_password(session, discord_id, "alice", "s3cret passphrase")

    assert username == "alice"
    stored = await session.scalar(select(User.hashed_password).where(User.id == me))
    assert stored is not None and "s3cret" not in stored
    assert bcrypt.checkpw(b"s3cret passphrase", stored.encode())
    with pytest.raises(InvalidInput, match="at least 8"):
        await change_password(session, discord_id, "alice", "short")


# --- /account timezone ---------------------------------------------------------------------


async def test_a_learner_sets_their_time_zone_by_any_spelling(session: AsyncSession) -> None:
    discord_id, me = await learner(session)

    change = await set_timezone(session, discord_id, "alice", "europe/berlin", NOW)

    assert (change.old, change.new) == ("UTC", "Europe/Berlin")
    assert change.local_time.utcoffset() == dt.timedelta(hours=1)  # CET in March
    assert change.remind_next_at is None  # reminders are off
    row = (
        await session.execute(
            select(UserProfile.timezone, UserProfile.remind_next_at).where(
                UserProfile.user_id == me
            )
        )
    ).one()
    assert tuple(row) == ("Europe/Berlin", None)
    again = await set_timezone(session, discord_id, "alice", "Asia/Kolkata", NOW)
    assert (again.old, again.new) == ("Europe/Berlin", "Asia/Kolkata")


async def test_an_unknown_time_zone_is_refused_and_nothing_changes(session: AsyncSession) -> None:
    discord_id, me = await learner(session)

    for bad in ("Mars/Olympus_Mons", "", "localtime", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            await set_timezone(session, discord_id, "alice", bad, NOW)
    assert canonical_timezone(" asia/KOLKATA ") == "Asia/Kolkata"
    tz = await session.scalar(select(UserProfile.timezone).where(UserProfile.user_id == me))
    assert tz == "UTC"


async def test_moving_time_zone_moves_the_daily_reminder_with_it(session: AsyncSession) -> None:
    discord_id, me = await learner(session)
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == me)
        .values(
            remind_enabled=True,
            remind_hour=19,
            remind_next_at=dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC),
        )
    )

    change = await set_timezone(session, discord_id, "alice", "America/New_York", NOW)

    expected = next_reminder_at(NOW, "America/New_York", 19)
    assert expected == dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)  # 19:00 EST
    assert change.remind_next_at == expected
    stored = await session.scalar(
        select(UserProfile.remind_next_at).where(UserProfile.user_id == me)
    )
    assert stored == expected


async def test_a_reminder_being_sent_right_now_is_left_to_its_sender(
    session: AsyncSession,
) -> None:
    discord_id, me = await learner(session)
    leased = NOW + dt.timedelta(minutes=5)
    await session.execute(
        update(UserProfile)
        .where(UserProfile.user_id == me)
        .values(
            remind_enabled=True,
            remind_hour=19,
            remind_next_at=leased,
            remind_lease_until=leased,
        )
    )

    change = await set_timezone(session, discord_id, "alice", "Asia/Tokyo", NOW)

    assert change.remind_next_at is None
    row = (
        await session.execute(
            select(UserProfile.timezone, UserProfile.remind_next_at).where(
                UserProfile.user_id == me
            )
        )
    ).one()
    assert row[0] == "Asia/Tokyo" and row[1] == leased


async def test_deleting_achievements_rows_never_breaks_the_profile(session: AsyncSession) -> None:
    """A profile whose equipped avatar and earned rows vanished still renders (SET NULL)."""
    discord_id, me = await learner(session)
    await play(session, me, [True])
    await session.execute(
        update(UserProfile).where(UserProfile.user_id == me).values(selected_avatar_id=None)
    )
    await session.execute(delete(UserAchievement).where(UserAchievement.user_id == me))

    card = await profile_card(session, discord_id, "alice", create=True, now=NOW)

    assert card is not None and card.avatar is None and card.latest_achievements == ()
