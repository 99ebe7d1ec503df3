"""Sharding: guild events and interactions reach the shard that owns the guild."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import StartBot
from tests.emulator import BotProcess, Emulator


async def test_two_processes_one_shard_each(emu: Emulator, start_bot: StartBot) -> None:
    second_guild = emu.guild("Night Owls", shard=(1, 2))
    assert (second_guild.id >> 22) % 2 == 1
    assert (emu.default_guild.id >> 22) % 2 == 0  # the default guild stays on shard 0 ...
    alice = emu.member("alice")
    owl = emu.member("owl", guild=second_guild)

    env = {"SAMPLE_SHARD_COUNT": "2"}
    await start_bot(env={**env, "SAMPLE_SHARD_IDS": "0"}, shards=[0])
    await start_bot(env={**env, "SAMPLE_SHARD_IDS": "1"}, shards=[1])

    by_shard = {i.shard_id: i for i in emu.gateway.identifies}
    assert sorted(by_shard) == [0, 1]
    assert all(i.shard_count == 2 for i in by_shard.values())
    # explicit shard_count: discord.py skips /gateway/bot and uses DEFAULT_GATEWAY
    assert not emu.calls.filter("GET", "/gateway/bot")
    created = {
        (d.shard_id, d.data["id"]) for d in emu.gateway.dispatched if d.event == "GUILD_CREATE"
    }
    assert created == {(0, str(emu.default_guild.id)), (1, str(second_guild.id))}

    reply = await owl.slash("hello")  # global command, guild on shard 1
    assert reply.content == "Hello owl in Night Owls!"
    assert reply.interaction.shard_id == 1
    assert (await alice.slash("hello")).interaction.shard_id == 0
    dm = await owl.dm_slash("hello")  # DMs go to shard 0
    assert dm.interaction.shard_id == 0 and dm.content == "Hello owl in DMs!"
    emu.assert_no_violations()


async def test_one_process_uses_recommended_shard_count(tmp_path: Path) -> None:
    async with await Emulator.start(shards=2) as emu:
        other = emu.guild("Second", shard=(1, 2))
        bot = BotProcess.module(
            "tests.emulator.sample_bot",
            env={"SAMPLE_GUILD_ID": str(emu.default_guild.id)},
            log_path=tmp_path / "bot.log",
        )
        await bot.start(emu)
        try:
            await bot.wait_ready(emu, commands=True)
            assert emu.calls.filter("GET", "/gateway/bot")
            assert sorted(i.shard_id for i in emu.gateway.identifies) == [0, 1]
            reply = await emu.member("zoe", guild=other).slash("hello")
            assert reply.interaction.shard_id == 1 and reply.content == "Hello zoe in Second!"
        finally:
            await bot.stop()
