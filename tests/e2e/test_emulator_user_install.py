"""User-installed apps in the emulator, checked over raw HTTP/websocket (no bot library):
install and context fields of interactions, command ``integration_types``/``contexts``,
and a bot that can reach a server it is not in, or a group DM, only through interactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.emulator import CommandUnavailable, Emulator
from tests.emulator import contract as c
from tests.emulator.model import (
    DM_APP_PERMISSIONS,
    GROUP_DM,
    USER_INSTALL_APP_PERMISSIONS,
)
from tests.emulator.rawclient import RawClient

EVERYWHERE = {"integration_types": [0, 1], "contexts": [0, 1, 2]}
COMMANDS: list[dict[str, Any]] = [
    {"name": "review", "description": "Review", "type": 1, **EVERYWHERE},
    {"name": "board", "description": "Server only", "type": 1},  # guild install (default)
    {
        "name": "nodm",
        "description": "Not in private channels",
        "type": 1,
        "integration_types": [0, 1],
        "contexts": [0, 1],
    },
]


@pytest.fixture
async def raw(emu: Emulator) -> AsyncIterator[RawClient]:
    async with RawClient(emu) as client:
        resp = await client.request(
            "PUT", f"/applications/{emu.application_id}/commands", json_body=COMMANDS
        )
        assert resp.status == 200, resp.text
        for command in resp.json:
            assert not c.check(command, c.APPLICATION_COMMAND)
        yield client


def owners(payload: dict[str, Any]) -> dict[str, str]:
    return dict(payload["authorizing_integration_owners"])


async def test_commands_store_and_validate_integration_types_and_contexts(
    emu: Emulator, raw: RawClient
) -> None:
    stored = {cmd["name"]: cmd for cmd in emu.commands_for(None)}
    assert stored["review"]["integration_types"] == [0, 1]
    assert stored["review"]["contexts"] == [0, 1, 2]
    assert stored["board"]["integration_types"] == [0] and stored["board"]["contexts"] is None

    bad = [{"name": "x", "description": "x", "type": 1, "integration_types": [0, 2]}]
    bad.append({"name": "y", "description": "y", "type": 1, "contexts": [3]})
    resp = await raw.request("PUT", f"/applications/{emu.application_id}/commands", json_body=bad)
    assert resp.status == 400 and resp.json["code"] == 50035
    errors = resp.json["errors"]
    assert errors["0"]["integration_types"]["1"]["_errors"][0]["code"] == "ENUM_TYPE_COERCE"
    assert errors["1"]["contexts"]["0"]["_errors"][0]["code"] == "ENUM_TYPE_COERCE"
    assert [v.kind for v in emu.violations] == ["command_limits"]

    app = await raw.request("GET", "/applications/@me")
    assert set(app.json["integration_types_config"]) == {"0", "1"}


async def test_a_server_without_the_bot(emu: Emulator, raw: RawClient) -> None:
    elsewhere = emu.guild("Elsewhere", bot=False)
    channel = elsewhere.text_channels()[0]
    ready = await raw.connect()
    assert ready["d"]["guilds"] == [{"id": str(emu.default_guild.id), "unavailable": True}]
    dana = emu.member("dana", guild=elsewhere)  # no GUILD_MEMBER_ADD for the bot

    with pytest.raises(CommandUnavailable, match="user install: False"):
        await dana.slash("review", wait=False)  # not installed anywhere dana is
    dana.install_app()
    with pytest.raises(CommandUnavailable):
        await dana.slash("board", wait=False)  # a guild-install command

    handle = await dana.slash("review", wait=False)
    payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert not c.check(payload, c.INTERACTION_APPLICATION_COMMAND)
    assert payload["context"] == 0 and owners(payload) == {"1": str(dana.id)}
    assert payload["guild_id"] == str(elsewhere.id) and payload["member"]["user"]["id"]
    assert payload["app_permissions"] == str(USER_INSTALL_APP_PERMISSIONS)
    assert "guild_id" not in payload["data"]  # a global command

    # the interaction works: a public response, a follow-up, an edit of the original
    resp = await raw.callback(payload, {"type": 4, "data": {"content": "hi"}})
    assert resp.status == 200, resp.text
    meta = resp.json["resource"]["message"]["interaction_metadata"]
    assert meta["authorizing_integration_owners"] == {"1": str(dana.id)}
    hook = f"/webhooks/{emu.application_id}/{payload['token']}"
    followup = await raw.request("POST", hook, json_body={"content": "more"}, auth=False)
    assert followup.status == 200, followup.text
    edited = await raw.request(
        "PATCH", f"{hook}/messages/@original", json_body={"content": "hi!"}, auth=False
    )
    assert edited.status == 200 and handle.content == "hi!"

    # ...but the bot token cannot reach the server or its channel
    for method, path, body in (
        ("POST", f"/channels/{channel.id}/messages", {"content": "x"}),
        ("GET", f"/channels/{channel.id}", None),
        ("GET", f"/channels/{channel.id}/messages/{handle.message.id}", None),
        ("POST", f"/channels/{channel.id}/typing", None),
        ("GET", f"/guilds/{elsewhere.id}", None),
        ("PUT", f"/applications/{emu.application_id}/guilds/{elsewhere.id}/commands", []),
    ):
        denied = await raw.request(method, path, json_body=body)
        assert denied.status == 403, (method, path, denied.text)
        assert denied.json == {"message": "Missing Access", "code": 50001}
    assert {v.kind for v in emu.violations} == {"missing_access"}
    guilds = await raw.request("GET", "/users/@me/guilds")
    assert [g["id"] for g in guilds.json] == [str(emu.default_guild.id)]

    # nothing from that server reaches the gateway but the interaction itself
    events = [(f["t"], f["d"].get("guild_id")) for f in raw.received if f.get("op") == 0]
    assert [e for e in events if e[1] == str(elsewhere.id)] == [
        ("INTERACTION_CREATE", str(elsewhere.id))
    ]

    # a click on the response is authorized like the command was, even by someone else
    bob = emu.member("bob", guild=elsewhere)
    buttons = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "g"}]}
    ]
    await raw.request(
        "PATCH", f"{hook}/messages/@original", json_body={"components": buttons}, auth=False
    )
    await bob.click(handle.message, "Go", wait=False)
    click = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert click["context"] == 0 and owners(click) == {"1": str(dana.id)}

    # the app is added to the server: guild install too, GUILD_CREATE, REST works
    emu.add_bot(elsewhere)
    created = await raw.next_dispatch("GUILD_CREATE")
    assert created["d"]["id"] == str(elsewhere.id)
    await dana.slash("review", wait=False)
    both = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert owners(both) == {"0": str(elsewhere.id), "1": str(dana.id)}
    ok = await raw.request("POST", f"/channels/{channel.id}/messages", json_body={"content": "x"})
    assert ok.status == 200, ok.text


async def test_private_channels_and_the_bot_dm(emu: Emulator, raw: RawClient) -> None:
    await raw.connect()
    dana, erin = emu.member("dana"), emu.member("erin")
    group = emu.private_channel(dana, erin, name="study")
    pair = emu.private_channel(dana, erin)
    assert group.type == GROUP_DM and pair.type == 1

    with pytest.raises(CommandUnavailable):
        await dana.slash("review", channel=group, wait=False)  # guild install only so far
    dana.install_app()
    with pytest.raises(CommandUnavailable, match="context 2"):
        await dana.slash("nodm", channel=group, wait=False)  # contexts [0, 1]
    outsider = emu.member("olga")
    outsider.install_app()
    with pytest.raises(CommandUnavailable, match="not in private channel"):
        await outsider.slash("review", channel=group, wait=False)

    for channel, ctype in ((group, GROUP_DM), (pair, 1)):
        await dana.slash("review", channel=channel, wait=False)
        payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
        assert not c.check(payload, c.INTERACTION_APPLICATION_COMMAND)
        assert payload["context"] == 2 and owners(payload) == {"1": str(dana.id)}
        assert "member" not in payload and "guild_id" not in payload
        assert payload["user"]["id"] == str(dana.id)
        assert payload["channel"]["type"] == ctype
        assert {u["id"] for u in payload["channel"]["recipients"]} == {str(dana.id), str(erin.id)}
        assert payload["app_permissions"] == str(USER_INSTALL_APP_PERMISSIONS)
        resp = await raw.callback(payload, {"type": 4, "data": {"content": "public"}})
        assert resp.status == 200, resp.text
        denied = await raw.request(
            "POST", f"/channels/{channel.id}/messages", json_body={"content": "x"}
        )
        assert denied.status == 403 and denied.json["code"] == 50001
    assert not [f for f in raw.received if f.get("t") == "MESSAGE_CREATE"]  # not the bot's

    # the bot's DM: guild install ("0": "0") and the user install
    await dana.dm_slash("review", wait=False)
    payload = (await raw.next_dispatch("INTERACTION_CREATE"))["d"]
    assert payload["context"] == 1 and owners(payload) == {"0": "0", "1": str(dana.id)}
    assert payload["app_permissions"] == str(DM_APP_PERMISSIONS)
    dana.uninstall_app()
    with pytest.raises(CommandUnavailable):
        await dana.slash("review", channel=pair, wait=False)
