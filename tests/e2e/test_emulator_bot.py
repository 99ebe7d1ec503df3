"""The sample discord.py bot, run as a subprocess, against the emulator."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartBot
from tests.emulator import FLAG_EPHEMERAL, MANAGE_MESSAGES, CommandUnavailable, Emulator


async def test_starts_syncs_and_answers_slash_command_and_button(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()

    # commands were synced to the guild (and the global DM-capable one)
    guild_names = sorted(c["name"] for c in emu.commands_for(emu.default_guild))
    assert {"ping", "dm", "announce", "slow", "quiz"} <= set(guild_names)
    assert [c["name"] for c in emu.commands_for(None)] == ["hello"]
    assert emu.gateway.identifies[0].shard_id == 0
    assert emu.gateway.identifies[0].path == "/gateway"

    alice = emu.member("alice")
    reply = await alice.slash("ping")
    assert reply.response_type == 4
    assert not reply.ephemeral
    assert reply.embeds[0]["title"] == "Pong!"
    assert reply.embeds[0]["description"] == "The button was clicked 0 times."
    [button] = reply.message.buttons()
    assert button["custom_id"] == "sample:count:0"
    assert reply.message.data["type"] == 20  # CHAT_INPUT_COMMAND
    assert reply.message.data["interaction_metadata"]["user"]["id"] == str(alice.id)

    click = await alice.click(reply.message, "Count 0")
    assert click.response_type == 7  # UPDATE_MESSAGE edits the clicked message
    assert reply.message.edit_count == 1
    assert reply.embeds[0]["description"] == "The button was clicked 1 times."
    assert reply.message.buttons()[0]["custom_id"] == "sample:count:1"

    followup = await click.wait_followup()
    assert followup.content == "Counter is now 1"
    assert followup.flags & FLAG_EPHEMERAL

    # the next click uses the custom_id of the *edited* message
    await alice.click(reply.message, "sample:count:1")
    assert reply.embeds[0]["description"] == "The button was clicked 2 times."

    emu.assert_no_violations()
    assert emu.unknown_routes == []


async def test_autocomplete_modal_and_subcommand_options(
    emu: Emulator, start_bot: StartBot
) -> None:
    await start_bot()
    bob = emu.member("bob")

    choices = await bob.autocomplete("quiz", "start", focused="exam", exam="net")
    assert choices == [{"name": "Network", "value": "network"}]

    reply = await bob.slash("quiz", "start", exam="security", questions=5)
    assert reply.content == "Starting the security quiz with 5 questions"
    options = reply.payload["data"]["options"]
    assert options == [
        {
            "name": "start",
            "type": 1,
            "options": [
                {"name": "exam", "type": 3, "value": "security"},
                {"name": "questions", "type": 4, "value": 5},
            ],
        }
    ]
    with pytest.raises(ValueError, match=r"min_value|max_value"):
        await bob.slash("quiz", "start", exam="security", questions=99)

    shown = await bob.slash("feedback")
    assert shown.response_type == 9
    assert shown.modal is not None and shown.modal["title"] == "Feedback"
    submitted = await bob.submit_modal(shown, {"sample:feedback:text": "great questions"})
    assert submitted.content == "Thanks for the feedback: great questions"
    assert submitted.ephemeral
    emu.assert_no_violations()


async def test_dm_slash_command_and_guild_only_commands(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    carol = emu.member("carol")

    reply = await carol.dm_slash("hello")
    assert reply.content == "Hello carol in DMs!"
    assert reply.payload["context"] == 1
    assert "member" not in reply.payload and reply.payload["user"]["id"] == str(carol.id)
    assert reply.message.channel == carol.dm_channel

    with pytest.raises(CommandUnavailable):
        await carol.dm_slash("ping")  # guild command: not offered in DMs


async def test_limit_violation_is_refused_and_recorded(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    dave = emu.member("dave")
    reply = await dave.slash("toolong")
    assert reply.content == "rejected: 50035"
    [violation] = emu.violations
    assert violation.kind == "message_limits"
    assert violation.errors == {
        "data": {
            "content": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                ]
            }
        }
    }


async def test_default_member_permissions(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    with pytest.raises(CommandUnavailable, match="hides /modonly"):
        await emu.member("erin").slash("modonly")
    mod = emu.member("mod", permissions=MANAGE_MESSAGES)
    reply = await mod.slash("modonly")
    assert reply.content == "moderator ok (manage_messages=True)"
    assert int(reply.payload["member"]["permissions"]) & MANAGE_MESSAGES


async def test_files_in_callback_and_edit_are_multipart(emu: Emulator, start_bot: StartBot) -> None:
    await start_bot()
    reply = await emu.member("fay").slash("chart")
    first = reply.message.versions[0]
    [att] = first["attachments"]
    assert (att["filename"], att["description"]) == ("chart.txt", "Scores")
    edited = await reply.message.wait_until(lambda m: m.content == "Your updated chart")
    assert [a["filename"] for a in edited.attachments] == ["chart-v2.txt"]
    assert edited.attachment_bytes("chart-v2.txt") == b"scores v2!"
    callback = emu.calls.filter("POST", "/interactions/*")[0]
    assert callback.files == ["chart.txt"]
    emu.assert_no_violations()
