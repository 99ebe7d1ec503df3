"""bot/core/discord_api.py: pointing discord.py at another API base."""

from __future__ import annotations

from collections.abc import Iterator

import discord.gateway
import discord.http
import discord.webhook.async_
import discord.webhook.sync
import pytest

from bot.core import discord_api


@pytest.fixture(autouse=True)
def restore_discord_bases() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.mark.parametrize(
    ("api_base", "gateway"),
    [
        ("http://127.0.0.1:8080/api/v10", "ws://127.0.0.1:8080/gateway"),
        ("https://proxy.example/api/v10/", "wss://proxy.example/gateway"),
        ("https://proxy.example/discord/api/v10", "wss://proxy.example/discord/gateway"),
        ("http://localhost:9000", "ws://localhost:9000/gateway"),
        ("https://discord.com/api/v10", "wss://gateway.discord.gg/"),
    ],
)
def test_gateway_url_for(api_base: str, gateway: str) -> None:
    assert discord_api.gateway_url_for(api_base) == gateway


def test_default_base_is_a_no_op() -> None:
    assert discord_api.configure_api_base(None) is False
    assert discord_api.configure_api_base("https://discord.com/api/v10/") is False
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


def test_configure_patches_rest_webhooks_and_gateway() -> None:
    assert discord_api.configure_api_base("http://127.0.0.1:1234/api/v10/") is True
    assert discord_api.current_api_base() == "http://127.0.0.1:1234/api/v10"
    assert discord_api.current_gateway_url() == "ws://127.0.0.1:1234/gateway"
    route = discord.http.Route("GET", "/users/@me")
    assert route.url == "http://127.0.0.1:1234/api/v10/users/@me"
    # the interaction/webhook adapters build their URLs from the same Route class
    for module in (discord.webhook.async_, discord.webhook.sync):
        hook = module.Route(
            "POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=1, webhook_token="t"
        )
        assert hook.url == "http://127.0.0.1:1234/api/v10/webhooks/1/t"


def test_set_api_version_resets_the_base_so_configure_after_it() -> None:
    discord_api.configure_api_base("http://127.0.0.1:1234/api/v10")
    discord.http._set_api_version(10)
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    discord_api.configure_api_base("http://127.0.0.1:1234/api/v10")
    assert discord.http.Route.BASE == "http://127.0.0.1:1234/api/v10"


def test_explicit_gateway_and_env() -> None:
    env = {
        "DISCORD_API_BASE": "https://proxy.example/api/v10",
        "DISCORD_GATEWAY_URL": "wss://gateway.discord.gg/",
    }
    assert discord_api.configure_from_env(env) is True
    assert discord.http.Route.BASE == "https://proxy.example/api/v10"
    assert discord_api.current_gateway_url() == "wss://gateway.discord.gg/"
    assert discord_api.configure_from_env({}) is False


@pytest.mark.parametrize(
    "bad", ["127.0.0.1:8080/api/v10", "ftp://x/api/v10", "http:///api", "http://h/api?x=1"]
)
def test_rejects_bad_bases(bad: str) -> None:
    with pytest.raises(ValueError):
        discord_api.configure_api_base(bad)
