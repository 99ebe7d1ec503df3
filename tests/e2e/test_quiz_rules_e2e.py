"""What members see when they do something the quiz cannot accept, and restarts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.certquest import Db, StartCertQuest, SyncGlobally
from tests.e2e.test_quiz_e2e import correct_letter, is_revealed, other
from tests.emulator import Emulator

MANAGE_MESSAGES = 1 << 13


async def test_second_quiz_in_a_channel_and_stopping_rules(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    mod = emu.member("mod", permissions=MANAGE_MESSAGES)
    start = await alice.slash("quiz", "start", exam="network", questions=5, seconds=60)
    question = start.message

    second = await bob.slash("quiz", "start", exam="a1201")
    assert second.ephemeral
    assert "already running in this channel (started by Alice)" in second.content
    assert "/quiz stop" in second.content

    skip = await bob.click(question, "Skip ▶")
    assert skip.ephemeral and "Only Alice" in skip.content

    refused = await bob.slash("quiz", "stop")
    assert refused.ephemeral and "Only Alice (who started it)" in refused.content

    await bob.click(question, "C")
    stopped = await mod.slash("quiz", "stop")  # a moderator may stop it
    assert not stopped.ephemeral
    assert "stopped after" in stopped.embeds[0]["title"]
    assert "Bob" in stopped.embeds[0]["description"]
    await question.wait_until(lambda m: not m.buttons(), timeout=5)

    # the quiz is over: nothing more is stored for it
    db = Db(bot_db)
    assert await db.scalar("SELECT status FROM quiz_sessions") == "finished"
    assert await db.scalar("SELECT count(*) FROM user_answers") == 1
    again = await alice.slash("quiz", "stop")
    assert again.ephemeral and again.content == "No quiz is running in this channel."
    emu.assert_no_violations()


async def test_a_restart_mid_question_loses_and_duplicates_nothing(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    first = await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    channel = emu.default_guild.text_channels()[0]
    start = await alice.slash("quiz", "start", exam="a1202", questions=2, seconds=60)
    question = start.message
    right = await correct_letter(db, question)
    await alice.click(question, right)

    await first.kill()
    await certquest()  # a new process: nothing in memory, everything in the database

    # the button posted before the restart still works, and the first answer still counts
    lock = await bob.click(question, other(right))
    assert lock.content == f"Locked in: **{other(right)}**"
    again = await alice.click(question, other(right))
    assert "already chose" in again.content and right in again.content
    await alice.click(question, "Skip ▶")
    await question.wait_until(is_revealed, timeout=5)
    assert "**2** answered" in question.embeds[0]["fields"][-1]["value"]

    second = await emu.wait_for_message(
        channel, lambda m: bool(m.embeds) and m.embeds[0]["title"].startswith("Question 2/2")
    )
    await alice.click(second, await correct_letter(db, second))
    await alice.click(second, "Skip ▶")
    final = await emu.wait_for_message(
        channel, lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"]
    )
    assert "Alice** — 2/2" in final.embeds[0]["description"]
    assert "Bob** — 0/2" in final.embeds[0]["description"]
    assert await db.scalar("SELECT count(*) FROM user_answers") == 3
    assert await db.scalar("SELECT count(*) FROM quiz_attempts WHERE status = 'completed'") == 2
    emu.assert_no_violations()


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_a_clean_stop_during_a_quiz_exits_at_once_and_the_next_start_continues_it(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    """docker stop / systemd send SIGTERM: the bot stops its quiz runners where they wait,
    not inside a transaction, exits cleanly (no traceback in its log: checked when the
    fixture stops it), and the quiz goes on after the next start."""
    db = Db(bot_db)
    first = await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    channel = emu.default_guild.text_channels()[0]
    start = await alice.slash("quiz", "start", exam="network", questions=2, seconds=60)
    question = start.message
    await bob.click(question, "D")

    started = asyncio.get_running_loop().time()
    assert await first.stop(timeout=10) == 0
    assert asyncio.get_running_loop().time() - started < 2.5  # no wait for the deadline
    assert "Traceback" not in first.log_text(), first.log_tail(40)
    assert await db.scalar("SELECT status FROM quiz_sessions") == "running"

    await certquest()
    await alice.click(question, "Skip ▶")  # the old message's buttons work
    await question.wait_until(is_revealed, timeout=5)
    assert "**1** answered" in question.embeds[0]["fields"][-1]["value"]
    second = await emu.wait_for_message(
        channel, lambda m: bool(m.embeds) and m.embeds[0]["title"].startswith("Question 2/2")
    )
    await alice.click(second, "Skip ▶")
    final = await emu.wait_for_message(
        channel, lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"]
    )
    assert "Bob**" in final.embeds[0]["description"]
    assert await db.scalar("SELECT count(*) FROM user_answers") == 1
    emu.assert_no_violations()


async def test_solo_practice_is_private_and_explains_every_option(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine, sync_globally: SyncGlobally
) -> None:
    db = Db(bot_db)
    await sync_globally()  # commands in DMs are global commands
    await certquest()
    dana = emu.member("dana")
    start = await dana.dm_slash("quiz", "start", exam="security", questions=2)
    assert start.ephemeral
    message = start.message
    for number in (1, 2):
        right = await correct_letter(db, message)
        feedback = await dana.click(message, other(right))
        assert feedback.response_type == 7  # the same message is updated
        fields = message.embeds[0]["fields"]
        assert len(fields) == 4 and all(f["value"] for f in fields)
        assert fields["ABCD".index(right)]["name"].startswith(f"✅ {right}.")
        label = "See results" if number == 2 else "Next ▶"
        last = await dana.click(message, label)
    assert "results" in message.embeds[0]["title"]
    assert "0/2" in message.embeds[0]["description"]
    # after the first quiz, the member is asked once about streak reminders
    ask = await last.wait_followup()
    assert ask.ephemeral and "remind" in ask.content.lower()
    emu.assert_no_violations()
