"""Scale-out: two real bot processes split two shards (SHARD_COUNT=2, SHARD_IDS=0 / 1) and
share one PostgreSQL database.

Discord routes a guild's events to shard ``(guild_id >> 22) % shard_count`` and DMs to shard 0;
each process only holds the gateway session of its own shard, so the process that answers an
interaction is the one that owns its shard. Reminders are not tied to a shard: any process
may sweep, and the claims in the database make sure a reminder goes out once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import EXTENSIONS
from tests.e2e.certquest import Db, SyncGlobally
from tests.e2e.test_quiz_e2e import correct_letter, is_revealed
from tests.emulator import Actor, BotProcess, Emulator, Message

SHARD_COUNT = 2
TOMORROW_10_UTC = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
TELEMETRY = "cogs.core.telemetry" in EXTENSIONS

StartShard = Callable[[int], Awaitable[BotProcess]]


@pytest.fixture
async def start_shard(emu: Emulator, bot_db_url: str, tmp_path: Path) -> AsyncIterator[StartShard]:
    """``await start_shard(i)`` runs ``python -m bot run`` with SHARD_COUNT=2, SHARD_IDS=i on
    the test's database and waits until shard ``i`` is connected. Commands are global (run
    ``sync_globally`` first): no DEV_GUILD_ID, so the processes sync nothing themselves."""
    procs: list[BotProcess] = []

    async def start(shard_id: int) -> BotProcess:
        proc = BotProcess.module(
            "bot",
            "run",
            env={
                "DATABASE_URL": bot_db_url,
                "LOG_LEVEL": "INFO",
                "SHARD_COUNT": str(SHARD_COUNT),
                "SHARD_IDS": str(shard_id),
                "QUIZ_REVEAL_PAUSE_SECONDS": "0.2",
            },
            log_path=tmp_path / f"certquest-shard{shard_id}.log",
            cwd=tmp_path,
        )
        procs.append(proc)
        await proc.start(emu)
        await proc.wait_ready(emu, shards=[shard_id], timeout=30)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            await proc.stop()
        for proc in procs:
            assert "Traceback" not in proc.log_text(), proc.log_tail(60)


def created_accounts(proc: BotProcess) -> set[int]:
    """Discord ids of the accounts this process created (bot.accounts.service logs each one)."""
    created = r"created an account for a Discord user .*?discord_id=(\d+)"
    return {int(d) for d in re.findall(created, proc.log_text())}


def telemetry(proc: BotProcess, user: Actor) -> list[str]:
    """This process's ``interaction …`` lines (cogs.core.telemetry) for ``user``."""
    return [
        line
        for line in proc.log_text().splitlines()
        if " cogs.core.telemetry interaction " in line and f" user={user.id} " in line
    ]


def dms_to(emu: Emulator, user: Actor) -> list[Message]:
    return [m for m in emu.messages_in(emu.dm_channel(user)) if m.author_id != user.id]


async def test_two_processes_split_the_shards_and_share_one_database(
    emu: Emulator,
    start_shard: StartShard,
    sync_globally: SyncGlobally,
    bot_db: AsyncEngine,
    bot_db_url: str,
    tmp_path: Path,
) -> None:
    db = Db(bot_db)
    night = emu.guild("Night Owls", shard=(1, SHARD_COUNT))
    assert (emu.default_guild.id >> 22) % SHARD_COUNT == 0
    assert (night.id >> 22) % SHARD_COUNT == 1
    alice = emu.member("alice")  # default guild: shard 0
    owl = emu.member("owl", guild=night)  # shard 1
    dora = emu.member("dora")  # uses the bot in DMs only

    await sync_globally()  # global commands: both guilds and DMs see them
    first = await start_shard(0)
    second = await start_shard(1)

    # each process IDENTIFYed its own shard only, with the total shard count
    identified = {i.shard_id: i for i in emu.gateway.identifies}
    assert sorted(identified) == [0, 1]
    assert [i.shard_id for i in emu.gateway.identifies] == [0, 1], "no re-IDENTIFY"
    assert all(i.shard_count == SHARD_COUNT for i in identified.values())
    assert first.started_at <= identified[0].at < second.started_at <= identified[1].at
    created = {
        (d.shard_id, int(d.data["id"])) for d in emu.gateway.dispatched if d.event == "GUILD_CREATE"
    }
    assert created == {(0, emu.default_guild.id), (1, night.id)}

    # a group quiz in the shard-1 guild: the command and every click reach the second
    # process, the one that holds the quiz in memory
    start = await owl.slash("quiz", "start", exam="network", questions=1)
    assert start.interaction.shard_id == 1
    message = start.message
    lock = await owl.click(message, await correct_letter(db, message))
    assert lock.interaction.shard_id == 1 and lock.content.startswith("Locked in")
    await owl.click(message, "Skip ▶")
    await message.wait_until(is_revealed, timeout=5)
    await emu.wait_for_message(
        night.text_channels()[0],
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        include_existing=True,
    )
    on = await owl.slash("remind", "on", hour=9, timezone="UTC")
    assert on.interaction.shard_id == 1 and "on" in on.content

    # the default guild (shard 0) and DMs (always shard 0) reach the first process
    profile = await alice.slash("profile")
    assert profile.interaction.shard_id == 0 and profile.ephemeral
    in_dm = await dora.dm_slash("profile")
    assert in_dm.interaction.shard_id == 0 and in_dm.ephemeral

    assert created_accounts(second) == {owl.id}
    assert created_accounts(first) == {alice.id, dora.id}
    assert await db.scalar("SELECT count(*) FROM users") == 3  # one database for both

    # tomorrow, two sweeps race (`certquest reminders sweep` in two processes); the bots'
    # own minute ticks run too but see nothing due yet (their clock is today)
    sweeps = [
        BotProcess.module(
            "bot",
            "reminders",
            "sweep",
            "--now",
            TOMORROW_10_UTC.isoformat(),
            env={"DATABASE_URL": bot_db_url, "LOG_LEVEL": "INFO"},
            cwd=tmp_path,
            log_path=tmp_path / f"sweep-{n}.log",
        )
        for n in (1, 2)
    ]
    for proc in sweeps:
        await proc.start(emu)
    for proc in sweeps:
        assert await proc.wait_exit(60) == 0, proc.log_tail()
    (dm,) = dms_to(emu, owl)  # exactly one DM
    reports = [re.findall(r"(\d+) sent", proc.log_text()) for proc in sweeps]
    assert sorted(int(n) for found in reports for n in found[-1:]) == [0, 1], reports
    assert "Your 1-day Network+ (N10-009) streak ends at midnight" in dm.content
    sent = emu.calls.filter("POST", "/channels/{channel_id}/messages", status=200)
    assert [c.path for c in sent].count(f"/channels/{emu.dm_channel(owl).id}/messages") == 1
    assert await db.scalar(
        "SELECT reminded_on FROM user_profiles p JOIN users u ON u.id = p.user_id "
        "WHERE u.discord_id = :d",
        d=owl.id,
    ) in (TOMORROW_10_UTC.date(), TOMORROW_10_UTC.date().isoformat())

    # the reminder's button is clicked in the DM: shard 0, so the first process starts the
    # solo quiz for an account the second process created
    quiz = await owl.click(dm, dm.buttons()[0]["custom_id"])
    assert quiz.interaction.shard_id == 0
    assert quiz.ephemeral and quiz.embeds[0]["title"].startswith("Question 1/5 · Network+")

    if TELEMETRY:  # one log line per interaction, in the process that got it
        assert len(telemetry(second, owl)) == 4  # quiz start, 2 clicks, /remind on
        assert all(" shard=1 " in f"{line} " for line in telemetry(second, owl))
        assert len(telemetry(first, owl)) == 1 and " shard=0" in telemetry(first, owl)[0]
        assert telemetry(first, alice) and telemetry(first, dora)
        assert not telemetry(second, alice) and not telemetry(second, dora)

    assert emu.unanswered_interactions() == []
    emu.assert_no_violations()
