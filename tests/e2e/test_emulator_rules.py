"""The Discord rules the emulator enforces, checked directly over HTTP (no bot library)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.emulator import Emulator, InteractionHandle
from tests.emulator import contract as c
from tests.emulator.rawclient import RawClient

MESSAGES_ROUTE = "/channels/{channel_id}/messages"


@pytest.fixture
async def raw(emu: Emulator) -> AsyncIterator[RawClient]:
    async with RawClient(emu) as client:
        resp = await client.request(
            "PUT",
            f"/applications/{emu.application_id}/guilds/{emu.default_guild.id}/commands",
            json_body=[{"name": "ping", "description": "Ping", "type": 1}],
        )
        assert resp.status == 200, resp.text
        await client.connect()
        yield client


async def _slash(emu: Emulator, raw: RawClient) -> tuple[InteractionHandle, dict[str, Any]]:
    handle = await emu.member("alice").slash("ping", wait=False)
    frame = await raw.next_dispatch("INTERACTION_CREATE")
    return handle, frame["d"]


def _button(i: int, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": f"B{i}", "custom_id": f"b:{i}", **extra}


def _rows(n_rows: int, per_row: int) -> list[dict[str, Any]]:
    return [
        {"type": 1, "components": [_button(r * 10 + i) for i in range(per_row)]}
        for r in range(n_rows)
    ]


async def test_second_initial_response_is_40060(emu: Emulator, raw: RawClient) -> None:
    _, payload = await _slash(emu, raw)
    first = await raw.callback(payload, {"type": 4, "data": {"content": "one"}})
    assert first.status == 200
    second = await raw.callback(payload, {"type": 4, "data": {"content": "two"}})
    assert second.status == 400
    assert second.json == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert [v.kind for v in emu.violations] == ["already_acknowledged"]


async def test_late_initial_response_is_10062_and_token_dies(emu: Emulator, raw: RawClient) -> None:
    emu.interaction_deadline = 0.2
    handle, payload = await _slash(emu, raw)
    await emu.wait_until(lambda: handle.interaction.age() > 0.25, what="the deadline")
    late = await raw.callback(payload, {"type": 4, "data": {"content": "late"}})
    assert late.status == 404
    assert late.json == {"message": "Unknown interaction", "code": 10062}
    followup = await raw.request(
        "POST",
        f"/webhooks/{emu.application_id}/{payload['token']}",
        json_body={"content": "x"},
        auth=False,
    )
    assert followup.status == 404 and followup.json["code"] == 10015
    assert [v.kind for v in emu.violations][:1] == ["initial_response_deadline"]


async def test_followup_before_initial_response_is_unknown_webhook(
    emu: Emulator, raw: RawClient
) -> None:
    _, payload = await _slash(emu, raw)
    resp = await raw.request(
        "POST",
        f"/webhooks/{emu.application_id}/{payload['token']}",
        json_body={"content": "x"},
        auth=False,
    )
    assert resp.status == 404 and resp.json == {"message": "Unknown Webhook", "code": 10015}


async def test_followup_token_expires_after_15_minutes(emu: Emulator, raw: RawClient) -> None:
    handle, payload = await _slash(emu, raw)
    assert (await raw.callback(payload, {"type": 5})).status == 200
    handle.interaction.created_at -= 15 * 60 + 1
    resp = await raw.request(
        "POST",
        f"/webhooks/{emu.application_id}/{payload['token']}",
        json_body={"content": "x"},
        auth=False,
    )
    assert resp.status == 401 and resp.json["code"] == 50027


async def test_first_followup_after_defer_edits_the_loading_message(
    emu: Emulator, raw: RawClient
) -> None:
    handle, payload = await _slash(emu, raw)
    deferred = await raw.callback(payload, {"type": 5, "data": {"flags": 64}})
    assert deferred.json["interaction"]["response_message_loading"] is True
    hook = f"/webhooks/{emu.application_id}/{payload['token']}"
    first = await raw.request(
        "POST", hook, json_body={"content": "done"}, params={"wait": "true"}, auth=False
    )
    second = await raw.request(
        "POST", hook, json_body={"content": "more"}, params={"wait": "true"}, auth=False
    )
    assert first.json["id"] == str(handle.message.id)  # the original, edited
    assert (
        handle.message.content == "done" and handle.message.ephemeral and not handle.message.loading
    )
    assert second.json["id"] != first.json["id"]
    assert [m.content for m in handle.followups] == ["more"]
    edited = await raw.request(
        "PATCH", f"{hook}/messages/@original", json_body={"content": "edited"}, auth=False
    )
    assert edited.status == 200 and handle.message.content == "edited"
    gone = await raw.request("DELETE", f"{hook}/messages/{second.json['id']}", auth=False)
    assert gone.status == 204 and handle.followups[0].deleted


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"content": "x" * 2001}, ["data", "content"]),
        ({"components": _rows(6, 1)}, ["data", "components"]),
        ({"components": _rows(1, 6)}, ["data", "components", "0", "components"]),
        (
            {"components": [{"type": 1, "components": [_button(1, custom_id="c" * 101)]}]},
            ["data", "components", "0", "components", "0", "custom_id"],
        ),
        (
            {"components": [{"type": 1, "components": [_button(1, label="l" * 81)]}]},
            ["data", "components", "0", "components", "0", "label"],
        ),
        (
            {"components": [{"type": 1, "components": [_button(1), _button(1)]}]},
            ["data", "components", "0", "components", "1", "custom_id"],
        ),
        ({"embeds": [{"title": "t" * 257}]}, ["data", "embeds", "0", "title"]),
        ({"embeds": [{"description": "d" * 4097}]}, ["data", "embeds", "0", "description"]),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
            ["data", "embeds", "0", "fields"],
        ),
        (
            {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
            ["data", "embeds", "0", "fields", "0", "name"],
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            ["data", "embeds", "0", "fields", "0", "value"],
        ),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, ["data", "embeds", "0", "footer", "text"]),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, ["data", "embeds", "0", "author", "name"]),
        (
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
            ["data", "embeds"],
        ),
        ({"embeds": [{"title": "t"}] * 11}, ["data", "embeds"]),
    ],
)
async def test_message_limits_answer_50035(
    emu: Emulator, raw: RawClient, data: dict[str, Any], path: list[str]
) -> None:
    handle, payload = await _slash(emu, raw)
    resp = await raw.callback(payload, {"type": 4, "data": data})
    assert resp.status == 400, resp.text
    body = resp.json
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    node = body["errors"]
    for part in path:
        node = node[part]
    assert node["_errors"], body
    assert [v.kind for v in emu.violations] == ["message_limits"]
    # a refused callback does not acknowledge: a valid one still works
    assert (await raw.callback(payload, {"type": 4, "data": {"content": "ok"}})).status == 200
    assert handle.content == "ok"


async def test_modal_and_autocomplete_limits(emu: Emulator, raw: RawClient) -> None:
    _, payload = await _slash(emu, raw)
    modal = {
        "custom_id": "m",
        "title": "t" * 46,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "x", "label": "x", "style": 1}]}
        ],
    }
    resp = await raw.callback(payload, {"type": 9, "data": modal})
    assert resp.status == 400 and "title" in resp.json["errors"]["data"]
    wrong_type = await raw.callback(payload, {"type": 7, "data": {"content": "x"}})
    assert wrong_type.status == 400 and "type" in wrong_type.json["errors"]


async def test_channel_message_rules(emu: Emulator, raw: RawClient) -> None:
    path = f"/channels/{emu.default_channel.id}/messages"
    too_long = await raw.request("POST", path, json_body={"content": "x" * 2001})
    assert (
        too_long.status == 400
        and too_long.json["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    )
    empty = await raw.request("POST", path, json_body={"content": ""})
    assert empty.status == 400 and empty.json == {
        "message": "Cannot send an empty message",
        "code": 50006,
    }
    ok = await raw.request("POST", path, json_body={"content": "hello"})
    assert ok.status == 200 and ok.headers["Content-Type"] == "application/json"
    c.check(ok.json, c.MESSAGE)
    unknown = await raw.request("GET", f"/channels/{emu.default_channel.id}/messages/1")
    assert unknown.status == 404 and unknown.json["code"] == 10008
    assert {v.kind for v in emu.violations} == {"message_limits", "empty_message"}


async def test_multipart_message_with_attachment(emu: Emulator, raw: RawClient) -> None:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field(
        "payload_json",
        json.dumps(
            {
                "content": "chart",
                "attachments": [{"id": 0, "filename": "chart.png", "description": "Scores"}],
            }
        ),
        content_type="application/json",
    )
    form.add_field("files[0]", b"\x89PNG fake", filename="chart.png", content_type="image/png")
    resp = await raw.request("POST", f"/channels/{emu.default_channel.id}/messages", data=form)
    assert resp.status == 200, resp.text
    [att] = resp.json["attachments"]
    assert (att["filename"], att["size"], att["description"]) == ("chart.png", 9, "Scores")
    async with raw.http.get(att["url"]) as download:
        assert await download.read() == b"\x89PNG fake"
    msg = emu.messages[int(resp.json["id"])]
    assert msg.attachment_bytes("chart.png") == b"\x89PNG fake"


async def test_rate_limit_fault_shape(emu: Emulator, raw: RawClient) -> None:
    emu.faults.add(f"POST {MESSAGES_ROUTE}", status=429, retry_after=0.75, global_=True)
    resp = await raw.request(
        "POST", f"/channels/{emu.default_channel.id}/messages", json_body={"content": "x"}
    )
    assert resp.status == 429
    headers = resp.headers
    assert headers["Via"] and headers["Retry-After"] == "1"
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert headers["X-RateLimit-Remaining"] == "0" and headers["X-RateLimit-Reset-After"] == "0.750"
    assert headers["Content-Type"] == "application/json"
    assert not c.check(resp.json, c.RATE_LIMIT_BODY)
    assert resp.json["retry_after"] == 0.75 and resp.json["global"] is True
    again = await raw.request(
        "POST", f"/channels/{emu.default_channel.id}/messages", json_body={"content": "x"}
    )
    assert again.status == 200  # times=1
    assert [call.fault for call in emu.calls.filter("POST", MESSAGES_ROUTE)] == [True, False]


async def test_unknown_route_and_bad_token(emu: Emulator, raw: RawClient) -> None:
    resp = await raw.request("GET", "/guilds/1/audit-logs")
    assert resp.status == 404 and resp.json == {"message": "404: Not Found", "code": 0}
    assert emu.unknown_routes == [("GET", "/api/v10/guilds/1/audit-logs")]
    assert emu.calls.last().route == "?"
    async with raw.http.get(
        emu.api_base + "/users/@me", headers={"Authorization": "Bot nope"}
    ) as bad:
        assert bad.status == 401


async def test_command_validation(emu: Emulator, raw: RawClient) -> None:
    bad = [
        {"name": "Bad Name", "description": "x", "type": 1},
        {"name": "ok", "description": "", "type": 1},
        {
            "name": "opts",
            "description": "x",
            "type": 1,
            "options": [
                {"name": "a", "description": "a", "type": 3},
                {"name": "b", "description": "b", "type": 3, "required": True},
            ],
        },
    ]
    resp = await raw.request("PUT", f"/applications/{emu.application_id}/commands", json_body=bad)
    assert resp.status == 400
    errors = resp.json["errors"]
    assert set(errors) == {"0", "1", "2"}
    assert (
        errors["2"]["options"]["1"]["required"]["_errors"][0]["code"]
        == "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
    )
    assert [v.kind for v in emu.violations] == ["command_limits"]
