"""The emulator: an aiohttp app on 127.0.0.1 serving Discord API v10 REST routes and the
gateway, plus the state tests drive and inspect.  See docs/emulator.md."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

from . import limits
from .actors import Actor
from .faults import Call, CallLog, Fault, FaultInjector
from .gateway import (
    APPLICATION_FLAGS,
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Gateway,
    Session,
)
from .model import (
    ATTACHMENT_SIZE_LIMIT,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    DM_APP_PERMISSIONS,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    GROUP_DM,
    GUILD_CATEGORY,
    GUILD_TEXT,
    MANAGE_MESSAGES,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    CallbackAttempt,
    Channel,
    Guild,
    Interaction,
    Json,
    Member,
    Message,
    Role,
    SnowflakeFactory,
    StoredFile,
    User,
    iso,
)

log = logging.getLogger(__name__)

API_VERSION = "10"
SUPPRESS_EMBEDS = 1 << 2


NONCE_WINDOW_SECONDS = 300.0
USER_INSTALL_PARAMS = {"scopes": ["applications.commands"], "permissions": "0"}


class ApiError(Exception):
    """A Discord-shaped error answer; ``violation`` names the rule a bot broke."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: Json | None = None,
        violation: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.violation = violation

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def missing_access() -> ApiError:
    """A bot token used on a guild or channel the bot is not in (a server where the app is
    only user-installed, a group DM, a DM between users): Discord's 403 ``50001``."""
    return ApiError(403, 50001, "Missing Access", violation="missing_access")


def invalid_form(errors: list[limits.FieldError], violation: str = "invalid_form_body") -> ApiError:
    return ApiError(
        400, 50035, "Invalid Form Body", errors=limits.errors_object(errors), violation=violation
    )


@dataclass
class Violation:
    """A request Discord would have refused because the bot broke one of its rules."""

    kind: str
    method: str
    path: str
    status: int
    code: int
    message: str
    errors: Json | None
    at: float

    def __str__(self) -> str:
        detail = f" {json.dumps(self.errors)}" if self.errors else ""
        where = f"{self.method} {self.path}"
        return f"{self.kind}: {where} -> {self.status}/{self.code} {self.message}{detail}"


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Req:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    uploads: list[Upload]
    headers: Any
    at: float

    def body(self) -> Json:
        return self.json if isinstance(self.json, dict) else {}

    def param_int(self, name: str, *, code: int, message: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, code, message) from None


Handler = Callable[[Req], Awaitable[tuple[int, Any]]]


@dataclass
class RouteDef:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool


@dataclass
class CommandSync:
    guild_id: int | None
    at: float
    names: list[str] = field(default_factory=list)


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


class Emulator:
    """A loopback Discord API v10: ``emu = await Emulator.start()`` … ``await emu.close()``
    (or ``async with await Emulator.start() as emu``/``async with Emulator() as emu``)."""

    def __init__(
        self,
        *,
        bot_name: str = "CertQuest",
        guild_name: str = "CertQuest Study Hall",
        shards: int = 1,
        interaction_deadline: float = 3.0,
        token_ttl: float = 15 * 60.0,
        heartbeat_interval_ms: int = 41250,
        privileged_intents: int = PRIVILEGED_INTENTS,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        attachment_size_limit: int = ATTACHMENT_SIZE_LIMIT,
        user_installs: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = 0
        self.recommended_shards = shards
        self.interaction_deadline = interaction_deadline
        self.token_ttl = token_ttl
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        self.attachment_size_limit = attachment_size_limit
        self.user_installs = user_installs  # the app can be added to users' accounts

        self.snowflakes = SnowflakeFactory()
        self.application_id = self.snowflakes.next()
        self.bot_user = User(self.application_id, bot_name.lower(), global_name=bot_name, bot=True)
        self.owner_user = User(self.snowflakes.next(), "owner", global_name="Owner")
        raw_id = base64.b64encode(str(self.application_id).encode()).decode().rstrip("=")
        self.token = f"{raw_id}.EMULATR.{secrets.token_urlsafe(27)}"
        self.verify_key = secrets.token_hex(32)
        self.bot_permissions = bot_permissions

        self.users: dict[int, User] = {
            self.bot_user.id: self.bot_user,
            self.owner_user.id: self.owner_user,
        }
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.nonce_hits = 0  # sends answered with an earlier message (enforce_nonce)
        self.interactions: dict[int, Interaction] = {}
        self._interactions_by_token: dict[str, Interaction] = {}
        self._dm_channels: dict[int, Channel] = {}
        self._uploads_by_id: dict[int, StoredFile] = {}
        self.actors: dict[tuple[int, int], Actor] = {}
        # commands[guild_id or None][(type, name)] = command object
        self.commands: dict[int | None, dict[tuple[int, str], Json]] = {}
        self.command_syncs: list[CommandSync] = []

        self.calls = CallLog()
        self.unknown_routes: list[tuple[str, str]] = []
        self.violations: list[Violation] = []
        self.internal_errors: list[str] = []
        self.faults = FaultInjector()
        self.gateway = Gateway(self)

        self._routes: list[RouteDef] = []
        self._install_routes()
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

        # (id >> 22) % 2520 == 0: the default guild is on shard 0 for any shard count 1..10
        self.default_guild = self.guild(guild_name, owner=self.owner_user, shard=(0, 2520))
        self.default_channel = self.default_guild.text_channels()[0]

    # --- lifecycle ---------------------------------------------------------------

    @classmethod
    async def start(cls, **kwargs: Any) -> Emulator:
        emu = cls(**kwargs)
        await emu._serve()
        return emu

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        app.router.add_route("*", "/api/v{version}/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._outside_api)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("Discord emulator listening on %s", self.api_base)

    async def close(self) -> None:
        if self._runner is None:
            return
        await self.gateway.shutdown()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Emulator:
        if self._runner is None:
            await self._serve()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway-resume"

    def bot_env(self) -> dict[str, str]:
        """Environment a bot process needs to talk to this emulator."""
        return {"DISCORD_API_BASE": self.api_base, "DISCORD_TOKEN": self.token}

    # --- waiting -----------------------------------------------------------------

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "a condition"
    ) -> Any:
        """Poll ``predicate`` on every state change until it returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
            if self._changed is None:
                self._changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))

    async def wait_for_message(
        self,
        channel: Channel | int | None = None,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 5.0,
        include_existing: bool = False,
    ) -> Message:
        """Wait for a message the bot (or anyone) posts in ``channel`` (any channel when
        ``None``) that satisfies ``predicate``.  Only messages created after the call
        count unless ``include_existing``."""
        channel_id = channel.id if isinstance(channel, Channel) else channel
        known = set() if include_existing else set(self.messages)

        def find() -> Message | None:
            for msg in self.messages.values():
                if msg.id in known or msg.deleted:
                    continue
                if channel_id is not None and msg.channel.id != channel_id:
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        found = await self.wait_until(find, timeout=timeout, what=f"a message in {channel_id}")
        assert isinstance(found, Message)
        return found

    def messages_in(self, channel: Channel | int) -> list[Message]:
        channel_id = channel.id if isinstance(channel, Channel) else channel
        return [m for m in self.messages.values() if m.channel.id == channel_id and not m.deleted]

    def ready_shards(self, since: float = 0.0) -> set[int]:
        """Shards whose current session identified at or after ``since`` and got READY."""
        return {
            shard_id
            for shard_id, s in self.gateway.by_shard.items()
            if s.valid and s.ready_at is not None and s.identified_at >= since
        }

    async def wait_ready(
        self, shards: Iterable[int] | None = None, *, since: float = 0.0, timeout: float = 15.0
    ) -> None:
        """Wait until every shard in ``shards`` (default: all of the current shard count)
        has IDENTIFYed (at or after ``since``) and been sent READY + GUILD_CREATEs."""
        wanted = None if shards is None else set(shards)

        def ok() -> bool:
            ready = self.ready_shards(since)
            if not ready:
                return False
            need = wanted if wanted is not None else set(range(self.gateway.shard_count))
            return need <= ready

        await self.wait_until(ok, timeout=timeout, what=f"READY on shards {wanted or 'all'}")

    async def wait_commands_synced(
        self, *, since: float = 0.0, timeout: float = 15.0
    ) -> CommandSync:
        def synced() -> CommandSync | None:
            for sync in self.command_syncs:
                if sync.at >= since:
                    return sync
            return None

        result = await self.wait_until(synced, timeout=timeout, what="an application command sync")
        assert isinstance(result, CommandSync)
        return result

    def unanswered_interactions(self) -> list[Interaction]:
        """Interactions whose 3-second deadline passed without an initial response."""
        return [
            i
            for i in self.interactions.values()
            if not i.responded and i.age() > self.interaction_deadline
        ]

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n".join(str(v) for v in self.violations)
            raise AssertionError(f"the bot broke Discord rules:\n{lines}")

    # --- world building ----------------------------------------------------------

    def user(self, name: str, *, global_name: str | None = None, locale: str = "en-US") -> User:
        for existing in self.users.values():
            if existing.username == name:
                return existing
        user = User(
            self.snowflakes.next(), name, global_name=global_name or name.title(), locale=locale
        )
        self.users[user.id] = user
        return user

    def guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        shard: tuple[int, int] | None = None,
        locale: str = "en-US",
        features: list[str] | None = None,
        bot: bool = True,
    ) -> Guild:
        """A new guild with @everyone and #general; with ``bot=True`` (default) the bot is in
        it (guild install: its member and managed role). ``bot=False``: a server the bot is
        not in, where members can only use the app if they installed it on their account
        (:meth:`install_app`); the bot is told nothing about it and cannot reach it by REST.
        ``shard=(shard_id, shard_count)`` picks an id that lands on that shard."""
        gid = self.snowflakes.next(shard=shard)
        owner = owner or self.owner_user
        guild = Guild(gid, name, owner.id, preferred_locale=locale, features=features or [])
        guild.roles[gid] = Role(gid, gid, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)
        category = Channel(self.snowflakes.next(), GUILD_CATEGORY, "Text Channels", guild=guild)
        general = Channel(
            self.snowflakes.next(), GUILD_TEXT, "general", guild=guild, parent_id=category.id
        )
        for ch in (category, general):
            guild.channels[ch.id] = ch
            self.channels[ch.id] = ch
        guild.members[owner.id] = Member(owner, guild)
        self.guilds[gid] = guild
        if bot:
            self.add_bot(guild)
        return guild

    def add_bot(self, guild: Guild) -> None:
        """Install the app in ``guild`` (the bot joins: its member, its managed role and,
        once connected, GUILD_CREATE)."""
        if self.bot_in(guild):
            return
        bot_role = Role(
            self.snowflakes.next(),
            guild.id,
            self.bot_user.global_name or "bot",
            self.bot_permissions,
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(self.bot_user, guild, roles=[bot_role.id])
        if self._runner is not None:
            self.gateway.dispatch(
                "GUILD_CREATE",
                self.guild_create_payload(guild, self._intents_for(guild.id)),
                guild_id=guild.id,
            )

    def bot_in(self, guild: Guild | int | None) -> bool:
        """Whether the bot is a member of ``guild`` (the app is installed there)."""
        if guild is None:
            return False
        found = self.guilds.get(guild) if isinstance(guild, int) else guild
        return found is not None and self.bot_user.id in found.members

    def bot_can_see(self, channel: Channel) -> bool:
        """A channel of a guild the bot is in, or the bot's own DM with a user; not a
        group DM, a DM between users, or a channel of a server the bot is not in."""
        if channel.guild is not None:
            return self.bot_in(channel.guild)
        return channel.recipient is not None

    def install_app(self, user: User | Actor) -> None:
        """The user adds the application to their account (a user install): its commands
        that allow ``integration_types`` 1 work for them anywhere their ``contexts`` allow."""
        if not self.user_installs:
            raise ValueError("this application does not support user installs")
        user = user.user if isinstance(user, Actor) else user
        user.app_installed = True

    def uninstall_app(self, user: User | Actor) -> None:
        user = user.user if isinstance(user, Actor) else user
        user.app_installed = False

    def private_channel(self, *users: User | Actor, name: str | None = None) -> Channel:
        """A private channel without the bot: a group DM of ``users`` (the first owns it), or,
        for exactly two users and no ``name``, their DM. Commands there have ``context`` 2
        and work only through a user install; the bot cannot read or post there."""
        people = [u.user if isinstance(u, Actor) else u for u in users]
        if len(people) < 2 or any(u.bot for u in people):
            raise ValueError("a private channel has two or more users and no bot")
        ctype = DM if len(people) == 2 and name is None else GROUP_DM
        ch = Channel(
            self.snowflakes.next(),
            ctype,
            name,
            participants=people,
            owner_id=people[0].id if ctype == GROUP_DM else None,
        )
        self.channels[ch.id] = ch
        return ch

    def channel(
        self,
        name: str,
        *,
        guild: Guild | None = None,
        type: int = GUILD_TEXT,
        topic: str | None = None,
    ) -> Channel:
        guild = guild or self.default_guild
        for existing in guild.channels.values():
            if existing.name == name and existing.type == type:
                return existing
        ch = Channel(
            self.snowflakes.next(),
            type,
            name,
            guild=guild,
            topic=topic,
            position=len(guild.channels),
        )
        guild.channels[ch.id] = ch
        self.channels[ch.id] = ch
        self.gateway.dispatch("CHANNEL_CREATE", ch.payload(), guild_id=guild.id, intent=GUILDS)
        return ch

    def role(self, name: str, *, guild: Guild | None = None, permissions: int = 0) -> Role:
        guild = guild or self.default_guild
        for existing in guild.roles.values():
            if existing.name == name:
                return existing
        role = Role(self.snowflakes.next(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(guild.id), "role": role.payload()},
            guild_id=guild.id,
            intent=GUILDS,
        )
        return role

    def member(
        self,
        name: str,
        *,
        guild: Guild | None = None,
        permissions: int | None = None,
        roles: Iterable[Role] = (),
        locale: str = "en-US",
    ) -> Actor:
        """A user (created on first use) who is a member of ``guild`` (default guild),
        returned as an :class:`Actor` that can use the bot.  ``permissions`` gives the
        member a role with exactly those extra permission bits."""
        guild = guild or self.default_guild
        user = self.user(name, locale=locale)
        key = (guild.id, user.id)
        if key in self.actors:
            return self.actors[key]
        role_ids = [r.id for r in roles]
        if permissions:
            role_ids.append(self.role(f"{name}-perms", guild=guild, permissions=permissions).id)
        member = Member(user, guild, roles=role_ids)
        guild.members[user.id] = member
        self.gateway.dispatch(
            "GUILD_MEMBER_ADD",
            {**member.payload(), "guild_id": str(guild.id)},
            guild_id=guild.id,
            intent=GUILD_MEMBERS,
        )
        actor = Actor(self, user, guild)
        self.actors[key] = actor
        return actor

    def dm_channel(self, user: User | Actor) -> Channel:
        user = user.user if isinstance(user, Actor) else user
        ch = self._dm_channels.get(user.id)
        if ch is None:
            ch = Channel(self.snowflakes.next(), DM, None, recipient=user)
            self._dm_channels[user.id] = ch
            self.channels[ch.id] = ch
        return ch

    def refuse_dms(self, user: User | Actor, code: int = 50007) -> None:
        """Make DMs from the bot to ``user`` fail with 403 ``code`` (50007 or 50278)."""
        user = user.user if isinstance(user, Actor) else user
        user.dm_refusal_code = code

    def allow_dms(self, user: User | Actor) -> None:
        user = user.user if isinstance(user, Actor) else user
        user.dm_refusal_code = None

    def bot_permissions_in(self, channel: Channel) -> int:
        if not self.bot_can_see(channel):
            return 0
        if channel.guild is None:
            return DM_APP_PERMISSIONS
        member = channel.guild.members.get(self.bot_user.id)
        return member.permissions() if member else 0

    def commands_for(self, guild: Guild | None = None) -> list[Json]:
        gid = guild.id if guild else None
        return list(self.commands.get(gid, {}).values())

    # --- gateway payloads -----------------------------------------------------------

    def _intents_for(self, guild_id: int) -> int:
        session = self.gateway.by_shard.get(self.gateway.shard_for(guild_id))
        return session.intents if session else 0

    def ready_payload(self, session: Session, guilds: list[Guild]) -> Json:
        return {
            "v": int(API_VERSION),
            "user": self.bot_user.self_payload(),
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(self.application_id), "flags": APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east", "us-central"],
            "auth": {},
            "_trace": ['["emulator-gateway"]'],
        }

    def guild_create_payload(self, guild: Guild, intents: int) -> Json:
        return guild.create_payload(
            bot_id=self.bot_user.id, all_members=bool(intents & GUILD_MEMBERS)
        )

    def application_payload(self) -> Json:
        perms = str(self.bot_permissions)
        install_config: Json = {
            "0": {
                "oauth2_install_params": {
                    "scopes": ["bot", "applications.commands"],
                    "permissions": perms,
                }
            }
        }
        if self.user_installs:
            install_config["1"] = {"oauth2_install_params": copy.deepcopy(USER_INSTALL_PARAMS)}
        return {
            "id": str(self.application_id),
            "name": self.bot_user.global_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": self.verify_key,
            "owner": self.owner_user.payload(),
            "team": None,
            "flags": APPLICATION_FLAGS,
            "bot": self.bot_user.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": perms},
            "integration_types_config": install_config,
            "approximate_guild_count": sum(1 for g in self.guilds.values() if self.bot_in(g)),
            "approximate_user_install_count": sum(
                1 for u in self.users.values() if u.app_installed
            ),
            "is_monetized": False,
            "storefront_available": False,
            "explicit_content_filter": 0,
            "integration_public": True,
            "integration_require_code_grant": False,
            "is_discoverable": False,
            "is_verified": False,
        }

    # --- REST plumbing ---------------------------------------------------------------

    def _route(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self._routes.append(RouteDef(method, template, _compile(template), handler, auth))

    def _match(self, method: str, path: str) -> tuple[RouteDef, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None

    def _json_response(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        hdrs = dict(headers or {})
        if status == 204 or body is None:
            return web.Response(status=status, headers=hdrs)
        hdrs["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)

    @staticmethod
    def _ratelimit_headers(template: str) -> dict[str, str]:
        bucket = (
            secrets.token_hex(4)
            if not template
            else format(abs(hash(template)) & 0xFFFFFFFF, "08x")
        )
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
        }

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            payload: Any = None
            uploads: list[Upload] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(
                    part, aiohttp.BodyPartReader
                ):  # nested multipart: not used by Discord
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    payload = json.loads(bytes(data).decode("utf-8"))
                else:
                    uploads.append(
                        Upload(
                            str(part.name),
                            part.filename or str(part.name),
                            part.headers.get("Content-Type", "application/octet-stream"),
                            bytes(data),
                        )
                    )
            return payload, uploads
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        at = loop.time()
        method = request.method.upper()
        path = "/" + request.match_info["tail"]
        version = request.match_info["version"]
        query = dict(request.query)
        matched = self._match(method, path) if version == API_VERSION else None
        template = matched[0].template if matched else "?"
        body: Any = None
        uploads: list[Upload] = []
        call = Call(method, template, path, query, None, [], 0, at)
        try:
            body, uploads = await self._read_body(request)
            call.json = body
            call.files = [u.filename for u in uploads]
            if matched is None:
                self.unknown_routes.append((method, f"/api/v{version}{path}"))
                log.warning("emulator: unknown route %s %s", method, path)
                raise ApiError(404, 0, "404: Not Found")
            route, params = matched
            if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            fault = self.faults.match(method, template, path, body)
            if fault is not None:
                fault.hits += 1
                call.fault = True
                response = self._fault_response(fault, template)
                call.status = response.status
                if response.content_type == "application/json" and isinstance(response.body, bytes):
                    call.response = json.loads(response.body)
                return response
            req = Req(method, path, template, params, query, body, uploads, request.headers, at)
            status, payload = await route.handler(req)
            call.status = status
            call.response = payload
            return self._json_response(status, payload, self._ratelimit_headers(template))
        except ApiError as err:
            call.status = err.status
            call.response = err.body()
            if err.violation:
                self.violations.append(
                    Violation(
                        err.violation,
                        method,
                        path,
                        err.status,
                        err.code,
                        err.message,
                        err.errors,
                        at,
                    )
                )
                log.warning(
                    "emulator: rule violation %s on %s %s: %s",
                    err.violation,
                    method,
                    path,
                    err.errors or err.message,
                )
            return self._json_response(err.status, err.body(), self._ratelimit_headers(template))
        except Exception as exc:  # an emulator bug: answer like a Discord 500 and keep it
            log.exception("emulator: internal error on %s %s", method, path)
            self.internal_errors.append(f"{method} {path}: {exc!r}")
            call.status = 500
            return self._json_response(500, {"message": "500: Internal Server Error", "code": 0})
        finally:
            self.calls.append(call)
            self._notify()

    def _fault_response(self, fault: Fault, template: str) -> web.Response:
        if fault.status == 429:
            headers = {
                "Retry-After": str(max(1, int(-(-fault.retry_after // 1)))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Bucket": fault.bucket,
                "X-RateLimit-Scope": "global" if fault.global_ else "user",
            }
            if fault.global_:
                headers["X-RateLimit-Global"] = "true"
            if not fault.via:
                return web.Response(
                    status=429, text="<html>error code: 1015</html>", content_type="text/html"
                )
            headers["Via"] = "1.1 google"
            body = fault.body or {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.global_,
            }
            if fault.global_ and fault.body is None:
                body["code"] = 0
            return self._json_response(429, body, headers)
        if fault.body is not None:
            if isinstance(fault.body, str):
                return web.Response(status=fault.status, text=fault.body, content_type="text/html")
            return self._json_response(fault.status, fault.body)
        default_messages = {
            500: "500: Internal Server Error",
            502: "502: Bad Gateway",
            503: "503: Service Unavailable",
            403: "Missing Permissions",
            404: "404: Not Found",
        }
        message = fault.message or default_messages.get(fault.status, "Emulated failure")
        return self._json_response(
            fault.status,
            {"message": message, "code": fault.code or 0},
            self._ratelimit_headers(template),
        )

    async def _outside_api(self, request: web.Request) -> web.StreamResponse:
        self.unknown_routes.append((request.method, request.path))
        self._notify()
        return self._json_response(404, {"message": "404: Not Found", "code": 0})

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        msg_files = [m.files for m in self.messages.values()] + [self._uploads_by_id]
        aid = int(request.match_info["attachment_id"])
        for files in msg_files:
            if aid in files:
                stored = files[aid]
                return web.Response(body=stored.data, content_type=stored.content_type)
        return web.Response(status=404, text="not found")

    # --- route table ---------------------------------------------------------------------

    def _install_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/@me/guilds", self._get_my_guilds)
        r("POST", "/users/@me/channels", self._create_dm)
        r("GET", "/users/{user_id}", self._get_user)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/gateway", self._get_gateway, auth=False)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        app = "/applications/{application_id}"
        for scope in (f"{app}/commands", f"{app}/guilds/{{guild_id}}/commands"):
            r("GET", scope, self._list_commands)
            r("PUT", scope, self._put_commands)
            r("POST", scope, self._post_command)
            r("GET", f"{scope}/permissions", self._command_permissions)
            r("GET", f"{scope}/{{command_id}}", self._get_command)
            r("PATCH", f"{scope}/{{command_id}}", self._patch_command)
            r("DELETE", f"{scope}/{{command_id}}", self._delete_command)
        r("GET", f"{app}/entitlements", self._empty_list)
        r("GET", f"{app}/emojis", self._app_emojis)
        r(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            self._callback,
            auth=False,
        )
        wh = "/webhooks/{application_id}/{interaction_token}"
        r("POST", wh, self._followup, auth=False)
        for target in ("@original", "{message_id}"):
            r("GET", f"{wh}/messages/{target}", self._webhook_get, auth=False)
            r("PATCH", f"{wh}/messages/{target}", self._webhook_edit, auth=False)
            r("DELETE", f"{wh}/messages/{target}", self._webhook_delete, auth=False)
        ch = "/channels/{channel_id}"
        r("GET", ch, self._get_channel)
        r("GET", f"{ch}/messages", self._list_messages)
        r("POST", f"{ch}/messages", self._create_message)
        r("GET", f"{ch}/messages/{{message_id}}", self._get_message)
        r("PATCH", f"{ch}/messages/{{message_id}}", self._edit_message)
        r("DELETE", f"{ch}/messages/{{message_id}}", self._delete_message)
        r("POST", f"{ch}/typing", self._no_content)
        r("PUT", f"{ch}/messages/{{message_id}}/reactions/{{emoji}}/@me", self._no_content)
        r("DELETE", f"{ch}/messages/{{message_id}}/reactions/{{emoji}}/@me", self._no_content)
        g = "/guilds/{guild_id}"
        r("GET", g, self._get_guild)
        r("GET", f"{g}/channels", self._get_guild_channels)
        r("GET", f"{g}/roles", self._get_guild_roles)
        r("GET", f"{g}/members", self._list_members)
        r("GET", f"{g}/members/{{user_id}}", self._get_member)
        r("PUT", f"{g}/members/{{user_id}}/roles/{{role_id}}", self._add_member_role)
        r("DELETE", f"{g}/members/{{user_id}}/roles/{{role_id}}", self._remove_member_role)

    # --- simple lookups -----------------------------------------------------------------

    def _guild_or_404(self, req: Req) -> Guild:
        gid = req.param_int("guild_id", code=10004, message="Unknown Guild")
        guild = self.guilds.get(gid)
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if not self.bot_in(guild):
            raise missing_access()
        return guild

    def _channel_or_404(self, req: Req) -> Channel:
        cid = req.param_int("channel_id", code=10003, message="Unknown Channel")
        ch = self.channels.get(cid)
        if ch is None:
            raise ApiError(404, 10003, "Unknown Channel")
        if not self.bot_can_see(ch):
            raise missing_access()
        return ch

    def _message_or_404(self, req: Req, channel: Channel) -> Message:
        mid = req.param_int("message_id", code=10008, message="Unknown Message")
        msg = self.messages.get(mid)
        if msg is None or msg.deleted or msg.channel.id != channel.id or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _get_me(self, req: Req) -> tuple[int, Any]:
        return 200, self.bot_user.self_payload()

    async def _get_my_guilds(self, req: Req) -> tuple[int, Any]:
        return 200, [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(g.members[self.bot_user.id].permissions()),
                "features": list(g.features),
            }
            for g in self.guilds.values()
            if self.bot_in(g)
        ]

    async def _get_user(self, req: Req) -> tuple[int, Any]:
        uid = req.param_int("user_id", code=10013, message="Unknown User")
        user = self.users.get(uid)
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user.payload()

    async def _get_application(self, req: Req) -> tuple[int, Any]:
        return 200, self.application_payload()

    async def _get_gateway(self, req: Req) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: Req) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    async def _empty_list(self, req: Req) -> tuple[int, Any]:
        return 200, []

    async def _app_emojis(self, req: Req) -> tuple[int, Any]:
        return 200, {"items": []}

    async def _no_content(self, req: Req) -> tuple[int, Any]:
        self._channel_or_404(req)
        return 204, None

    async def _create_dm(self, req: Req) -> tuple[int, Any]:
        try:
            uid = int(req.body()["recipient_id"])
        except (KeyError, ValueError, TypeError):
            raise invalid_form(
                [
                    limits.FieldError(
                        ("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required"
                    )
                ]
            ) from None
        user = self.users.get(uid)
        if user is None or user.bot:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return 200, self.dm_channel(user).payload()

    async def _get_channel(self, req: Req) -> tuple[int, Any]:
        return 200, self._channel_or_404(req).payload()

    async def _get_guild(self, req: Req) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        data = guild.base_payload()
        if _truthy(req.query.get("with_counts")):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return 200, data

    async def _get_guild_channels(self, req: Req) -> tuple[int, Any]:
        return 200, [c.payload() for c in self._guild_or_404(req).channels.values()]

    async def _get_guild_roles(self, req: Req) -> tuple[int, Any]:
        return 200, [r.payload() for r in self._guild_or_404(req).roles.values()]

    async def _list_members(self, req: Req) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        limit = max(1, min(int(req.query.get("limit", "1")), 1000))
        after = int(req.query.get("after", "0"))
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return 200, [m.payload() for m in members[:limit]]

    def _member_or_404(self, req: Req, guild: Guild) -> Member:
        uid = req.param_int("user_id", code=10013, message="Unknown User")
        member = guild.members.get(uid)
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member

    async def _get_member(self, req: Req) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        return 200, self._member_or_404(req, guild).payload()

    async def _change_role(self, req: Req, add: bool) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        member = self._member_or_404(req, guild)
        rid = req.param_int("role_id", code=10011, message="Unknown Role")
        role = guild.roles.get(rid)
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        bot_member = guild.members[self.bot_user.id]
        bot_top = max(
            (guild.roles[r].position for r in bot_member.roles if r in guild.roles), default=0
        )
        from .model import MANAGE_ROLES

        if not bot_member.permissions() & MANAGE_ROLES or role.position >= bot_top or role.managed:
            raise ApiError(403, 50013, "Missing Permissions", violation="missing_permissions")
        if add and rid not in member.roles:
            member.roles.append(rid)
        elif not add and rid in member.roles:
            member.roles.remove(rid)
        self.gateway.dispatch(
            "GUILD_MEMBER_UPDATE",
            {**member.payload(), "guild_id": str(guild.id)},
            guild_id=guild.id,
            intent=GUILD_MEMBERS,
        )
        return 204, None

    async def _add_member_role(self, req: Req) -> tuple[int, Any]:
        return await self._change_role(req, True)

    async def _remove_member_role(self, req: Req) -> tuple[int, Any]:
        return await self._change_role(req, False)

    # --- application commands ---------------------------------------------------------

    def _command_scope(self, req: Req) -> int | None:
        app_id = req.param_int("application_id", code=10002, message="Unknown Application")
        if app_id != self.application_id:
            raise ApiError(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        if "guild_id" in req.params:
            return self._guild_or_404(req).id
        return None

    def _command_object(self, body: Json, guild_id: int | None, existing: Json | None) -> Json:
        ctype = int(body.get("type", 1))
        cmd: Json = {
            "id": existing["id"] if existing else str(self.snowflakes.next()),
            "application_id": str(self.application_id),
            "version": str(self.snowflakes.next()),
            "default_member_permissions": body.get("default_member_permissions"),
            "type": ctype,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", "") if ctype == 1 else "",
            "description_localizations": body.get("description_localizations"),
            "nsfw": bool(body.get("nsfw", False)),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        else:
            cmd["dm_permission"] = bool(body.get("dm_permission", True))
        if body.get("options"):
            cmd["options"] = copy.deepcopy(body["options"])
        return cmd

    def _record_sync(self, guild_id: int | None, at: float) -> None:
        names = [c["name"] for c in self.commands.get(guild_id, {}).values()]
        self.command_syncs.append(CommandSync(guild_id, at, names))

    async def _list_commands(self, req: Req) -> tuple[int, Any]:
        scope = self._command_scope(req)
        return 200, list(self.commands.get(scope, {}).values())

    async def _put_commands(self, req: Req) -> tuple[int, Any]:
        scope = self._command_scope(req)
        errors = limits.check_commands(req.json)
        if errors:
            raise invalid_form(errors, "command_limits")
        old = self.commands.get(scope, {})
        new: dict[tuple[int, str], Json] = {}
        for body in req.json:
            key = (int(body.get("type", 1)), body["name"])
            new[key] = self._command_object(body, scope, old.get(key))
        self.commands[scope] = new
        self._record_sync(scope, req.at)
        return 200, list(new.values())

    async def _post_command(self, req: Req) -> tuple[int, Any]:
        scope = self._command_scope(req)
        body = req.body()
        errors = limits.check_commands([body])
        if errors:
            raise invalid_form(errors, "command_limits")
        cmds = self.commands.setdefault(scope, {})
        key = (int(body.get("type", 1)), body["name"])
        existing = cmds.get(key)
        cmds[key] = self._command_object(body, scope, existing)
        self._record_sync(scope, req.at)
        return (200 if existing else 201), cmds[key]

    def _find_command(self, req: Req) -> tuple[int | None, tuple[int, str], Json]:
        scope = self._command_scope(req)
        cid = req.params["command_id"]
        for key, cmd in self.commands.get(scope, {}).items():
            if cmd["id"] == cid:
                return scope, key, cmd
        raise ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, req: Req) -> tuple[int, Any]:
        return 200, self._find_command(req)[2]

    async def _patch_command(self, req: Req) -> tuple[int, Any]:
        scope, key, cmd = self._find_command(req)
        merged = {**cmd, **req.body()}
        errors = limits.check_commands([merged])
        if errors:
            raise invalid_form(errors, "command_limits")
        del self.commands[scope][key]
        new_key = (int(merged.get("type", 1)), merged["name"])
        self.commands[scope][new_key] = self._command_object(merged, scope, cmd)
        self._record_sync(scope, req.at)
        return 200, self.commands[scope][new_key]

    async def _delete_command(self, req: Req) -> tuple[int, Any]:
        scope, key, _ = self._find_command(req)
        del self.commands[scope][key]
        self._record_sync(scope, req.at)
        return 204, None

    async def _command_permissions(self, req: Req) -> tuple[int, Any]:
        self._command_scope(req)
        return 200, []

    # --- messages -----------------------------------------------------------------------

    def _attachments(
        self, channel: Channel, spec: Any, uploads: list[Upload], existing: list[Json] | None = None
    ) -> tuple[list[Json], dict[int, StoredFile]]:
        by_index: dict[int, Upload] = {}
        for up in uploads:
            m = re.fullmatch(r"files\[(\d+)\]", up.field) or re.fullmatch(r"file(\d*)", up.field)
            if m:
                by_index[int(m.group(1) or 0)] = up
        total = sum(len(u.data) for u in uploads)
        if total > self.attachment_size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        if spec is None:
            spec = [{"id": i, "filename": u.filename} for i, u in sorted(by_index.items())]
        result: list[Json] = []
        stored: dict[int, StoredFile] = {}
        keep = {a["id"]: a for a in existing or []}
        for entry in spec:
            raw_id = entry.get("id")
            if raw_id is not None and str(raw_id) in keep:
                result.append(keep[str(raw_id)])
                continue
            idx = int(raw_id) if raw_id is not None and str(raw_id).isdigit() else None
            upload = by_index.get(idx) if idx is not None else None
            if upload is None:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    errors={
                        "attachments": {
                            "_errors": [
                                {"code": "ATTACHMENT_NOT_FOUND", "message": "Attachment not found"}
                            ]
                        }
                    },
                    violation="invalid_form_body",
                )
            aid = self.snowflakes.next()
            filename = entry.get("filename") or upload.filename
            url = f"{self.base_url}/attachments/{channel.id}/{aid}/{filename}"
            att: Json = {
                "id": str(aid),
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
                "content_scan_version": 0,
            }
            if entry.get("description"):
                att["description"] = entry["description"]
            if entry.get("title"):
                att["title"] = entry["title"]
            result.append(att)
            stored[aid] = StoredFile(filename, upload.data, upload.content_type)
        return result, stored

    @staticmethod
    def _with_component_ids(components: list[Json]) -> list[Json]:
        counter = iter(range(1, 10_000))

        def assign(comp: Json) -> None:
            comp.setdefault("id", next(counter))
            for child in comp.get("components") or []:
                assign(child)
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    assign(comp[key])

        out = copy.deepcopy(components)
        for comp in out:
            assign(comp)
        return out

    @staticmethod
    def _normalise_embeds(embeds: list[Json]) -> list[Json]:
        out = []
        for embed in embeds:
            e = copy.deepcopy(embed)
            e.setdefault("type", "rich")
            e.setdefault("content_scan_version", 0)
            out.append(e)
        return out

    def _mentions(self, content: str) -> list[Json]:
        ids = {int(m) for m in re.findall(r"<@!?(\d+)>", content or "")}
        return [self.users[i].payload() for i in ids if i in self.users]

    def _check_body(
        self,
        body: Json,
        uploads: list[Upload],
        *,
        existing: Json | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        errors = limits.check_message(body, file_count=len(uploads), existing=existing)
        if errors:
            for err in errors:
                err.path = (*prefix, *err.path)
            raise invalid_form(errors, "message_limits")

    def _new_message(
        self,
        channel: Channel,
        body: Json,
        uploads: list[Upload],
        *,
        author: User,
        msg_type: int = 0,
        flags: int | None = None,
        interaction: Interaction | None = None,
        extra: Json | None = None,
        check_empty: bool = True,
        prefix: tuple[str, ...] = (),
    ) -> Message:
        self._check_body(body, uploads, prefix=prefix)
        if check_empty and limits.is_empty_message(body, len(uploads)):
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty_message")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: the same author, the same nonce within a few minutes → the message
            # created the first time is returned and no new one is created.
            for earlier in self.messages.values():
                if (
                    earlier.data.get("nonce") == nonce
                    and earlier.author_id == author.id
                    and not earlier.deleted
                    and time.time() - earlier.created_wall < NONCE_WINDOW_SECONDS
                ):
                    self.nonce_hits += 1
                    return earlier
        mid = self.snowflakes.next()
        attachments, stored = self._attachments(channel, body.get("attachments"), uploads)
        msg_flags = int(body.get("flags") or 0) if flags is None else flags
        content = body.get("content") or ""
        data: Json = {
            "type": msg_type,
            "content": content,
            "mentions": self._mentions(content),
            "mention_roles": [],
            "attachments": attachments,
            "embeds": self._normalise_embeds(body.get("embeds") or []),
            "timestamp": iso(),
            "edited_timestamp": None,
            "flags": msg_flags,
            "components": self._with_component_ids(body.get("components") or []),
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(body.get("tts", False)),
        }
        if body.get("nonce") is not None:
            data["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            target = self.messages.get(int(ref["message_id"]))
            if target is None and ref.get("fail_if_not_exists", True):
                raise invalid_form(
                    [
                        limits.FieldError(
                            ("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message"
                        )
                    ]
                )
            data["type"] = 19 if msg_type == 0 else msg_type
            data["message_reference"] = {
                "type": 0,
                "channel_id": str(channel.id),
                "message_id": str(ref["message_id"]),
                **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
            }
            data["referenced_message"] = copy.deepcopy(target.data) if target else None
        if extra:
            data.update(extra)
        msg = Message(
            self,
            data,
            channel=channel,
            interaction_id=interaction.id if interaction else None,
            files=stored,
        )
        self.messages[mid] = msg
        channel.last_message_id = mid
        if not msg.ephemeral:
            self._dispatch_message("MESSAGE_CREATE", msg)
        self._notify()
        return msg

    def _apply_edit(
        self,
        msg: Message,
        body: Json,
        uploads: list[Upload],
        *,
        clear_loading: bool = False,
        prefix: tuple[str, ...] = (),
    ) -> Message:
        self._check_body(body, uploads, existing=msg.data, prefix=prefix)
        new = copy.deepcopy(msg.data)
        if "content" in body:
            new["content"] = body["content"] or ""
            new["mentions"] = self._mentions(new["content"])
        if "embeds" in body:
            new["embeds"] = self._normalise_embeds(body["embeds"] or [])
        if "components" in body:
            new["components"] = self._with_component_ids(body["components"] or [])
        if "attachments" in body or uploads:
            atts, stored = self._attachments(
                msg.channel, body.get("attachments"), uploads, msg.attachments
            )
            if "attachments" not in body:
                atts = msg.attachments + atts
            new["attachments"] = atts
            msg.files.update(stored)
        flags = int(new.get("flags", 0))
        if "flags" in body and body["flags"] is not None:
            requested = int(body["flags"])
            flags = (flags & ~SUPPRESS_EMBEDS) | (requested & SUPPRESS_EMBEDS)
            if requested & FLAG_COMPONENTS_V2:
                flags |= FLAG_COMPONENTS_V2
        if clear_loading:
            flags &= ~FLAG_LOADING
        new["flags"] = flags
        if limits.is_empty_message(new) and not flags & FLAG_LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message", violation="empty_message")
        new["edited_timestamp"] = iso()
        msg._push(new)
        if not msg.ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", msg)
        self._notify()
        return msg

    def _dispatch_message(self, event: str, msg: Message) -> None:
        if not self.bot_can_see(msg.channel):  # the bot hears nothing from where it is not
            return
        data = copy.deepcopy(msg.data)
        guild = msg.channel.guild
        if guild is not None:
            intent = GUILD_MESSAGES
            data["guild_id"] = str(guild.id)
            author_member = guild.members.get(msg.author_id)
            if author_member is not None and "webhook_id" not in data:
                data["member"] = author_member.payload(with_user=False)
        else:
            intent = DIRECT_MESSAGES
        session = self.gateway.by_shard.get(self.gateway.shard_for(guild.id if guild else None))
        privileged = session is not None and session.intents & MESSAGE_CONTENT
        mentioned = any(u["id"] == str(self.bot_user.id) for u in data.get("mentions", []))
        if not (privileged or guild is None or mentioned or msg.author_id == self.bot_user.id):
            for key in ("content", "embeds", "attachments", "components"):
                data[key] = "" if key == "content" else []
        self.gateway.dispatch(event, data, guild_id=guild.id if guild else None, intent=intent)

    async def _create_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel_or_404(req)
        if channel.type == DM:
            assert channel.recipient is not None
            code = channel.recipient.dm_refusal_code
            if code is not None:
                raise ApiError(403, code, "Cannot send messages to this user")
        elif channel.type != GUILD_TEXT:
            raise ApiError(
                400, 50008, "Cannot send messages in a non-text channel", violation="bad_channel"
            )
        else:
            perms = self.bot_permissions_in(channel)
            if not (perms & VIEW_CHANNEL and perms & SEND_MESSAGES):
                raise ApiError(403, 50013, "Missing Permissions", violation="missing_permissions")
        body = req.body()
        if int(body.get("flags") or 0) & FLAG_EPHEMERAL:
            body = {**body, "flags": int(body["flags"]) & ~FLAG_EPHEMERAL}
        msg = self._new_message(channel, body, req.uploads, author=self.bot_user)
        return 200, msg.data

    async def _list_messages(self, req: Req) -> tuple[int, Any]:
        channel = self._channel_or_404(req)
        limit = max(1, min(int(req.query.get("limit", "50")), 100))
        msgs = [m for m in self.messages_in(channel) if not m.ephemeral]
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])]
        msgs.sort(key=lambda m: m.id, reverse=True)
        return 200, [m.data for m in msgs[:limit]]

    async def _get_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel_or_404(req)
        return 200, self._message_or_404(req, channel).data

    async def _edit_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel_or_404(req)
        msg = self._message_or_404(req, channel)
        if msg.author_id != self.bot_user.id:
            raise ApiError(
                403,
                50005,
                "Cannot edit a message authored by another user",
                violation="edit_foreign_message",
            )
        self._apply_edit(msg, req.body(), req.uploads)
        return 200, msg.data

    def _delete(self, msg: Message) -> None:
        msg.deleted = True
        if not msg.ephemeral and self.bot_can_see(msg.channel):
            payload: Json = {"id": str(msg.id), "channel_id": str(msg.channel.id)}
            gid = msg.channel.guild_id
            if gid is not None:
                payload["guild_id"] = str(gid)
            self.gateway.dispatch(
                "MESSAGE_DELETE",
                payload,
                guild_id=gid,
                intent=GUILD_MESSAGES if gid else DIRECT_MESSAGES,
            )
        self._notify()

    async def _delete_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel_or_404(req)
        msg = self._message_or_404(req, channel)
        if msg.author_id != self.bot_user.id and not (
            channel.guild is not None and self.bot_permissions_in(channel) & MANAGE_MESSAGES
        ):
            raise ApiError(403, 50013, "Missing Permissions", violation="missing_permissions")
        self._delete(msg)
        return 204, None

    # --- interactions --------------------------------------------------------------------

    def _interaction_extra(self, inter: Interaction, *, followup: bool = False) -> Json:
        meta: Json = {
            "id": str(inter.id),
            "type": inter.type,
            "user": inter.user.payload(),
            "authorizing_integration_owners": inter.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if inter.type == 2:
            meta["name"] = inter.command_name
            meta["command_type"] = inter.payload["data"].get("type", 1)
        if inter.source_message_id is not None and inter.type in (MESSAGE_COMPONENT, MODAL_SUBMIT):
            meta["interacted_message_id"] = str(inter.source_message_id)
        if followup and inter.original_message_id is not None:
            meta["original_response_message_id"] = str(inter.original_message_id)
        extra: Json = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": meta,
        }
        if inter.type == 2 and not followup:
            legacy: Json = {
                "id": str(inter.id),
                "type": inter.type,
                "name": inter.command_name,
                "user": inter.user.payload(),
            }
            if inter.guild is not None and inter.user.id in inter.guild.members:
                legacy["member"] = inter.guild.members[inter.user.id].payload(with_user=False)
            extra["interaction"] = legacy
        return extra

    def _interaction_message(
        self,
        inter: Interaction,
        body: Json,
        uploads: list[Upload],
        *,
        loading: bool = False,
        followup: bool = False,
        prefix: tuple[str, ...] = (),
    ) -> Message:
        flags = int(body.get("flags") or 0)
        errors: list[limits.FieldError] = []
        limits.check_flags(flags, errors)
        if errors:
            raise invalid_form(errors, "message_limits")
        if loading:
            flags = FLAG_LOADING | (flags & FLAG_EPHEMERAL)
        if inter.type == 2 and not followup:
            cmd_type = int(inter.payload["data"].get("type", 1))
            msg_type = 20 if cmd_type == 1 else 23
        else:
            msg_type = 0
        extra = self._interaction_extra(inter, followup=followup)
        if (
            inter.source_message_id is not None
            and not followup
            and inter.type in (MESSAGE_COMPONENT, MODAL_SUBMIT)
        ):
            msg_type = 19
            extra["message_reference"] = {
                "type": 0,
                "channel_id": str(inter.channel.id),
                "message_id": str(inter.source_message_id),
                **({"guild_id": str(inter.channel.guild_id)} if inter.channel.guild_id else {}),
            }
        return self._new_message(
            inter.channel,
            body,
            uploads,
            author=self.bot_user,
            msg_type=msg_type,
            flags=flags,
            interaction=inter,
            extra=extra,
            check_empty=not loading,
            prefix=prefix,
        )

    _ALLOWED_CALLBACKS: ClassVar[dict[int, set[int]]] = {
        2: {4, 5, 9, 10, 12},
        3: {4, 5, 6, 7, 9, 10, 12},
        4: {8},
        5: {4, 5, 6, 7, 10, 12},
    }

    async def _callback(self, req: Req) -> tuple[int, Any]:
        loop = asyncio.get_running_loop()
        iid = req.param_int("interaction_id", code=10062, message="Unknown interaction")
        inter = self.interactions.get(iid)
        if inter is None or inter.token != req.params["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        body = req.body()
        rtype = body.get("type")
        attempt = CallbackAttempt(loop.time(), rtype if isinstance(rtype, int) else None, 0, None)
        inter.callback_attempts.append(attempt)
        try:
            result = self._do_callback(inter, body, req)
            attempt.status = result[0]
            return result
        except ApiError as err:
            attempt.status, attempt.code = err.status, err.code
            raise
        finally:
            self._notify()

    def _do_callback(self, inter: Interaction, body: Json, req: Req) -> tuple[int, Any]:
        if inter.responded:
            raise ApiError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation="already_acknowledged",
            )
        if inter.expired or inter.age() > self.interaction_deadline:
            late = not inter.expired
            inter.expired = True
            raise ApiError(
                404,
                10062,
                "Unknown interaction",
                violation="initial_response_deadline" if late else "expired_interaction",
            )
        rtype = body.get("type")
        allowed = set(self._ALLOWED_CALLBACKS.get(inter.type, set()))
        if inter.type == MODAL_SUBMIT and inter.source_message_id is None:
            allowed -= {6, 7}
        if rtype not in allowed:
            raise invalid_form(
                [
                    limits.FieldError(
                        ("type",),
                        "INTERACTION_RESPONSE_TYPE_INVALID",
                        f"Value must be one of {sorted(allowed)}.",
                    )
                ],
                "invalid_callback_type",
            )
        data = body.get("data") or {}
        message: Message | None = None
        if rtype == 4:
            message = self._interaction_message(inter, data, req.uploads, prefix=("data",))
            inter.original_message_id = message.id
        elif rtype == 5:
            message = self._interaction_message(
                inter, data, req.uploads, loading=True, prefix=("data",)
            )
            inter.original_message_id = message.id
            inter.deferred_followup_pending = True
        elif rtype in (6, 7):
            source = self.messages.get(inter.source_message_id or 0)
            if source is None or source.deleted:
                raise ApiError(404, 10008, "Unknown Message")
            inter.original_message_id = source.id
            if rtype == 7:
                message = self._apply_edit(source, data, req.uploads, prefix=("data",))
        elif rtype == 8:
            errors = limits.check_choices(data)
            if errors:
                raise invalid_form(errors, "autocomplete_limits")
            inter.choices = list(data.get("choices") or [])
        elif rtype == 9:
            errors = limits.check_modal(data)
            if errors:
                raise invalid_form(errors, "modal_limits")
            inter.modal = copy.deepcopy(data)
        inter.response_type = int(rtype)
        inter.responded_at = req.at
        self._notify()
        if not _truthy(req.query.get("with_response")):
            return 204, None
        info: Json = {"id": str(inter.id), "type": inter.type}
        if inter.original_message_id is not None and rtype in (4, 5, 7):
            original = self.messages[inter.original_message_id]
            info["response_message_id"] = str(original.id)
            info["response_message_loading"] = original.loading
            info["response_message_ephemeral"] = original.ephemeral
        resource: Json = {"type": rtype}
        if message is not None and rtype in (4, 7):
            resource["message"] = message.data
        return 200, {"interaction": info, "resource": resource}

    def _webhook_interaction(self, req: Req, *, need_ack: bool = True) -> Interaction:
        inter = self._interactions_by_token.get(req.params["interaction_token"])
        if inter is None or req.params["application_id"] != str(self.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if inter.age() > self.token_ttl:
            raise ApiError(401, 50027, "Invalid Webhook Token", violation="expired_token")
        if need_ack and not inter.responded:
            if inter.age() > self.interaction_deadline:
                inter.expired = True
            raise ApiError(
                404, 10015, "Unknown Webhook", violation="webhook_before_initial_response"
            )
        return inter

    def _webhook_message(self, req: Req, inter: Interaction) -> Message:
        target = req.params.get("message_id")
        if target is None:  # @original
            mid = inter.original_message_id
        else:
            try:
                mid = int(target)
            except ValueError:
                raise ApiError(404, 10008, "Unknown Message") from None
            if mid != inter.original_message_id and mid not in inter.followup_ids:
                raise ApiError(404, 10008, "Unknown Message")
        msg = self.messages.get(mid or 0)
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _followup(self, req: Req) -> tuple[int, Any]:
        inter = self._webhook_interaction(req)
        body = req.body()
        original = self.messages.get(inter.original_message_id or 0)
        if inter.deferred_followup_pending and original is not None and original.loading:
            # docs: right after a DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE the first follow-up
            # edits the loading message; its ephemeral state is kept.
            inter.deferred_followup_pending = False
            edit = {k: v for k, v in body.items() if k != "flags"}
            msg = self._apply_edit(original, edit, req.uploads, clear_loading=True)
        else:
            msg = self._interaction_message(inter, body, req.uploads, followup=True)
            inter.followup_ids.append(msg.id)
        self._notify()
        if "wait" in req.query and not _truthy(req.query.get("wait")):
            return 204, None
        return 200, msg.data

    async def _webhook_get(self, req: Req) -> tuple[int, Any]:
        inter = self._webhook_interaction(req)
        return 200, self._webhook_message(req, inter).data

    async def _webhook_edit(self, req: Req) -> tuple[int, Any]:
        inter = self._webhook_interaction(req)
        msg = self._webhook_message(req, inter)
        if msg.id == inter.original_message_id:
            inter.deferred_followup_pending = False
        self._apply_edit(msg, req.body(), req.uploads, clear_loading=True)
        return 200, msg.data

    async def _webhook_delete(self, req: Req) -> tuple[int, Any]:
        inter = self._webhook_interaction(req)
        msg = self._webhook_message(req, inter)
        self._delete(msg)
        return 204, None

    # --- used by actors --------------------------------------------------------------------

    def _register_interaction(self, inter: Interaction) -> None:
        self.interactions[inter.id] = inter
        self._interactions_by_token[inter.token] = inter

    def _user_message(self, actor: Actor, channel: Channel, content: str) -> Message:
        body = {"content": content}
        return self._new_message(channel, body, [], author=actor.user)
