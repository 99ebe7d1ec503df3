"""Mock exams through the real bot and the emulator: a private, timed sitting with no feedback
until the end; flags and a review screen; a result with the passing line and each domain;
every answer reviewable afterwards; a restart in the middle loses nothing; a sitting whose time
is up ends and is scored by itself."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.mockexam.rules import domain_counts
from db.exams import exams
from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_reminders_e2e import dms_to
from tests.emulator import Emulator
from tests.emulator.model import Message

TITLE = re.compile(r"question (\d+) of (\d+)")


def exam_id(message: Message) -> int:
    button = next(b for b in message.buttons() if b.get("custom_id", "").startswith("cq:mx:"))
    return int(button["custom_id"].split(":")[2])


def shown_position(message: Message) -> int:
    match = TITLE.search(message.embeds[0]["title"])
    assert match, message.embeds[0]["title"]
    return int(match[1]) - 1


async def key_of(db: Db, message: Message) -> str:
    return str(
        await db.scalar(
            "SELECT q.correct_answer FROM mock_exam_items i JOIN questions q "
            "ON q.id = i.question_id WHERE i.exam_id = :e AND i.position = :p",
            e=exam_id(message),
            p=shown_position(message),
        )
    )


def other(letter: str) -> str:
    return "A" if letter != "A" else "B"


def description(message: Message) -> str:
    return str(message.embeds[0].get("description", ""))


def ends_at_shown(message: Message) -> int:
    match = re.search(r"<t:(\d+):R>", description(message))
    assert match, description(message)
    return int(match[1])


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_a_mock_exam_gives_no_feedback_until_submitted_then_scores_and_explains(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    carol = emu.member("carol")
    start = await carol.slash("exam", "mock", exam="security", questions=10)
    assert start.ephemeral and "Mock exam started" in start.content
    assert "10 questions, 10 minutes" in start.content
    message = start.message
    assert message.embeds[0]["title"] == "Mock exam · Security+ (SY0-701) · question 1 of 10"
    domains = await db.rows(
        "SELECT domain FROM mock_exam_items WHERE exam_id = :e", e=exam_id(message)
    )
    assert dict(Counter(d for (d,) in domains)) == domain_counts(exams()["security"], 10)

    # question 1: a wrong answer, flagged; no feedback of any kind
    wrong = other(await key_of(db, message))
    click = await carol.click(message, wrong)
    assert click.response_type == 7  # the same private message, updated by this click
    assert f"Your answer: **{wrong}**" in description(message)
    assert "✅" not in str(message.embeds) and "❌" not in str(message.embeds)
    await carol.click(message, "🚩 Flag")
    assert "🚩 Flagged for review" in description(message)
    # question 2: right; question 3: flagged, left unanswered
    await carol.click(message, "Next ▶")
    assert shown_position(message) == 1
    await carol.click(message, await key_of(db, message))
    await carol.click(message, "Next ▶")
    await carol.click(message, "🚩 Flag")
    assert "Answered 2/10 · flagged 2" in message.embeds[0]["footer"]["text"]

    await carol.click(message, "📋 Review & submit")
    review = description(message)
    assert "🚩 Flagged: 1, 3" in review
    assert "⬜ Unanswered: 3, 4, 5, 6, 7, 8, 9, 10" in review
    await carol.select(message, "cq:mxj:" + str(exam_id(message)), ["2"])  # jump to question 3
    assert shown_position(message) == 2 and "🚩 Flagged for review" in description(message)

    await carol.click(message, "📋 Review & submit")
    await carol.click(message, "Submit exam")
    assert "**8** question(s) are unanswered" in message.content
    await carol.click(message, "✅ Yes, submit")
    result = message.embeds[0]
    assert result["title"] == "Mock exam · Security+ (SY0-701) · result"
    assert "passing score **750**" in result["description"]
    assert "**1/10** right" in result["description"] and "Time used:" in result["description"]
    (by_domain,) = [f for f in result["fields"] if f["name"] == "By domain"]
    assert by_domain["value"].count("weight") == len(exams()["security"].domains)

    await carol.click(message, "Review what you missed ▶")
    answer = message.embeds[0]
    assert answer["title"].endswith("question 1 of 10")
    assert f"You answered **{wrong}**; the answer is" in answer["description"]
    assert len(answer["fields"]) == 4 and all(f["value"] for f in answer["fields"])
    assert any("← your answer" in f["name"] for f in answer["fields"])

    # the two answers went into carol's review deck, the miss due first
    cards = await db.rows(
        "SELECT c.last_correct FROM review_cards c JOIN users u ON u.id = c.user_id "
        "WHERE u.discord_id = :d ORDER BY c.due",
        d=carol.id,
    )
    assert [bool(c) for (c,) in cards] == [False, True]
    emu.assert_no_violations()


async def test_a_restart_in_the_middle_resumes_the_sitting_with_its_answers_and_clock(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    first = await certquest()
    dave = emu.member("dave")
    start = await dave.slash("exam", "mock", exam="network", questions=20)
    message = start.message
    ends = ends_at_shown(message)
    await dave.click(message, "C")
    await dave.click(message, "Next ▶")
    await dave.click(message, "🚩 Flag")

    assert await first.kill() == -9
    await certquest()

    await dave.click(message, "Next ▶")  # a button from before the restart
    assert shown_position(message) == 2
    await dave.click(message, "◀ Previous")
    assert "🚩 Flagged for review" in description(message)
    await dave.click(message, "◀ Previous")
    assert "Your answer: **C**" in description(message)
    assert ends_at_shown(message) == ends  # the same deadline: the time left kept running
    stored = await db.scalar(
        "SELECT ends_at FROM mock_exams WHERE id = :e", e=exam_id(message)
    )
    stored_at = stored if isinstance(stored, dt.datetime) else dt.datetime.fromisoformat(stored)
    assert int(stored_at.replace(tzinfo=stored_at.tzinfo or dt.UTC).timestamp()) == ends

    again = await dave.slash("exam", "mock", exam="network")  # the message was dismissed
    assert again.ephemeral and "Resumed" in again.content
    assert shown_position(again.message) == 0 and ends_at_shown(again.message) == ends
    emu.assert_no_violations()


async def test_when_the_time_is_up_the_sitting_ends_itself_and_the_member_is_told(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest(MOCK_EXAM_SWEEP_SECONDS="0.5")
    erin = emu.member("erin")
    start = await erin.slash("exam", "mock", exam="a1201", questions=10)
    message = start.message
    await erin.click(message, await key_of(db, message))
    eid = exam_id(message)
    # ten minutes pass (moved in the database): the sitting's time is up
    now = dt.datetime.now(dt.UTC)
    async with bot_db.begin() as conn:
        await conn.execute(
            text("UPDATE mock_exams SET started_at = :s, ends_at = :e WHERE id = :id"),
            {
                "s": now - dt.timedelta(minutes=10, seconds=1),
                "e": now - dt.timedelta(seconds=1),
                "id": eid,
            },
        )

    dm = await emu.wait_for_message(
        emu.dm_channel(erin),
        lambda m: "Time's up on your mock exam" in m.content,
        timeout=10,
    )
    assert dm.embeds[0]["title"] == "Mock exam · A+ Core 1 (220-1201) · result"
    assert "⏰ Time ran out" in dm.embeds[0]["description"]
    assert "**1/10** right" in dm.embeds[0]["description"]
    assert await db.scalar("SELECT status FROM mock_exams WHERE id = :e", e=eid) == "timed_out"
    assert await db.scalar("SELECT correct_count FROM mock_exams WHERE id = :e", e=eid) == 1
    assert len(dms_to(emu, erin)) == 1  # told once

    click = await erin.click(message, "B")  # the old screen: the result, nothing changed
    assert click.response_type == 7 and message.embeds[0]["title"].endswith("· result")
    answered = await db.scalar(
        "SELECT count(*) FROM mock_exam_items WHERE exam_id = :e AND chosen IS NOT NULL", e=eid
    )
    assert answered == 1

    history = await erin.slash("exam", "results")
    assert history.ephemeral and "⏰ timed out" in history.embeds[0]["description"]
    emu.assert_no_violations()
