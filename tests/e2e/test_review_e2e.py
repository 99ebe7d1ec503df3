"""The review deck through the real bot: every player of a group quiz gets cards, and the next
day /review serves what they missed first, then new questions (never posed as reviews)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from db.review.models import ReviewCard
from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_quiz_e2e import correct_letter, is_revealed, other
from tests.e2e.test_reminders_e2e import TOMORROW_10_UTC, dms_to, run_sweep
from tests.emulator import Emulator


async def session_questions(db: Db, custom_id: str) -> list[int]:
    session_id = int(custom_id.split(":")[2])
    ids = await db.scalar("SELECT question_ids FROM quiz_sessions WHERE id = :id", id=session_id)
    return [int(i) for i in (json.loads(ids) if isinstance(ids, str) else ids)]


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_a_group_quiz_fills_every_players_deck_and_review_serves_the_misses_first(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    channel = emu.default_guild.text_channels()[0]

    start = await alice.slash("quiz", "start", exam="security", questions=3, seconds=30)
    message = start.message
    asked = await session_questions(db, message.find_component("A")["custom_id"])
    missed_by_bob: list[int] = []
    for number in (1, 2, 3):
        right = await correct_letter(db, message)
        await alice.click(message, right)
        bob_right = number == 2
        await bob.click(message, right if bob_right else other(right))
        if not bob_right:
            missed_by_bob.append(asked[number - 1])
        await alice.click(message, "Skip ▶")
        await message.wait_until(is_revealed, timeout=5)
        if number < 3:
            message = await emu.wait_for_message(
                channel,
                lambda m, n=number: (
                    bool(m.embeds) and m.embeds[0]["title"].startswith(f"Question {n + 1}/3")
                ),
                timeout=5,
            )
    await emu.wait_for_message(
        channel,
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        timeout=5,
        include_existing=True,
    )

    cards = await db.rows(
        "SELECT u.discord_id, c.question_id, c.last_correct, c.due, c.interval_days "
        "FROM review_cards c JOIN users u ON u.id = c.user_id ORDER BY u.discord_id, c.due"
    )
    by_member: dict[int, list[tuple[int, bool, int]]] = {}
    for discord_id, question_id, correct, _due, interval in cards:
        by_member.setdefault(int(discord_id), []).append(
            (int(question_id), bool(correct), interval)
        )
    assert {q for q, _, _ in by_member[alice.id]} == set(asked)  # every player, every question
    assert {q for q, _, _ in by_member[bob.id]} == set(asked)
    bob_cards = {q: (ok, interval) for q, ok, interval in by_member[bob.id]}
    assert all(bob_cards[q] == (False, 1) for q in missed_by_bob)  # a miss: back tomorrow
    (known,) = set(asked) - set(missed_by_bob)
    assert bob_cards[known][0] and bob_cards[known][1] > 1

    # a day and a half later (moved in the database): bob's misses are due, most overdue first
    later = dt.datetime.now(dt.UTC) - dt.timedelta(hours=36)
    bob_id = await db.scalar("SELECT id FROM users WHERE discord_id = :d", d=bob.id)
    async with bot_db.begin() as conn:
        for n, question_id in enumerate(reversed(missed_by_bob)):
            await conn.execute(
                update(ReviewCard)
                .where(ReviewCard.user_id == bob_id, ReviewCard.question_id == question_id)
                .values(due=later + dt.timedelta(minutes=n))
            )
    review = await bob.slash("review", exam="security", count=4)
    assert review.ephemeral
    assert "2 due card(s)" in review.content and "2 new question(s)" in review.content
    assert "Due today: **2**" in review.content
    served = await session_questions(db, review.message.find_component("A")["custom_id"])
    assert served[:2] == list(reversed(missed_by_bob))  # most overdue first
    assert len(served) == 4 and not set(served[2:]) & set(asked)  # then new, never seen
    emu.assert_no_violations()


async def test_the_reminder_dm_counts_due_cards_and_its_button_starts_the_review(
    emu: Emulator,
    certquest: StartCertQuest,
    bot_db: AsyncEngine,
    bot_db_url: str,
    tmp_path: Path,
) -> None:
    db = Db(bot_db)
    await certquest()
    bob = emu.member("bob")
    start = await bob.slash("quiz", "start", exam="network", questions=1)
    message = start.message
    (missed,) = await session_questions(db, message.find_component("A")["custom_id"])
    await bob.click(message, other(await correct_letter(db, message)))  # a miss
    await bob.click(message, "Skip ▶")
    await message.wait_until(is_revealed, timeout=5)
    await emu.wait_for_message(
        emu.default_guild.text_channels()[0],
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        include_existing=True,
    )
    await bob.slash("remind", "on", hour=9, timezone="UTC")
    bob_id = await db.scalar("SELECT id FROM users WHERE discord_id = :d", d=bob.id)
    async with bot_db.begin() as conn:  # the card came due (a day passed)
        await conn.execute(
            update(ReviewCard)
            .where(ReviewCard.user_id == bob_id)
            .values(due=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )

    await run_sweep(emu, bot_db_url, tmp_path, TOMORROW_10_UTC, "review")
    (dm,) = dms_to(emu, bob)
    assert "1 review card is due today" in dm.content  # type: ignore[attr-defined]
    (button,) = dm.buttons()  # type: ignore[attr-defined]
    assert button["label"] == "Review 1 due card(s)"

    review = await bob.click(dm, button["custom_id"])
    assert review.ephemeral and review.content.startswith("🔁 **Review · Network+ (N10-009)**")
    served = await session_questions(db, review.message.find_component("A")["custom_id"])
    assert served[0] == missed
    emu.assert_no_violations()
