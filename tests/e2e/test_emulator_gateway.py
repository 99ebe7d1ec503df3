"""Gateway faults: close codes, dropped sockets, INVALID_SESSION, with a real discord.py client."""

from __future__ import annotations

from tests.e2e.conftest import StartBot
from tests.emulator import Emulator


async def test_close_4000_resumes_and_keeps_an_interaction_sent_meanwhile(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()
    alice = emu.member("alice")
    await alice.slash("ping")
    session = emu.gateway.session(0)
    assert session is not None

    await emu.gateway.close(0, 4000)
    # the socket is down: this interaction is stored in the session and replayed on RESUME
    pending = await alice.slash("ping", wait=False)
    await pending.wait_response()
    assert pending.embeds[0]["title"] == "Pong!"

    assert len(emu.gateway.identifies) == 1  # no second IDENTIFY
    [resume] = emu.gateway.resumes
    assert resume.accepted and resume.session_id == session.id
    assert resume.path == "/gateway-resume"  # discord.py used READY.resume_gateway_url
    assert resume.replayed >= 1
    assert emu.gateway.session(0) is session
    emu.assert_no_violations()


async def test_dropped_socket_resumes(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    alice = emu.member("alice")
    await emu.gateway.drop(0)
    reply = await alice.slash("ping", wait=False)
    await reply.wait_response()
    assert len(emu.gateway.identifies) == 1
    assert [r.accepted for r in emu.gateway.resumes] == [True]


async def test_invalid_session_makes_the_client_identify_again(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()
    alice = emu.member("alice")
    await emu.gateway.invalidate(0, resumable=False)
    await emu.wait_until(lambda: len(emu.gateway.identifies) == 2, what="a second IDENTIFY")
    # discord.py falls back to DiscordWebSocket.DEFAULT_GATEWAY, which configure_api_base set
    assert emu.gateway.identifies[1].path == "/gateway"
    await emu.wait_ready()
    reply = await alice.slash("ping")
    assert reply.response_type == 4


async def test_close_4004_is_fatal(emu: Emulator, start_bot: StartBot) -> None:
    bot = await start_bot()
    await emu.gateway.close(0, 4004, "Authentication failed.")
    code = await bot.wait_exit(timeout=10)
    assert code != 0
    assert "4004" in bot.log_text()
    assert not emu.gateway.resumes


async def test_privileged_intents_not_enabled_close_4014(
    emu: Emulator, start_bot: StartBot
) -> None:
    emu.privileged_intents = 0
    bot = await start_bot(env={"SAMPLE_PRIVILEGED": "1"}, wait=False)
    code = await bot.wait_exit(timeout=10)
    assert code != 0
    assert "PrivilegedIntentsRequired" in bot.log_text()
    assert not emu.gateway.identifies


async def test_members_and_message_content_intents(emu: Emulator, start_bot: StartBot) -> None:
    alice = emu.member("alice")
    await start_bot(env={"SAMPLE_PRIVILEGED": "1"})
    [guild_create] = [d for d in emu.gateway.dispatched if d.event == "GUILD_CREATE"]
    assert len(guild_create.data["members"]) == guild_create.data["member_count"] == 3

    said = await alice.send("echo study hard")
    reply = await emu.wait_for_message(
        emu.default_channel, lambda m: m.author_id == emu.bot_user.id
    )
    assert reply.content == "study hard"
    assert reply.data["message_reference"]["message_id"] == str(said.id)
    assert reply.data["type"] == 19

    emu.member("newcomer")  # GUILD_MEMBER_ADD reaches the bot with the members intent
    assert any(d.event == "GUILD_MEMBER_ADD" for d in emu.gateway.dispatched)


async def test_reconnect_opcode_resumes(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    await emu.gateway.request_reconnect(0)
    await emu.wait_until(lambda: emu.gateway.resumes, what="a RESUME")
    assert emu.gateway.resumes[0].accepted
    reply = await emu.member("alice").slash("ping")
    assert reply.response_type == 4
    assert len(emu.gateway.identifies) == 1
