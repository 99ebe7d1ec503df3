"""When PostgreSQL goes away the bot says so in plain words, keeps running, and recovers."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import _pg_admin
from tests.e2e.certquest import Db, StartCertQuest
from tests.emulator import Emulator


async def test_a_database_outage_gets_a_clear_reply_and_the_bot_recovers(
    emu: Emulator, certquest: StartCertQuest, bot_db_url: str
) -> None:
    bot = await certquest()
    alice = emu.member("alice")
    assert (await alice.slash("remind", "status")).ephemeral

    name = make_url(bot_db_url).database
    await _pg_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    await _pg_admin(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )
    try:
        down = await alice.slash("quiz", "start", exam="security")
        assert down.ephemeral
        assert down.content.startswith("CertQuest can't reach its database right now")
    finally:
        await _pg_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')

    assert bot.running
    back = await alice.slash("quiz", "start", exam="security", questions=1)
    assert not back.ephemeral and back.embeds[0]["title"].startswith("Question 1/1")
    emu.assert_no_violations()


async def test_a_members_click_right_after_the_database_dropped_every_connection_is_kept(
    emu: Emulator, certquest: StartCertQuest, bot_db_url: str, bot_db: AsyncEngine
) -> None:
    """Bob's later clicks go through the answer path's own pool (no pre-ping): when every
    connection was dropped between two questions, his next click still gets "Locked in" and
    is stored once."""
    await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    channel = emu.default_guild.text_channels()[0]
    start = await alice.slash("quiz", "start", exam="security", questions=3, seconds=30)
    message = start.message
    name = make_url(bot_db_url).database
    for number in (1, 2, 3):
        if number == 3:  # the server drops every connection (a restart, a failover)
            await _pg_admin(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
        lock = await bob.click(message, "C")
        assert lock.ephemeral and lock.content == "Locked in: **C**", number
        await alice.click(message, "Skip ▶")
        if number < 3:
            message = await emu.wait_for_message(
                channel,
                lambda m, t=f"Question {number + 1}/3": (
                    bool(m.embeds) and m.embeds[0]["title"].startswith(t)
                ),
                timeout=5,
            )
    final = await emu.wait_for_message(
        channel,
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        timeout=5,
        include_existing=True,
    )
    assert "**Bob**" in final.embeds[0]["description"]
    assert "/3" in final.embeds[0]["description"]
    stored = await Db(bot_db).scalar(
        "SELECT count(*) FROM user_answers a JOIN users u ON u.id = a.user_id "
        "WHERE u.discord_id = :d AND a.user_answer = 'C'",
        d=bob.id,
    )
    assert stored == 3
    emu.assert_no_violations()
