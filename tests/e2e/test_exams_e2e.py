"""Current exams and retired ones, through the real bot and the emulator: /quiz start offers
the current exams (each with its code), the retired ones only through their own option, and
a question never shows its objective's title before the reveal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.exams import exams
from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_quiz_e2e import is_revealed
from tests.emulator import Emulator
from tests.emulator.model import Message


def quiz_start_options(emu: Emulator) -> dict[str, dict[str, Any]]:
    quiz = next(c for c in emu.commands_for(emu.default_guild) if c["name"] == "quiz")
    start = next(o for o in quiz["options"] if o["name"] == "start")
    return {o["name"]: o for o in start["options"]}


async def objective_on_screen(db: Db, message: Message) -> tuple[str, str]:
    """(objective id, its title in the registry) of the question a message shows."""
    custom_id = message.find_component("A")["custom_id"]
    session_id, index = map(int, custom_id.split(":")[2:4])
    ids = await db.scalar("SELECT question_ids FROM quiz_sessions WHERE id = :id", id=session_id)
    ids = json.loads(ids) if isinstance(ids, str) else ids
    exam_type, objective = (
        await db.rows("SELECT exam_type, domain FROM questions WHERE id = :id", id=ids[index])
    )[0]
    found = exams()[exam_type].objective(objective)
    assert found is not None
    return objective, found.title


def text_of(message: Message) -> str:
    embed = message.embeds[0]
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_a_group_quiz_on_220_1202_hides_the_objective_until_the_reveal(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")

    options = quiz_start_options(emu)
    current = {c["value"]: c["name"] for c in options["exam"]["choices"]}
    assert set(current) == {"a1201", "a1202", "network", "security"}  # no retired exam
    assert current["a1202"] == "A+ Core 2 (220-1202)"
    assert current["security"] == "Security+ (SY0-701)"
    retired = {c["value"]: c["name"] for c in options["retired_exam"]["choices"]}
    assert retired == {
        "a1101": "A+ Core 1 (220-1101) (retired 2025-09-25)",
        "a1102": "A+ Core 2 (220-1102) (retired 2025-09-25)",
    }

    start = await alice.slash("quiz", "start", exam="a1202", questions=2, seconds=30)
    message = start.message
    for number in (1, 2):
        objective, title = await objective_on_screen(db, message)
        shown = text_of(message)
        assert message.embeds[0]["title"].startswith(
            f"Question {number}/2 · A+ Core 2 (220-1202) · domain {objective.split('.')[0]}.0"
        )
        assert title[:40] not in shown and objective not in shown.split("domain", 1)[1]
        await bob.click(message, "A")
        await alice.click(message, "B")
        await alice.click(message, "Skip ▶")
        await message.wait_until(is_revealed, timeout=5)
        revealed = text_of(message)
        assert title[:40] in revealed and f"objective {objective}" in revealed
        if number == 1:
            message = await emu.wait_for_message(
                emu.default_guild.text_channels()[0],
                lambda m: bool(m.embeds) and m.embeds[0]["title"].startswith("Question 2/2"),
                timeout=5,
            )
    assert await db.scalar(
        "SELECT count(*) FROM quiz_attempts WHERE exam_type = 'a1202'"
    ) == 2  # alice and bob both played the 220-1202 quiz
    emu.assert_no_violations()


@pytest.mark.parametrize("e2e_backend", ["sqlite"], indirect=True)
async def test_a_retired_exam_is_played_through_its_option_and_named_retired(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    await certquest()
    carol = emu.member("carol")
    start = await carol.slash("quiz", "start", retired_exam="a1101", questions=1, mode="solo")
    assert start.ephemeral
    assert start.message.embeds[0]["title"].startswith(
        "Question 1/1 · A+ Core 1 (220-1101) (retired 2025-09-25) · domain "
    )
    both = await carol.slash(
        "quiz", "start", exam="network", retired_exam="a1101", questions=1, mode="solo"
    )
    assert both.ephemeral and "either `exam` or `retired_exam`" in both.content
    emu.assert_no_violations()
