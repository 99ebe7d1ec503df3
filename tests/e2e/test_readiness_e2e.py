"""/readiness through the real bot: a newcomer is told to study first, a member with a few
answers gets an honest list of what is missing, never a made-up number."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_commands_e2e import play_one_question
from tests.emulator import Emulator


async def test_readiness_says_what_is_missing_instead_of_guessing(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    ivy = emu.member("ivy")

    first = await ivy.slash("readiness")
    assert first.ephemeral and "answer some questions with `/quiz start` first" in first.content

    await play_one_question(emu, ivy, db)  # one Network+ answer
    reply = await ivy.slash("readiness")
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "🎯 Readiness · Network+ (N10-009)"
    assert "can't estimate your score honestly yet" in embed["description"]
    assert "more answer" in embed["description"]  # what is missing, in numbers
    assert "Estimated score" not in embed["description"]
    emu.assert_no_violations()
