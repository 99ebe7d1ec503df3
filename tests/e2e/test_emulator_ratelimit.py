"""REST faults: rate limits and server errors, handled by discord.py's own HTTP client."""

from __future__ import annotations

from tests.e2e.conftest import StartBot
from tests.emulator import Emulator

MESSAGES = "/channels/{channel_id}/messages"


async def test_429_on_channel_message_is_waited_out_then_succeeds(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()
    alice = emu.member("alice")
    fault = emu.faults.add(f"POST {MESSAGES}", status=429, retry_after=0.5)

    reply = await alice.slash("announce", text="Quiz night at 8pm!")
    posted = await emu.wait_for_message(
        emu.default_channel, lambda m: m.content == "Quiz night at 8pm!", include_existing=True
    )
    calls = emu.calls.filter("POST", MESSAGES)
    assert [c.status for c in calls] == [429, 200]
    assert fault.hits == 1
    elapsed = calls[1].at - calls[0].at
    assert elapsed >= 0.5, elapsed

    done = await reply.wait_original(lambda m: m.content.startswith("Posted message"))
    assert done.content == f"Posted message {posted.id}"
    assert done.ephemeral
    emu.assert_no_violations()


async def test_global_429_blocks_then_succeeds(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    alice = emu.member("alice")
    emu.faults.add(f"POST {MESSAGES}", status=429, retry_after=0.3, global_=True)
    await alice.slash("announce", text="global")
    await emu.wait_for_message(
        emu.default_channel, lambda m: m.content == "global", include_existing=True
    )
    first, second = emu.calls.filter("POST", MESSAGES)
    assert first.response["global"] is True
    assert second.at - first.at >= 0.3


async def test_429_without_via_header_is_not_retried(emu: Emulator, start_bot: StartBot) -> None:
    """discord.py treats a 429 without ``Via`` as a Cloudflare ban and raises at once."""
    await start_bot()
    alice = emu.member("alice")
    emu.faults.add(f"POST {MESSAGES}", status=429, retry_after=0.2, via=False)
    reply = await alice.slash("announce", text="never posted")
    assert reply.response_type == 5
    await emu.wait_until(lambda: emu.calls.filter("POST", MESSAGES), what="the POST")
    # the command failed: the deferred response stays "thinking" and nothing was retried
    assert [c.status for c in emu.calls.filter("POST", MESSAGES)] == [429]
    assert reply.message.loading


async def test_500_is_retried(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    alice = emu.member("alice")
    emu.faults.add(f"POST {MESSAGES}", status=500)
    await alice.slash("announce", text="after a 500")
    await emu.wait_for_message(
        emu.default_channel, lambda m: m.content == "after a 500", include_existing=True
    )
    assert [c.status for c in emu.calls.filter("POST", MESSAGES)] == [500, 200]
