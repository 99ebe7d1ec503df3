"""A first run on the default SQLite database needs no other step."""

from __future__ import annotations

from pathlib import Path

from tests.emulator import BotProcess, Emulator


async def test_the_first_run_creates_and_seeds_the_database_then_plays(
    emu: Emulator, tmp_path: Path
) -> None:
    assert not (tmp_path / "certquest.sqlite3").exists()
    bot = BotProcess.module(
        "bot",
        "run",
        # no DATABASE_URL: the default SQLite file in the working directory
        env={"DEV_GUILD_ID": str(emu.default_guild.id), "DATABASE_URL": ""},
        cwd=tmp_path,
        log_path=tmp_path / "first-run.log",
    )
    await bot.start(emu)
    try:
        await bot.wait_ready(emu, commands=True, timeout=60)
        assert (tmp_path / "certquest.sqlite3").is_file()
        reply = await emu.member("newcomer").slash("quiz", "start", exam="a1202", questions=2)
        assert reply.embeds[0]["title"].startswith("Question 1/2 · A+ Core 2 (220-1202)")
        emu.assert_no_violations()
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log_text(), bot.log_tail(60)
