"""DMs: delivered when open, refused with 50007/50278 when the user's DMs are closed."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartBot
from tests.emulator import Emulator


async def test_dm_is_delivered(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    alice = emu.member("alice")
    reply = await alice.slash("dm")
    assert reply.response_type == 5  # deferred, ephemeral "thinking"
    dm = await emu.wait_for_message(alice.dm_channel, include_existing=True)
    assert dm.content == "Hello from the sample bot!"
    # the first follow-up after a deferral edits the loading message (documented Discord behaviour)
    answer = await reply.wait_original()
    assert answer.content == "Check your DMs!"
    assert answer.ephemeral and not answer.loading
    assert reply.followups == []
    emu.assert_no_violations()


@pytest.mark.parametrize("code", [50007, 50278])
async def test_closed_dms_surface_the_error_code_to_the_bot(
    emu: Emulator, start_bot: StartBot, code: int
) -> None:
    await start_bot()
    alice = emu.member("alice")
    alice.close_dms(code)
    reply = await alice.slash("dm")
    answer = await reply.wait_original()
    assert answer.content == f"I can't DM you (Discord error {code})."
    assert answer.ephemeral
    refused = emu.calls.filter("POST", "/channels/{channel_id}/messages")
    assert [(c.status, c.response["code"]) for c in refused] == [(403, code)]
    assert emu.messages_in(alice.dm_channel) == []
    emu.assert_no_violations()
