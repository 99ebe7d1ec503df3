"""Emulator state: users, guilds, channels, roles, members, messages, interactions.

Every ``payload()`` builds the JSON shape the Discord API v10 documents for that
object (``docs/resources/*`` and ``docs/topics/gateway-events`` in discord-api-docs),
with every field Discord sends, because discord.py reads some keys with ``data[...]``
and a missing one raises inside its gateway read loop.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Emulator

Json = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000

# --- permission bits (docs/topics/permissions) -------------------------------------
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | MANAGE_ROLES
    | SEND_MESSAGES_IN_THREADS
)
# app_permissions in DMs (receiving-and-responding: ATTACH_FILES | EMBED_LINKS |
# MENTION_EVERYONE, plus USE_EXTERNAL_EMOJIS in the bot's own DM) on top of the basics.
DM_APP_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | ATTACH_FILES
    | EMBED_LINKS
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
)

# app_permissions where the app is only user-installed (a server without the bot, a group
# DM, a DM between users): docs/interactions/receiving-and-responding, "app_permissions".
USER_INSTALL_APP_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE

# installation contexts (application integration types) and interaction contexts
GUILD_INSTALL, USER_INSTALL = 0, 1
CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL = 0, 1, 2

# message flags
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15

# interaction types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# channel types
GUILD_TEXT, DM, GUILD_VOICE, GROUP_DM, GUILD_CATEGORY = 0, 1, 2, 3, 4

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class SnowflakeFactory:
    """Real-looking snowflakes: ms since the Discord epoch << 22 | worker | increment."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._counter = itertools.count()

    def next(self, *, shard: tuple[int, int] | None = None) -> int:
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        while True:
            value = ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            if shard is None or (value >> 22) % shard[1] == shard[0]:
                self._last_ms = ms
                return value
            ms += 1


def iso(ts: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(time.time() if ts is None else ts, tz=dt.UTC)
    return moment.isoformat(timespec="microseconds")


def new_token(prefix: str = "aW50ZXJhY3Rpb246") -> str:
    """Interaction tokens are long opaque strings (discord.py's webhook regex wants 60+)."""
    return prefix + secrets.token_urlsafe(96)


# --- users ------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    locale: str = "en-US"
    dm_refusal_code: int | None = None  # 50007 / 50278 when DMs from the bot are refused
    app_installed: bool = False  # the user added the application to their account

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> Json:
        data: Json = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "collectibles": None,
            "display_name_styles": None,
            "banner": None,
            "accent_color": None,
            "clan": None,
            "primary_guild": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data

    def self_payload(self) -> Json:
        """``GET /users/@me`` and READY.user: the user object plus the private fields."""
        data = self.payload()
        data.update(
            {
                "flags": 0,
                "mfa_enabled": False,
                "locale": self.locale,
                "premium_type": 0,
                "email": None,
                "verified": True,
                "bio": "",
            }
        )
        return data


# --- guilds -------------------------------------------------------------------------


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    def payload(self) -> Json:
        data: Json = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str | None
    guild: Guild | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    recipient: User | None = None  # the bot's DM with this user
    last_message_id: int | None = None
    # private channels without the bot: a group DM, or a DM between two users
    participants: list[User] = field(default_factory=list)
    owner_id: int | None = None  # group DMs

    @property
    def context(self) -> int:
        """The interaction context of a command used here (0 guild, 1 bot DM, 2 private)."""
        if self.guild is not None:
            return CONTEXT_GUILD
        return CONTEXT_BOT_DM if self.recipient is not None else CONTEXT_PRIVATE_CHANNEL

    @property
    def guild_id(self) -> int | None:
        return self.guild.id if self.guild else None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> Json:
        if self.type == DM:
            people = [self.recipient] if self.recipient is not None else self.participants
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": _opt_id(self.last_message_id),
                "flags": 0,
                "recipients": [u.payload() for u in people],
            }
        if self.type == GROUP_DM:
            return {
                "id": str(self.id),
                "type": GROUP_DM,
                "name": self.name,
                "icon": None,
                "owner_id": _opt_id(self.owner_id),
                "last_message_id": _opt_id(self.last_message_id),
                "flags": 0,
                "recipients": [u.payload() for u in self.participants],
            }
        assert self.guild is not None
        data: Json = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "parent_id": _opt_id(self.parent_id),
            "nsfw": False,
            "flags": 0,
        }
        if self.type == GUILD_TEXT:
            data.update(
                {
                    "topic": self.topic,
                    "last_message_id": _opt_id(self.last_message_id),
                    "rate_limit_per_user": 0,
                    "last_pin_timestamp": None,
                    "icon_emoji": None,
                    "theme_color": None,
                }
            )
        elif self.type == GUILD_VOICE:
            data.update(
                {
                    "bitrate": 64000,
                    "user_limit": 0,
                    "rtc_region": None,
                    "last_message_id": _opt_id(self.last_message_id),
                    "rate_limit_per_user": 0,
                }
            )
        return data


@dataclass(eq=False)
class Member:
    user: User
    guild: Guild
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso)
    nick: str | None = None

    def permissions(self) -> int:
        if self.user.id == self.guild.owner_id:
            return ALL_PERMISSIONS
        perms = self.guild.everyone.permissions
        for role_id in self.roles:
            role = self.guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def payload(self, *, with_user: bool = True, with_permissions: bool = False) -> Json:
        data: Json = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "premium_since": None,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
            "avatar_decoration_data": None,
            "collectibles": None,
        }
        if with_user:
            data["user"] = self.user.payload()
            data["deaf"] = False
            data["mute"] = False
        if with_permissions:
            data["permissions"] = str(self.permissions())
        return data


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.type == GUILD_TEXT]

    def base_payload(self) -> Json:
        """The guild object (``GET /guilds/{id}``)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": list(self.features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
            "latest_onboarding_question_id": None,
            "home_header": None,
            "hub_type": None,
        }

    def create_payload(self, *, bot_id: int, all_members: bool) -> Json:
        """GUILD_CREATE: the guild object plus the gateway-only fields."""
        data = self.base_payload()
        members = [m for m in self.members.values() if all_members or m.user.id == bot_id]
        bot_member = self.members.get(bot_id)
        data.update(
            {
                "joined_at": bot_member.joined_at if bot_member else iso(self.created_at),
                "large": len(self.members) > 250,
                "unavailable": False,
                "member_count": len(self.members),
                "voice_states": [],
                "members": [m.payload() for m in members],
                "channels": [c.payload() for c in self.channels.values()],
                "threads": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "embedded_activities": [],
                "activity_instances": [],
                "lazy": True,
                "application_command_counts": {},
                "version": int(time.time() * 1000),
            }
        )
        return data

    def partial_for_interaction(self) -> Json:
        return {
            "id": str(self.id),
            "locale": self.preferred_locale,
            "features": list(self.features),
        }


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)


# --- messages -------------------------------------------------------------------------


@dataclass(eq=False)
class StoredFile:
    filename: str
    data: bytes
    content_type: str


class Message:
    """A message the emulator stores, with every version it had.

    Tests read ``content``, ``embeds``, ``components``, ``flags``, ``ephemeral``,
    ``attachments`` (the latest version) and wait for changes with :meth:`wait_edit`.
    """

    def __init__(
        self,
        emu: Emulator,
        data: Json,
        *,
        channel: Channel,
        interaction_id: int | None = None,
        files: dict[int, StoredFile] | None = None,
    ) -> None:
        self._emu = emu
        self.id = int(data["id"])
        self.channel = channel
        self.interaction_id = interaction_id
        self.versions: list[Json] = [copy.deepcopy(data)]
        self.deleted = False
        self.files: dict[int, StoredFile] = files or {}
        self.created_wall = time.time()

    def __repr__(self) -> str:
        return f"<EmuMessage id={self.id} channel={self.channel.id} content={self.content[:40]!r}>"

    @property
    def data(self) -> Json:
        return self.versions[-1]

    @property
    def channel_id(self) -> int:
        return self.channel.id

    @property
    def author_id(self) -> int:
        return int(self.data["author"]["id"])

    @property
    def content(self) -> str:
        return str(self.data.get("content", ""))

    @property
    def embeds(self) -> list[Json]:
        return list(self.data.get("embeds", []))

    @property
    def components(self) -> list[Json]:
        return list(self.data.get("components", []))

    @property
    def flags(self) -> int:
        return int(self.data.get("flags", 0))

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def attachments(self) -> list[Json]:
        return list(self.data.get("attachments", []))

    @property
    def edit_count(self) -> int:
        return len(self.versions) - 1

    def attachment_bytes(self, filename: str) -> bytes:
        for att in self.attachments:
            if att["filename"] == filename:
                return self.files[int(att["id"])].data
        raise KeyError(filename)

    def iter_components(self) -> list[Json]:
        """Every component, depth first (action rows, buttons, selects, v2 layouts)."""
        return list(walk_components(self.components))

    def buttons(self) -> list[Json]:
        return [c for c in self.iter_components() if c.get("type") == 2]

    def find_component(self, key: str) -> Json:
        """A component by custom_id, then by label (buttons) or placeholder (selects)."""
        comps = self.iter_components()
        for comp in comps:
            if comp.get("custom_id") == key:
                return comp
        for comp in comps:
            if comp.get("label") == key or comp.get("placeholder") == key:
                return comp
        known = [(c.get("label"), c.get("custom_id")) for c in comps if "custom_id" in c]
        raise LookupError(f"no component {key!r} on message {self.id}; has {known}")

    def _push(self, data: Json) -> None:
        self.versions.append(copy.deepcopy(data))

    async def wait_edit(
        self,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 5.0,
        after_version: int | None = None,
    ) -> Message:
        """Wait until the message is edited (past ``after_version``, default the current
        one) and, if given, ``predicate(message)`` holds."""
        start = self.edit_count if after_version is None else after_version

        def done() -> bool:
            return self.edit_count > start and (predicate is None or predicate(self))

        await self._emu.wait_until(done, timeout=timeout, what=f"an edit of message {self.id}")
        return self

    async def wait_until(
        self, predicate: Callable[[Message], bool], *, timeout: float = 5.0
    ) -> Message:
        """Wait until ``predicate(message)`` holds (possibly already)."""
        await self._emu.wait_until(
            lambda: predicate(self), timeout=timeout, what=f"a state of message {self.id}"
        )
        return self

    async def wait_deleted(self, *, timeout: float = 5.0) -> None:
        await self._emu.wait_until(
            lambda: self.deleted, timeout=timeout, what=f"deletion of message {self.id}"
        )


def walk_components(components: list[Json]) -> Any:
    for comp in components:
        yield comp
        for key in ("components",):
            children = comp.get(key)
            if isinstance(children, list):
                yield from walk_components(children)
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


# --- interactions ----------------------------------------------------------------------


@dataclass(eq=False)
class CallbackAttempt:
    at: float
    type: int | None
    status: int
    code: int | None


@dataclass(eq=False)
class Interaction:
    id: int
    token: str
    type: int
    user: User
    channel: Channel
    guild: Guild | None
    payload: Json
    created_at: float  # loop.time()
    shard_id: int
    command_name: str | None = None
    source_message_id: int | None = None  # the message a component/modal came from
    response_type: int | None = None
    responded_at: float | None = None
    expired: bool = False
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: Json | None = None
    choices: list[Json] | None = None
    callback_attempts: list[CallbackAttempt] = field(default_factory=list)
    deferred_followup_pending: bool = False  # first follow-up after type 5 edits @original

    @property
    def responded(self) -> bool:
        return self.response_type is not None

    def age(self) -> float:
        return asyncio.get_running_loop().time() - self.created_at
