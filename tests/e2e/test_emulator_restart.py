"""A killed and restarted bot keeps serving buttons it posted before the restart."""

from __future__ import annotations

from tests.e2e.conftest import StartBot
from tests.emulator import Emulator


async def test_button_from_before_a_restart_still_works(emu: Emulator, start_bot: StartBot) -> None:
    first = await start_bot()
    alice = emu.member("alice")
    reply = await alice.slash("ping")
    message = reply.message

    assert await first.kill() == -9
    assert len(emu.gateway.identifies) == 1

    await start_bot()
    # a fresh process IDENTIFYs (a new session), it does not RESUME the old one
    assert len(emu.gateway.identifies) == 2
    assert emu.gateway.identifies[1].session_id != emu.gateway.identifies[0].session_id
    assert not emu.gateway.resumes

    click = await alice.click(message, "Count 0")
    assert click.response_type == 7
    assert message.embeds[0]["description"] == "The button was clicked 1 times."
    # the click payload echoed the message's components, which DynamicItem needs
    echoed = click.payload["message"]["components"][0]["components"][0]["custom_id"]
    assert echoed == "sample:count:0"
    followup = await click.wait_followup()
    assert followup.content == "Counter is now 1"
    emu.assert_no_violations()
