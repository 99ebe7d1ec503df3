"""Every slash command answers in time, within Discord's limits, through the real bot."""

from __future__ import annotations

import bcrypt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.certquest import Db, StartCertQuest
from tests.e2e.test_quiz_e2e import correct_letter, is_revealed
from tests.emulator import Emulator


async def play_one_question(emu: Emulator, member: object, db: Db) -> None:
    start = await member.slash("quiz", "start", exam="network", questions=1)  # type: ignore[attr-defined]
    message = start.message
    await member.click(message, await correct_letter(db, message))  # type: ignore[attr-defined]
    await member.click(message, "Skip ▶")  # type: ignore[attr-defined]
    await message.wait_until(is_revealed)
    await emu.wait_for_message(
        emu.default_guild.text_channels()[0],
        lambda m: bool(m.embeds) and "results" in m.embeds[0]["title"],
        include_existing=True,
    )


async def test_every_command_answers_within_the_deadline_and_limits(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    alice, bob = emu.member("alice"), emu.member("bob")
    await play_one_question(emu, alice, db)

    profile = await alice.slash("profile")
    assert profile.ephemeral and "Level" in str(profile.embeds[0])
    names = {a["filename"] for a in profile.attachments}
    assert "rank.png" in names and len(names) == 2  # the rank card and the avatar
    card = profile.message.attachment_bytes("rank.png")
    assert card[:8] == b"\x89PNG\r\n\x1a\n" and len(card) > 10_000
    assert profile.embeds[0]["image"]["url"] == "attachment://rank.png"
    other = await alice.slash("profile", member=bob)
    assert "hasn't studied" in other.content
    achievements = await alice.slash("achievements")
    assert "First Steps" in str(achievements.embeds) and "???" in str(achievements.embeds)
    avatars = await alice.slash("avatar", "list")
    assert "Rookie Tech" in str(avatars.embeds)
    choices = await alice.autocomplete("avatar", "equip", focused="name", name="")
    assert {c["name"] for c in choices} >= {"Byte Bot"}
    equip = await alice.slash("avatar", "equip", name="Byte Bot")
    assert equip.ephemeral and "Byte Bot" in str(equip.content) + str(equip.embeds)
    locked = await alice.slash("avatar", "equip", name="Root Lion")
    assert locked.ephemeral and "haven't unlocked" in locked.content

    board = await alice.slash("leaderboard")
    assert "Alice" in str(board.embeds)
    # one page only: no paging buttons to click
    assert all(b.get("disabled") for b in board.message.buttons())
    stats = await alice.slash("stats", exam="network")
    assert "/quiz start" in str(stats.embeds)
    assert [a["filename"] for a in stats.attachments] == ["stats-network.png"]
    assert stats.message.attachment_bytes("stats-network.png")[:4] == b"\x89PNG"

    on = await alice.slash("remind", "on", hour=19, timezone="Europe/Berlin")
    assert on.ephemeral and "19:00" in on.content
    status = await alice.slash("remind", "status")
    assert status.ephemeral and "Europe/Berlin" in status.content
    off = await alice.slash("remind", "off")
    assert off.ephemeral

    tz = await alice.slash("account", "timezone", tz="Asia/Kolkata")
    assert tz.ephemeral and "Asia/Kolkata" in tz.content

    emu.assert_no_violations()
    assert not emu.unanswered_interactions()


async def test_linking_a_web_account_merges_progress_and_never_echoes_the_password(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    bot = await certquest()
    secret = "correct horse battery staple"
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=4)).decode()
    async with bot_db.begin() as conn:
        web_id = (
            await conn.execute(
                text(
                    "INSERT INTO users (email, username, hashed_password) "
                    "VALUES ('carol@example.com', 'carol_web', :h) RETURNING id"
                ),
                {"h": hashed},
            )
        ).scalar()
        await conn.execute(
            text("INSERT INTO user_profiles (user_id, xp) VALUES (:u, 500)"), {"u": web_id}
        )
    carol = emu.member("carol")
    await play_one_question(emu, carol, db)

    wrong = await carol.slash("account", "link")
    assert wrong.response_type == 9  # a modal
    refused = await carol.submit_modal(
        wrong, {"cq:link:email": "carol@example.com", "cq:link:password": "nope"}
    )
    assert refused.response_type == 5  # deferred first: bcrypt may take a moment
    refused_reply = await refused.wait_original()
    assert refused_reply.ephemeral and "nope" not in refused_reply.content

    shown = await carol.slash("account", "link")
    linked = await carol.submit_modal(
        shown, {"cq:link:email": "carol@example.com", "cq:link:password": secret}
    )
    linked_reply = await linked.wait_original()
    assert linked_reply.ephemeral and secret not in linked_reply.content
    assert "carol_web" in linked_reply.content or "linked" in linked_reply.content.lower()
    owner = await db.scalar("SELECT id FROM users WHERE discord_id = :d", d=carol.id)
    assert owner == web_id
    # the quiz played before linking now belongs to the web account, counted once
    assert await db.scalar("SELECT count(*) FROM quiz_attempts WHERE user_id = :u", u=web_id) == 1
    assert await db.scalar("SELECT xp FROM user_profiles WHERE user_id = :u", u=web_id) > 500
    assert secret not in bot.log_text() and "nope" not in bot.log_text()
    emu.assert_no_violations()


async def test_deleting_my_account_asks_first(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine
) -> None:
    db = Db(bot_db)
    await certquest()
    dave, eve = emu.member("dave"), emu.member("eve")
    await play_one_question(emu, dave, db)
    ask = await dave.slash("account", "delete")
    assert ask.ephemeral and ask.message.buttons()
    assert await db.scalar("SELECT count(*) FROM users WHERE discord_id = :d", d=dave.id) == 1
    labels = [b["label"] for b in ask.message.buttons()]
    delete_label = next(label for label in labels if "Delete" in label)
    await dave.click(ask.message, delete_label)
    assert await db.scalar("SELECT count(*) FROM users WHERE discord_id = :d", d=dave.id) == 0
    assert await db.scalar("SELECT count(*) FROM quiz_attempts") == 0
    assert eve.id != dave.id
    emu.assert_no_violations()
