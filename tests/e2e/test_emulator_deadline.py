"""The 3-second initial-response deadline, enforced on a real discord.py bot."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartBot
from tests.emulator import Emulator, InteractionFailed


async def test_callback_after_three_seconds_fails_with_10062(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()
    alice = emu.member("alice")
    slow = await alice.slash("slow", wait=False)

    attempt = await slow.wait_callback_attempt(timeout=8)
    assert (attempt.status, attempt.code) == (404, 10062)
    assert attempt.at - slow.interaction.created_at >= 3.0
    with pytest.raises(InteractionFailed):
        await slow.wait_response()

    # the NotFound reached the bot's code, which reported it in the channel
    report = await emu.wait_for_message(
        emu.default_channel, lambda m: m.content.startswith("slow:"), include_existing=True
    )
    assert report.content == "slow: callback failed with 10062"
    assert [v.kind for v in emu.violations] == ["initial_response_deadline"]
    assert emu.unanswered_interactions() == [slow.interaction]
