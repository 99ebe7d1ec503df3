"""CertQuest as a user-installed app: a member who added it to their account studies in a
server the bot is not in and in a group DM, where the bot can only answer interactions.

The emulator refuses any REST call of the bot to those channels (403 ``50001``, a
``missing_access`` violation), so ``emu.assert_no_violations()`` proves everything went
through the interaction: responses, updates of the response, follow-ups.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from db.review.models import ReviewCard
from tests.e2e.certquest import Db, StartCertQuest, SyncGlobally
from tests.e2e.test_quiz_e2e import correct_letter, other
from tests.e2e.test_review_e2e import session_questions
from tests.emulator import Actor, CommandUnavailable, Emulator
from tests.emulator.model import CONTEXT_GUILD, CONTEXT_PRIVATE_CHANNEL, Channel

PERSONAL = (
    "quiz",
    "review",
    "readiness",
    "exam",
    "profile",
    "achievements",
    "avatar",
    "stats",
    "remind",
)
GROUP_REFUSAL = "Group quizzes"


def study_elsewhere(emu: Emulator) -> tuple[Actor, Channel, Channel]:
    """Dana, who added CertQuest to her account; a channel of a server the bot is not in,
    and a group DM with a friend (the bot is in neither)."""
    elsewhere = emu.guild("Dana's other server", bot=False)
    dana = emu.member("dana", guild=elsewhere)
    dana.install_app()
    erin = emu.user("erin")
    return dana, elsewhere.text_channels()[0], emu.private_channel(dana.user, erin, name="study")


def no_calls_to(emu: Emulator, *channels: Channel) -> None:
    """The bot never used its token on these channels (only the interaction webhooks)."""
    for channel in channels:
        assert not emu.calls.filter(path=f"/channels/{channel.id}*"), channel


@pytest.mark.parametrize("e2e_backend", ["postgresql", "sqlite"], indirect=True)
async def test_review_works_in_a_server_without_the_bot(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine, sync_globally: SyncGlobally
) -> None:
    db = Db(bot_db)
    await sync_globally()  # a server without the bot only has the global commands
    await certquest()
    dana, channel, _ = study_elsewhere(emu)

    empty = await dana.slash("review", channel=channel)  # nothing played yet: says so
    assert empty.payload["context"] == CONTEXT_GUILD
    assert empty.payload["authorizing_integration_owners"] == {"1": str(dana.id)}
    assert empty.ephemeral and empty.content.startswith("Nothing is due")

    # /quiz start without a mode: solo here (the bot cannot post to this channel)
    start = await dana.slash("quiz", "start", channel=channel, exam="security", questions=2)
    assert start.ephemeral and start.message.channel is channel
    message = start.message
    (missed, _) = await session_questions(db, message.find_component("A")["custom_id"])
    feedback = await dana.click(message, other(await correct_letter(db, message)))
    assert feedback.response_type == 7  # feedback on the same private message
    await dana.click(message, "Next ▶")
    await dana.click(message, await correct_letter(db, message))
    last = await dana.click(message, "See results")
    assert "results" in message.embeds[0]["title"] and "1/2" in message.embeds[0]["description"]
    ask = await last.wait_followup()  # the reminder question: a follow-up, not a channel post
    assert ask.ephemeral and "remind" in ask.content.lower()

    # a day later the miss is due: /review serves it first, here too
    async with bot_db.begin() as conn:
        await conn.execute(
            update(ReviewCard)
            .where(ReviewCard.question_id == missed)
            .values(due=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    review = await dana.slash("review", channel=channel, exam="security", count=2)
    assert review.ephemeral and review.content.startswith("🔁 **Review · Security+")
    assert "1 due card(s)" in review.content
    served = await session_questions(db, review.message.find_component("A")["custom_id"])
    assert served[0] == missed
    again = await dana.click(review.message, await correct_letter(db, review.message))
    assert again.response_type == 7 and "✅" in str(review.message.embeds[0]["fields"])

    no_calls_to(emu, channel)
    emu.assert_no_violations()


async def test_group_quizzes_explain_why_not_where_the_bot_is_not(
    emu: Emulator, certquest: StartCertQuest, bot_db: AsyncEngine, sync_globally: SyncGlobally
) -> None:
    await sync_globally()
    await certquest()
    dana, server_channel, group_dm = study_elsewhere(emu)

    for channel in (server_channel, group_dm):
        for mode in ("group", "review"):
            refused = await dana.slash("quiz", "start", channel=channel, exam="security", mode=mode)
            assert refused.ephemeral, (channel, mode)
            assert refused.content.startswith(GROUP_REFUSAL) and "mode:solo" in refused.content
            assert "/review" in refused.content
    assert refused.payload["context"] == CONTEXT_PRIVATE_CHANNEL  # the last: the group DM
    assert refused.content.startswith(
        "Group quizzes run in a server channel and need CertQuest added to that server"
    )

    # without a mode: a solo quiz, in the group DM as in the server
    solo = await dana.slash("quiz", "start", channel=group_dm, exam="network", questions=1)
    assert solo.ephemeral and solo.embeds[0]["title"].startswith("Question 1/1")
    assert [b["label"] for b in solo.message.buttons()] == ["A", "B", "C", "D"]  # no Skip

    # the bot's own DM has no server either
    dm = await dana.dm_slash("quiz", "start", exam="security", mode="group")
    assert dm.ephemeral and dm.content.startswith(GROUP_REFUSAL)

    # nothing was stored as a group quiz, nothing was posted where the bot is not
    assert await Db(bot_db).scalar("SELECT count(*) FROM quiz_sessions WHERE mode = 'group'") == 0
    no_calls_to(emu, server_channel, group_dm)
    emu.assert_no_violations()

    # where the bot is in the server, /quiz start still runs a group quiz by default
    alice = emu.member("alice")
    group = await alice.slash("quiz", "start", exam="security", questions=1)
    assert not group.ephemeral and "Skip ▶" in [b["label"] for b in group.message.buttons()]


async def test_personal_commands_are_registered_for_user_installs(
    emu: Emulator, certquest: StartCertQuest, sync_globally: SyncGlobally
) -> None:
    await sync_globally()
    global_commands = {c["name"]: c for c in emu.commands_for(None)}
    for name in PERSONAL:
        command = global_commands[name]
        assert command["integration_types"] == [0, 1], name
        assert command["contexts"] == [0, 1, 2], name

    await certquest()  # the dev guild's copies carry them too
    guild_commands = {c["name"]: c for c in emu.commands_for(emu.default_guild)}
    assert all(guild_commands[n]["integration_types"] == [0, 1] for n in PERSONAL)

    # a command that is not personal stays a guild install: not offered where the bot is not
    dana, server_channel, group_dm = study_elsewhere(emu)
    assert global_commands["leaderboard"]["integration_types"] == [0]
    with pytest.raises(CommandUnavailable):
        await dana.slash("leaderboard", channel=server_channel)
    # and without a user install, nothing is offered there at all
    dana.uninstall_app()
    with pytest.raises(CommandUnavailable):
        await dana.slash("review", channel=group_dm)


async def test_a_mock_exam_runs_in_a_group_dm_the_bot_is_not_in(
    emu: Emulator, certquest: StartCertQuest, sync_globally: SyncGlobally
) -> None:
    await sync_globally()
    await certquest()
    dana, server_channel, group_dm = study_elsewhere(emu)
    start = await dana.slash("exam", "mock", channel=group_dm, exam="network", questions=10)
    assert start.ephemeral and "Mock exam started" in start.content
    await dana.click(start.message, "B")
    await dana.click(start.message, "Next ▶")
    assert start.message.embeds[0]["title"].endswith("question 2 of 10")
    no_calls_to(emu, server_channel, group_dm)
    emu.assert_no_violations()
