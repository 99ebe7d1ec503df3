"""Daily streak reminders, sent by the real sweep through the emulator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_commands_e2e import play_one_question
from tests.emulator import BotProcess, Emulator

TOMORROW_10_UTC = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)


def sweep_process(
    emu: Emulator, bot_db_url: str, tmp_path: Path, now: dt.datetime, tag: str
) -> BotProcess:
    return BotProcess.module(
        "bot",
        "reminders",
        "sweep",
        "--now",
        now.isoformat(),
        env={"DATABASE_URL": bot_db_url, "LOG_LEVEL": "INFO"},
        cwd=tmp_path,
        log_path=tmp_path / f"sweep-{tag}.log",
    )


async def run_sweep(
    emu: Emulator, bot_db_url: str, tmp_path: Path, now: dt.datetime, tag: str
) -> BotProcess:
    proc = sweep_process(emu, bot_db_url, tmp_path, now, tag)
    await proc.start(emu)
    assert await proc.wait_exit(60) == 0, proc.log_tail()
    return proc


def dms_to(emu: Emulator, member: object) -> list[object]:
    channel = emu.dm_channel(member)  # type: ignore[arg-type]
    return [m for m in emu.messages_in(channel) if m.author_id != member.id]  # type: ignore[attr-defined]


async def test_the_reminder_dm_names_the_streak_and_its_button_starts_a_solo_quiz(
    emu: Emulator,
    certquest: StartCertQuest,
    bot_db: AsyncEngine,
    bot_db_url: str,
    tmp_path: Path,
) -> None:
    db = Db(bot_db)
    await certquest()
    alice = emu.member("alice")
    await play_one_question(emu, alice, db)  # a Network+ quiz today: a 1-day streak
    on = await alice.slash("remind", "on", hour=9, timezone="UTC")
    assert "on" in on.content

    await run_sweep(emu, bot_db_url, tmp_path, TOMORROW_10_UTC, "first")
    (dm,) = dms_to(emu, alice)
    assert "Your 1-day Network+ (N10-009) streak ends at midnight" in dm.content  # type: ignore[attr-defined]
    button = dm.buttons()[0]  # type: ignore[attr-defined]

    # the same day again, or a second process: nobody is reminded twice
    await run_sweep(emu, bot_db_url, tmp_path, TOMORROW_10_UTC + dt.timedelta(hours=2), "again")
    assert len(dms_to(emu, alice)) == 1

    quiz = await alice.click(dm, button["custom_id"])
    assert quiz.ephemeral and quiz.embeds[0]["title"].startswith("Question 1/5 · Network+")
    emu.assert_no_violations()


async def test_closed_dms_switch_reminders_off_with_the_reason(
    emu: Emulator,
    certquest: StartCertQuest,
    bot_db: AsyncEngine,
    bot_db_url: str,
    tmp_path: Path,
) -> None:
    db = Db(bot_db)
    await certquest()
    bob = emu.member("bob")
    await play_one_question(emu, bob, db)
    await bob.slash("remind", "on", hour=9, timezone="UTC")
    emu.refuse_dms(bob, 50007)

    await run_sweep(emu, bot_db_url, tmp_path, TOMORROW_10_UTC, "closed")

    assert dms_to(emu, bob) == []
    status = await bob.slash("remind", "status")
    assert "Reminders are **off**" in status.content and "DM" in status.content
    assert await db.scalar(
        "SELECT remind_disabled_reason FROM user_profiles p JOIN users u ON u.id = p.user_id "
        "WHERE u.discord_id = :d",
        d=bob.id,
    )


async def test_a_sweep_killed_midway_and_run_again_reminds_everyone_exactly_once(
    emu: Emulator, bot_db: AsyncEngine, bot_db_url: str, tmp_path: Path
) -> None:
    """Claim-before-send with a lease, and a nonce per user and day, survive a crash."""
    people = [emu.user(f"learner{i}") for i in range(30)]
    yesterday = (TOMORROW_10_UTC - dt.timedelta(days=1)).date()
    async with bot_db.begin() as conn:
        for person in people:
            uid = (
                await conn.execute(
                    text(
                        "INSERT INTO users (email, username, hashed_password, discord_id) "
                        "VALUES (:e, :n, '!', :d) RETURNING id"
                    ),
                    {"e": f"{person.id}@certquest.invalid", "n": person.username, "d": person.id},
                )
            ).scalar()
            await conn.execute(
                text(
                    "INSERT INTO user_profiles (user_id, study_streak_current, "
                    "study_streak_longest, last_activity_date, remind_enabled, remind_hour, "
                    "remind_next_at, timezone) VALUES (:u, 4, 4, :y, true, 9, :at, 'UTC')"
                ),
                {"u": uid, "y": yesterday, "at": TOMORROW_10_UTC - dt.timedelta(hours=1)},
            )
    # slow every DM down (a rate limit on each first try) so the first sweep is still
    # sending when it is killed
    emu.faults.add("POST /channels/*/messages", status=429, retry_after=0.5, times=30)

    def delivered() -> int:
        return sum(1 for m in emu.messages.values() if "streak ends at midnight" in m.content)

    first = sweep_process(emu, bot_db_url, tmp_path, TOMORROW_10_UTC, "killed")
    await first.start(emu)
    await emu.wait_until(lambda: delivered() >= 5, timeout=30, what="the first sweep sending")
    await first.kill()
    emu.faults.clear()
    assert delivered() < 30, "the first sweep must be killed midway"

    # after the lease (5 minutes) another process takes over the claimed users
    await run_sweep(emu, bot_db_url, tmp_path, TOMORROW_10_UTC + dt.timedelta(minutes=6), "after")

    sent = Counter(
        m.channel.id
        for m in emu.messages.values()
        if m.channel.guild_id is None and "streak ends at midnight" in m.content
    )
    assert len(sent) == 30 and set(sent.values()) == {1}
    assert (
        await Db(bot_db).scalar(
            "SELECT count(*) FROM user_profiles WHERE reminded_on = :d", d=TOMORROW_10_UTC.date()
        )
        == 30
    )
