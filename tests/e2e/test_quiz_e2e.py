"""A study group plays CertQuest through the real bot process and the Discord emulator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.certquest import Db, StartCertQuest
from tests.emulator import Emulator
from tests.emulator.model import Message

LETTERS = "ABCD"


async def correct_letter(db: Db, message: Message) -> str:
    """The key of the question on screen, read from the button's custom id and the bank."""
    custom_id = message.find_component("A")["custom_id"]
    session_id, index = map(int, custom_id.split(":")[2:4])
    ids = await db.scalar("SELECT question_ids FROM quiz_sessions WHERE id = :id", id=session_id)
    if isinstance(ids, str):
        import json

        ids = json.loads(ids)
    return str(
        await db.scalar("SELECT correct_answer FROM questions WHERE id = :id", id=ids[index])
    )


def other(letter: str) -> str:
    return "B" if letter == "A" else "A"


def is_revealed(message: Message) -> bool:
    return bool(message.embeds) and any(
        f["name"] == "Results" for f in message.embeds[0].get("fields", [])
    )


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_three_members_play_a_group_quiz_to_the_end(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    alice, bob, carol = emu.member("alice"), emu.member("bob"), emu.member("carol")
    channel = emu.default_guild.text_channels()[0]

    start = await alice.slash("quiz", "start", exam="security", questions=3, seconds=30)
    assert not start.ephemeral
    message = start.message
    announced_right = {"Alice": 0, "Bob": 0, "Carol": 0}
    ids = {"Alice": alice.id, "Bob": bob.id, "Carol": carol.id}
    for number in (1, 2, 3):
        title = message.embeds[0]["title"]
        assert title.startswith(f"Question {number}/3 · Security+ (SY0-701) · domain ")
        assert [b["label"] for b in message.buttons()] == ["A", "B", "C", "D", "Skip ▶"]
        right = await correct_letter(db, message)

        lock = await alice.click(message, right)
        assert lock.ephemeral and lock.content == f"Locked in: **{right}**"
        lock = await bob.click(message, other(right))
        assert lock.content == f"Locked in: **{other(right)}**"
        again = await bob.click(message, right)  # a second click changes nothing
        assert (
            again.ephemeral and "already chose" in again.content and other(right) in again.content
        )
        await carol.click(message, right)
        announced_right["Alice"] += 1
        announced_right["Carol"] += 1

        skip = await alice.click(message, "Skip ▶")
        assert skip.ephemeral
        await message.wait_until(is_revealed, timeout=5)
        revealed = message.embeds[0]
        results = next(f["value"] for f in revealed["fields"] if f["name"] == "Results")
        assert results.startswith("**3** answered")
        assert "Right: Alice, Carol\n" in results and "⚡ Fastest: Alice" in results
        styles = {b["label"]: (b["style"], b.get("disabled")) for b in message.buttons()}
        assert styles[right] == (3, True)  # green and disabled
        assert all(disabled for _, disabled in styles.values())

        if number < 3:
            next_title = f"Question {number + 1}/3"
            message = await emu.wait_for_message(
                channel,
                lambda m, t=next_title: bool(m.embeds) and m.embeds[0]["title"].startswith(t),
                timeout=5,
            )

    final = await emu.wait_for_message(
        channel,
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        timeout=5,
        include_existing=True,
    )
    board = final.embeds[0]["description"]
    lines = board.splitlines()
    assert [re.search(r"\*\*(\w+)\*\*", line)[1] for line in lines] == ["Alice", "Carol", "Bob"]  # type: ignore[index]
    unlocked = next(f["value"] for f in final.embeds[0]["fields"] if f["name"] == "Unlocked")
    for name in ("Alice", "Bob", "Carol"):
        assert f"{name} earned **First Steps**" in unlocked

    # what the messages announced is what the database holds
    for line in lines:
        name = re.search(r"\*\*(\w+)\*\*", line)[1]  # type: ignore[index]
        score = int(re.search(r"— (\d)/3", line)[1])  # type: ignore[index]
        xp = int(re.search(r"\+(\d+) XP", line)[1])  # type: ignore[index]
        row = await db.rows(
            "SELECT a.correct_answers, a.total_questions, a.xp_earned, a.status, "
            "p.xp, p.study_streak_current, p.total_exams_taken, p.total_questions_answered "
            "FROM quiz_attempts a JOIN users u ON u.id = a.user_id "
            "JOIN user_profiles p ON p.user_id = u.id WHERE u.discord_id = :d",
            d=ids[name],
        )
        assert len(row) == 1, name
        correct, total, xp_earned, status, profile_xp, streak, exams, answered = row[0]
        assert (correct, total, status) == (announced_right[name], 3, "completed")
        assert correct == score
        assert xp_earned == xp == profile_xp
        assert (streak, exams, answered) == (1, 1, 3)
        first_steps = await db.scalar(
            "SELECT count(*) FROM user_achievements ua JOIN achievements a "
            "ON a.id = ua.achievement_id JOIN users u ON u.id = ua.user_id "
            "WHERE a.name = 'First Steps' AND u.discord_id = :d",
            d=ids[name],
        )
        assert first_steps == 1

    # each new player is asked once, privately, whether they want streak reminders
    def asked() -> int:
        return sum(
            1
            for m in emu.messages.values()
            if m.ephemeral and "remind" in m.content.lower() and m.components
        )

    await emu.wait_until(lambda: asked() == 3, timeout=5, what="three reminder questions")
    # every answer stored once: 3 members x 3 questions, despite bob's double clicks
    assert await db.scalar("SELECT count(*) FROM user_answers") == 9
    emu.assert_no_violations()
    assert not emu.unanswered_interactions()
