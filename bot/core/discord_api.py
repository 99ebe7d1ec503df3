"""Point discord.py at a Discord API base other than ``https://discord.com/api/v10``.

CertQuest honours a ``DISCORD_API_BASE`` setting.  It is used for REST proxies and
for the loopback Discord emulator the end-to-end tests run against
(``tests/emulator``, see ``docs/emulator.md``).

discord.py 2.7 has two hard-coded bases:

* ``discord.http.Route.BASE`` -- every REST call (the bot's HTTP client *and* the
  interaction/webhook adapters in ``discord.webhook.async_`` and
  ``discord.webhook.sync``, which build the same ``Route`` objects) prefixes its
  path with it.  A ``Route`` computes its URL when it is constructed, so the base
  must be set before ``login()``.  ``discord.http._set_api_version()`` resets it
  to discord.com, so call :func:`configure_api_base` *after* anything that calls
  that function.
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` -- a plain ``Client`` (and an
  ``AutoShardedClient`` given an explicit ``shard_count``) connects there without
  asking ``GET /gateway/bot``; every client also falls back to it after an
  ``INVALID_SESSION`` that cannot be resumed.  An ``AutoShardedClient`` without a
  ``shard_count`` uses the ``url`` returned by ``GET /gateway/bot`` first, and
  every client resumes at the ``resume_gateway_url`` sent in ``READY``.

Not covered on purpose: ``Webhook.url`` (a display string) and ``Webhook.from_url``
(its regex only accepts discord.com URLs); neither sends a request by itself.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import discord.gateway
import discord.http
import yarl

__all__ = [
    "API_BASE_ENV",
    "DEFAULT_API_BASE",
    "DEFAULT_GATEWAY_URL",
    "GATEWAY_URL_ENV",
    "configure_api_base",
    "configure_from_env",
    "current_api_base",
    "current_gateway_url",
    "gateway_url_for",
]

log = logging.getLogger(__name__)

API_BASE_ENV = "DISCORD_API_BASE"
GATEWAY_URL_ENV = "DISCORD_GATEWAY_URL"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"

_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_API_SUFFIX = re.compile(r"/api(?:/v\d+)?$")


def _normalise_base(api_base: str) -> str:
    base = api_base.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"API base must be an absolute http(s) URL, got {api_base!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"API base must not carry a query or fragment, got {api_base!r}")
    return base


def gateway_url_for(api_base: str) -> str:
    """Derive the gateway websocket URL that belongs to ``api_base``.

    The scheme maps http→ws and https→wss, the host and port are kept, and a
    trailing ``/api`` or ``/api/vN`` is replaced by ``/gateway`` (any prefix before
    it is kept).  The default base maps to ``wss://gateway.discord.gg/``.

    >>> gateway_url_for("http://127.0.0.1:8080/api/v10")
    'ws://127.0.0.1:8080/gateway'
    """
    base = _normalise_base(api_base)
    if base == DEFAULT_API_BASE:
        return DEFAULT_GATEWAY_URL
    parts = urlsplit(base)
    prefix = _API_SUFFIX.sub("", parts.path)
    path = f"{prefix}/gateway"
    return urlunsplit((_WS_SCHEMES[parts.scheme], parts.netloc, path, "", ""))


def current_api_base() -> str:
    """The base discord.py builds REST URLs from right now."""
    return discord.http.Route.BASE


def current_gateway_url() -> str:
    """The gateway discord.py connects to when it does not ask ``/gateway/bot``."""
    return str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


def configure_api_base(api_base: str | None, *, gateway_url: str | None = None) -> bool:
    """Make discord.py send REST calls to ``api_base`` and connect to its gateway.

    Call it once at start-up, before ``Client.login()``/``Client.run()`` (and after
    ``discord.http._set_api_version()`` if you use that).  It is a no-op returning
    ``False`` when ``api_base`` is empty or the default ``https://discord.com/api/v10``
    and no ``gateway_url`` is given.  Otherwise it patches ``Route.BASE`` and
    ``DiscordWebSocket.DEFAULT_GATEWAY`` (``gateway_url``, or the URL derived by
    :func:`gateway_url_for`) process-wide and returns ``True``.

    Raises ``ValueError`` for a base that is not an absolute http(s) URL.
    """
    if not api_base or not api_base.strip():
        api_base = DEFAULT_API_BASE
    base = _normalise_base(api_base)
    if base == DEFAULT_API_BASE and not gateway_url:
        log.debug("Discord API base is the default; nothing to configure")
        return False

    gateway = gateway_url or gateway_url_for(base)
    if urlsplit(gateway).scheme not in ("ws", "wss"):
        raise ValueError(f"gateway URL must be a ws:// or wss:// URL, got {gateway!r}")

    version_match = re.search(r"/v(\d+)$", base)
    if version_match and int(version_match.group(1)) != discord.http.INTERNAL_API_VERSION:
        log.warning(
            "the API base names another API version than discord.py speaks",
            extra={
                "api_base": base,
                "api_version": int(version_match.group(1)),
                "library_version": discord.http.INTERNAL_API_VERSION,
            },
        )

    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    log.info("Discord API base set", extra={"api_base": base, "gateway": gateway})
    return True


def configure_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Apply ``DISCORD_API_BASE`` (and optional ``DISCORD_GATEWAY_URL``) from the environment."""
    env = os.environ if environ is None else environ
    return configure_api_base(
        env.get(API_BASE_ENV) or None,
        gateway_url=env.get(GATEWAY_URL_ENV) or None,
    )
