"""Contract tests: the emulator's wire payloads against the Discord API documentation.

The schemas in ``tests/emulator/contract.py`` transcribe the documented field names and
types (discord-api-docs: gateway events READY/GUILD_CREATE/HELLO, the Interaction object
and its data structures, the Interaction Callback Response object, Message, Guild,
Member, Role, Channel, User).  A raw websocket/HTTP client reads exactly what a bot
would receive, so nothing in between can hide a missing field.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.emulator import Emulator
from tests.emulator import contract as c
from tests.emulator.rawclient import RawClient

COMMANDS: list[dict[str, Any]] = [
    {
        "name": "quiz",
        "description": "Quiz commands",
        "type": 1,
        "options": [
            {
                "name": "start",
                "description": "Start a quiz",
                "type": 1,
                "options": [
                    {
                        "name": "exam",
                        "description": "Exam",
                        "type": 3,
                        "required": True,
                        "autocomplete": True,
                    },
                    {"name": "rival", "description": "Challenge someone", "type": 6},
                ],
            }
        ],
    },
    {"name": "ping", "description": "Ping", "type": 1, "contexts": [0, 1]},
]


def assert_shape(payload: Any, schema: Any) -> None:
    problems = c.check(payload, schema)
    assert not problems, "\n".join(problems)


@pytest.fixture
async def raw(emu: Emulator) -> AsyncIterator[RawClient]:
    async with RawClient(emu) as client:
        resp = await client.request(
            "PUT",
            f"/applications/{emu.application_id}/guilds/{emu.default_guild.id}/commands",
            json_body=COMMANDS,
        )
        assert resp.status == 200, resp.text
        for command in resp.json:
            assert_shape(command, c.APPLICATION_COMMAND)
        resp = await client.request(
            "PUT", f"/applications/{emu.application_id}/commands", json_body=COMMANDS[1:]
        )
        assert resp.status == 200, resp.text
        yield client


async def test_hello_ready_and_guild_create(emu: Emulator, raw: RawClient) -> None:
    ready = await raw.connect()
    assert_shape(raw.hello["d"], c.HELLO)
    assert ready["s"] == 1
    assert_shape(ready["d"], c.READY)
    assert ready["d"]["resume_gateway_url"] == emu.resume_gateway_url
    assert ready["d"]["shard"] == [0, 1]
    assert ready["d"]["guilds"] == [{"id": str(emu.default_guild.id), "unavailable": True}]

    guild_create = await raw.next_dispatch("GUILD_CREATE")
    assert guild_create["s"] == 2
    data = guild_create["d"]
    assert_shape(data, c.GUILD_CREATE)
    member_ids = {m["user"]["id"] for m in data["members"]}
    assert str(emu.bot_user.id) in member_ids  # the bot's own member, at least
    assert any(ch["type"] == 0 for ch in data["channels"])
    assert {r["id"] for r in data["roles"]} >= {str(emu.default_guild.id)}  # @everyone


async def test_application_command_interaction_and_callback_response(
    emu: Emulator, raw: RawClient
) -> None:
    await raw.connect()
    alice = emu.member("alice")
    bob = emu.member("bob")
    handle = await alice.slash("quiz", "start", exam="security", rival=bob, wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    payload = frame["d"]
    assert_shape(payload, c.INTERACTION_APPLICATION_COMMAND)
    assert payload["type"] == 2 and payload["version"] == 1
    assert payload["data"]["guild_id"] == str(emu.default_guild.id)
    assert payload["member"]["user"]["id"] == str(alice.id)
    assert payload["data"]["resolved"]["users"][str(bob.id)]["username"] == "bob"
    assert payload["channel"]["permissions"] == payload["member"]["permissions"]

    resp = await raw.callback(
        payload,
        {
            "type": 4,
            "data": {
                "content": "Starting",
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "A", "custom_id": "answer:A"}
                        ],
                    }
                ],
            },
        },
    )
    assert resp.status == 200, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json
    assert_shape(body, c.INTERACTION_CALLBACK_RESPONSE)
    assert body["interaction"]["response_message_id"] == body["resource"]["message"]["id"]
    assert body["resource"]["type"] == 4
    assert_shape(body["resource"]["message"], c.MESSAGE)
    assert handle.responded and handle.content == "Starting"

    # the public response is also dispatched as MESSAGE_CREATE
    created = await raw.next_dispatch("MESSAGE_CREATE")
    assert_shape(created["d"], c.MESSAGE)
    assert created["d"]["guild_id"] == str(emu.default_guild.id)


async def test_component_modal_and_autocomplete_interactions(emu: Emulator, raw: RawClient) -> None:
    await raw.connect()
    alice = emu.member("alice")

    # autocomplete (the actor waits for the choices while the raw client answers)
    choices = asyncio.ensure_future(alice.autocomplete("quiz", "start", focused="exam", exam="sec"))
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    assert_shape(frame["d"], c.INTERACTION_AUTOCOMPLETE)
    leaf = frame["d"]["data"]["options"][0]["options"][0]
    assert leaf == {"name": "exam", "type": 3, "value": "sec", "focused": True}
    resp = await raw.callback(
        frame["d"], {"type": 8, "data": {"choices": [{"name": "Security+", "value": "security"}]}}
    )
    assert resp.status == 200, resp.text
    assert_shape(resp.json, c.INTERACTION_CALLBACK_RESPONSE)
    assert await choices == [{"name": "Security+", "value": "security"}]

    # a message with a button, then a click on it
    slash = await alice.slash("ping", wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    components = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go:1"}]}
    ]
    resp = await raw.callback(
        frame["d"], {"type": 4, "data": {"content": "hi", "components": components, "flags": 64}}
    )
    assert resp.status == 200, resp.text
    assert resp.json["interaction"]["response_message_ephemeral"] is True

    click = await alice.click(slash.message, "Go", wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    payload = frame["d"]
    assert_shape(payload, c.INTERACTION_MESSAGE_COMPONENT)
    assert payload["data"]["custom_id"] == "go:1" and payload["data"]["component_type"] == 2
    assert payload["message"]["flags"] & 64  # an ephemeral message is echoed with its flags
    assert payload["message"]["components"][0]["components"][0]["custom_id"] == "go:1"

    modal = {
        "custom_id": "feedback",
        "title": "Feedback",
        "components": [
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": "text", "label": "Text", "style": 1}],
            },
        ],
    }
    resp = await raw.callback(payload, {"type": 9, "data": modal})
    assert resp.status == 200, resp.text
    assert_shape(resp.json, c.INTERACTION_CALLBACK_RESPONSE)
    assert click.modal == modal

    submitted = await alice.submit_modal(click, {"text": "nice"}, wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    payload = frame["d"]
    assert_shape(payload, c.INTERACTION_MODAL_SUBMIT)
    row = payload["data"]["components"][0]
    assert row["type"] == 1 and row["components"][0]["custom_id"] == "text"
    assert row["components"][0]["value"] == "nice"
    assert payload["message"]["id"] == str(slash.message.id)  # modal opened from a component
    resp = await raw.callback(payload, {"type": 7, "data": {"content": "thanks", "components": []}})
    assert resp.status == 200, resp.text
    assert resp.json["resource"]["message"]["content"] == "thanks"
    assert submitted.responded and slash.message.content == "thanks"
    emu.assert_no_violations()


async def test_dm_interaction_shape(emu: Emulator, raw: RawClient) -> None:
    await raw.connect()
    alice = emu.member("alice")
    await alice.dm_slash("ping", wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    payload = frame["d"]
    assert_shape(payload, c.INTERACTION_APPLICATION_COMMAND)
    assert "member" not in payload and "guild_id" not in payload
    assert payload["user"]["id"] == str(alice.id)
    assert payload["channel"]["type"] == 1
    assert payload["context"] == 1
    assert payload["authorizing_integration_owners"] == {"0": "0"}

    resp = await raw.callback(payload, {"type": 5}, with_response=False)
    assert resp.status == 204 and resp.text == ""


def test_schema_checker_reports_missing_and_mistyped_fields() -> None:
    problems = c.check({"id": 5, "username": "x"}, c.USER)
    assert "$.id: expected snowflake, got 5" in problems
    assert "$.discriminator: missing" in problems
    assert c.check({"id": "1", "unavailable": True}, c.UNAVAILABLE_GUILD) == []


async def test_select_dm_click_and_context_menu_shapes(emu: Emulator, raw: RawClient) -> None:
    await raw.connect()
    alice = emu.member("alice")
    resp = await raw.request(
        "PUT",
        f"/applications/{emu.application_id}/guilds/{emu.default_guild.id}/commands",
        json_body=[*COMMANDS, {"name": "Profile", "type": 2}],
    )
    assert resp.status == 200, resp.text

    # a DM from the bot with a select menu and a button, used from the DM channel
    dm = await raw.request("POST", "/users/@me/channels", json_body={"recipient_id": str(alice.id)})
    assert dm.status == 200 and dm.json["type"] == 1
    assert_shape(dm.json, c.CHANNEL)
    select = {
        "type": 3,
        "custom_id": "exam",
        "placeholder": "Pick an exam",
        "options": [
            {"label": "Security+", "value": "security"},
            {"label": "Network+", "value": "network"},
        ],
    }
    button = {"type": 2, "style": 3, "label": "Start", "custom_id": "start"}
    posted = await raw.request(
        "POST",
        f"/channels/{dm.json['id']}/messages",
        json_body={
            "content": "Pick",
            "components": [
                {"type": 1, "components": [select]},
                {"type": 1, "components": [button]},
            ],
        },
    )
    assert posted.status == 200, posted.text
    message = emu.messages[int(posted.json["id"])]
    assert message.channel == alice.dm_channel

    await alice.select(message, "Pick an exam", ["network"], wait=False)
    payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert_shape(payload, c.INTERACTION_MESSAGE_COMPONENT)
    assert payload["data"]["values"] == ["network"] and payload["data"]["component_type"] == 3
    assert payload["user"]["id"] == str(alice.id) and "member" not in payload
    assert (await raw.callback(payload, {"type": 6})).status == 200

    await alice.click(message, "start", wait=False)
    payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert_shape(payload, c.INTERACTION_MESSAGE_COMPONENT)
    assert payload["channel"]["type"] == 1 and payload["context"] == 1

    bob = emu.member("bob")
    await alice.user_command("Profile", bob, wait=False)
    payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert_shape(payload, c.INTERACTION_APPLICATION_COMMAND)
    assert payload["data"]["type"] == 2 and payload["data"]["target_id"] == str(bob.id)
    assert payload["data"]["resolved"]["members"][str(bob.id)]["permissions"]


async def test_request_guild_members(emu: Emulator, raw: RawClient) -> None:
    emu.member("alice")
    emu.member("albert")
    await raw.connect()
    await raw.send(
        {
            "op": 8,
            "d": {"guild_id": str(emu.default_guild.id), "query": "al", "limit": 0, "nonce": "n1"},
        }
    )
    chunk = (await raw.next_dispatch("GUILD_MEMBERS_CHUNK"))["d"]
    assert chunk["nonce"] == "n1" and chunk["chunk_count"] == 1
    assert sorted(m["user"]["username"] for m in chunk["members"]) == ["albert", "alice"]
    for member in chunk["members"]:
        assert_shape(member, c.GUILD_MEMBER)
