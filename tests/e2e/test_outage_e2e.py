"""When PostgreSQL goes away the bot says so in plain words, keeps running, and recovers."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.conftest import _pg_admin
from tests.e2e.certquest import StartCertQuest
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
