"""Field names and types of the payloads the emulator sends, as the Discord API docs
(github.com/discord/discord-api-docs) define them.

``check(payload, SCHEMA)`` returns a list of problems (missing required field, wrong
type); extra fields are allowed, as Discord adds undocumented ones.  Keys ending in
``?`` are optional; ``Nullable(t)`` allows ``null``.

Sources: docs/resources/user ("User Object"), docs/resources/guild ("Guild Object",
"Guild Member Object", "Unavailable Guild Object"), docs/topics/permissions ("Role
Object"), docs/resources/channel ("Channel Object"), docs/resources/message ("Message
Object"), docs/events/gateway-events ("Ready", "Guild Create", "Hello"),
docs/interactions/receiving-and-responding ("Interaction Object", its data
structures, "Interaction Callback Response Object").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


@dataclass(frozen=True)
class Nullable:
    inner: Any


@dataclass(frozen=True)
class ListOf:
    inner: Any


@dataclass(frozen=True)
class OneOf:
    options: tuple[Any, ...]


class _Kind:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SNOWFLAKE = _Kind("snowflake")
ISO8601 = _Kind("ISO8601 timestamp")
ANY = _Kind("any")


def _type_ok(value: Any, kind: Any) -> bool:
    if kind is ANY:
        return True
    if kind is SNOWFLAKE:
        return isinstance(value, str) and value.isdigit()
    if kind is ISO8601:
        if not isinstance(value, str):
            return False
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if kind is list:
        return isinstance(value, list)
    if kind is dict:
        return isinstance(value, dict)
    raise TypeError(f"unknown kind {kind!r}")


def check(value: Any, spec: Any, path: str = "$") -> list[str]:
    """Problems with ``value`` against ``spec`` (a schema dict, a kind or a wrapper)."""
    if isinstance(spec, Nullable):
        return [] if value is None else check(value, spec.inner, path)
    if value is None:
        return [f"{path}: null is not allowed"]
    if isinstance(spec, OneOf):
        for option in spec.options:
            if not check(value, option, path):
                return []
        return [f"{path}: {value!r} matches none of {spec.options}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: expected array, got {type(value).__name__}"]
        problems: list[str] = []
        for i, item in enumerate(value):
            problems += check(item, spec.inner, f"{path}[{i}]")
        return problems
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        problems = []
        for key, sub in spec.items():
            optional = key.endswith("?")
            name = key.rstrip("?")
            if name not in value:
                if not optional:
                    problems.append(f"{path}.{name}: missing")
                continue
            problems += check(value[name], sub, f"{path}.{name}")
        return problems
    if not _type_ok(value, spec):
        return [f"{path}: expected {getattr(spec, '__name__', spec)!s}, got {value!r}"]
    return []


USER: Schema = {
    "id": SNOWFLAKE,
    "username": str,
    "discriminator": str,
    "global_name": Nullable(str),
    "avatar": Nullable(str),
    "bot?": bool,
    "system?": bool,
    "mfa_enabled?": bool,
    "banner?": Nullable(str),
    "accent_color?": Nullable(int),
    "locale?": str,
    "verified?": bool,
    "email?": Nullable(str),
    "flags?": int,
    "premium_type?": int,
    "public_flags?": int,
    "avatar_decoration_data?": Nullable(dict),
    "collectibles?": Nullable(dict),
    "primary_guild?": Nullable(dict),
}

ROLE: Schema = {
    "id": SNOWFLAKE,
    "name": str,
    "color": int,
    "colors?": {
        "primary_color": int,
        "secondary_color": Nullable(int),
        "tertiary_color": Nullable(int),
    },
    "hoist": bool,
    "icon?": Nullable(str),
    "unicode_emoji?": Nullable(str),
    "position": int,
    "permissions": str,
    "managed": bool,
    "mentionable": bool,
    "tags?": dict,
    "flags": int,
}

CHANNEL: Schema = {
    "id": SNOWFLAKE,
    "type": int,
    "guild_id?": SNOWFLAKE,
    "position?": int,
    "permission_overwrites?": list,
    "name?": Nullable(str),
    "topic?": Nullable(str),
    "nsfw?": bool,
    "last_message_id?": Nullable(SNOWFLAKE),
    "rate_limit_per_user?": int,
    "recipients?": ListOf(USER),
    "parent_id?": Nullable(SNOWFLAKE),
    "last_pin_timestamp?": Nullable(ISO8601),
    "permissions?": str,
    "flags?": int,
}

GUILD_MEMBER: Schema = {
    "user?": USER,
    "nick?": Nullable(str),
    "avatar?": Nullable(str),
    "banner?": Nullable(str),
    "roles": ListOf(SNOWFLAKE),
    "joined_at": Nullable(ISO8601),
    "premium_since?": Nullable(ISO8601),
    "deaf": bool,
    "mute": bool,
    "flags": int,
    "pending?": bool,
    "permissions?": str,
    "communication_disabled_until?": Nullable(ISO8601),
    "avatar_decoration_data?": Nullable(dict),
}

UNAVAILABLE_GUILD: Schema = {"id": SNOWFLAKE, "unavailable": bool}

GUILD: Schema = {
    "id": SNOWFLAKE,
    "name": str,
    "icon": Nullable(str),
    "icon_hash?": Nullable(str),
    "splash": Nullable(str),
    "discovery_splash": Nullable(str),
    "owner?": bool,
    "owner_id": SNOWFLAKE,
    "permissions?": str,
    "region?": Nullable(str),
    "afk_channel_id": Nullable(SNOWFLAKE),
    "afk_timeout": int,
    "widget_enabled?": bool,
    "widget_channel_id?": Nullable(SNOWFLAKE),
    "verification_level": int,
    "default_message_notifications": int,
    "explicit_content_filter": int,
    "roles": ListOf(ROLE),
    "emojis": list,
    "features": ListOf(str),
    "mfa_level": int,
    "application_id": Nullable(SNOWFLAKE),
    "system_channel_id": Nullable(SNOWFLAKE),
    "system_channel_flags": int,
    "rules_channel_id": Nullable(SNOWFLAKE),
    "max_presences?": Nullable(int),
    "max_members?": int,
    "vanity_url_code": Nullable(str),
    "description": Nullable(str),
    "banner": Nullable(str),
    "premium_tier": int,
    "premium_subscription_count?": int,
    "preferred_locale": str,
    "public_updates_channel_id": Nullable(SNOWFLAKE),
    "max_video_channel_users?": int,
    "max_stage_video_channel_users?": int,
    "approximate_member_count?": int,
    "approximate_presence_count?": int,
    "welcome_screen?": dict,
    "nsfw_level": int,
    "stickers?": list,
    "premium_progress_bar_enabled": bool,
    "safety_alerts_channel_id": Nullable(SNOWFLAKE),
    "incidents_data?": Nullable(dict),
}

GUILD_CREATE: Schema = {
    **GUILD,
    "joined_at": ISO8601,
    "large": bool,
    "unavailable?": bool,
    "member_count": int,
    "voice_states": list,
    "members": ListOf(GUILD_MEMBER),
    "channels": ListOf(CHANNEL),
    "threads": list,
    "presences": list,
    "stage_instances": list,
    "guild_scheduled_events": list,
    "soundboard_sounds": list,
}

READY: Schema = {
    "v": int,
    "user": USER,
    "guilds": ListOf(UNAVAILABLE_GUILD),
    "session_id": str,
    "resume_gateway_url": str,
    "shard?": ListOf(int),
    "application": {"id": SNOWFLAKE, "flags": int},
}

HELLO: Schema = {"heartbeat_interval": int}

ATTACHMENT: Schema = {
    "id": SNOWFLAKE,
    "filename": str,
    "title?": str,
    "description?": str,
    "content_type?": str,
    "size": int,
    "url": str,
    "proxy_url": str,
    "height?": Nullable(int),
    "width?": Nullable(int),
    "ephemeral?": bool,
    "flags?": int,
}

MESSAGE: Schema = {
    "id": SNOWFLAKE,
    "channel_id": SNOWFLAKE,
    "author": USER,
    "content": str,
    "timestamp": ISO8601,
    "edited_timestamp": Nullable(ISO8601),
    "tts": bool,
    "mention_everyone": bool,
    "mentions": ListOf(USER),
    "mention_roles": ListOf(SNOWFLAKE),
    "mention_channels?": list,
    "attachments": ListOf(ATTACHMENT),
    "embeds": ListOf(dict),
    "reactions?": list,
    "nonce?": OneOf((int, str)),
    "pinned": bool,
    "webhook_id?": SNOWFLAKE,
    "type": int,
    "activity?": dict,
    "application?": dict,
    "application_id?": SNOWFLAKE,
    "flags?": int,
    "message_reference?": {
        "type?": int,
        "message_id?": SNOWFLAKE,
        "channel_id?": SNOWFLAKE,
        "guild_id?": SNOWFLAKE,
    },
    "message_snapshots?": list,
    "referenced_message?": Nullable(dict),
    "interaction_metadata?": {
        "id": SNOWFLAKE,
        "type": int,
        "user": USER,
        "authorizing_integration_owners": dict,
        "original_response_message_id?": SNOWFLAKE,
        "target_user?": USER,
        "target_message_id?": SNOWFLAKE,
        "interacted_message_id?": SNOWFLAKE,
        "triggering_interaction_metadata?": dict,
    },
    "interaction?": {"id": SNOWFLAKE, "type": int, "name": str, "user": USER, "member?": dict},
    "thread?": dict,
    "components?": ListOf({"type": int, "id?": int}),
    "sticker_items?": list,
    "stickers?": list,
    "position?": int,
    "role_subscription_data?": dict,
    "resolved?": dict,
    "poll?": dict,
    "call?": dict,
}

PARTIAL_INTERACTION_GUILD: Schema = {"id": SNOWFLAKE, "locale": str, "features": ListOf(str)}

_INTERACTION_BASE: Schema = {
    "id": SNOWFLAKE,
    "application_id": SNOWFLAKE,
    "type": int,
    "guild?": PARTIAL_INTERACTION_GUILD,
    "guild_id?": SNOWFLAKE,
    "channel?": CHANNEL,
    "channel_id?": SNOWFLAKE,
    "member?": {**GUILD_MEMBER, "user": USER, "permissions": str},
    "user?": USER,
    "token": str,
    "version": int,
    "message?": MESSAGE,
    "app_permissions": str,
    "locale?": str,
    "guild_locale?": str,
    "entitlements": list,
    "authorizing_integration_owners": dict,
    "context?": int,
    "attachment_size_limit": int,
}

COMMAND_OPTION: Schema = {
    "name": str,
    "type": int,
    "value?": OneOf((str, int, float, bool)),
    "options?": list,
    "focused?": bool,
}

RESOLVED: Schema = {
    "users?": dict,
    "members?": dict,
    "roles?": dict,
    "channels?": dict,
    "messages?": dict,
    "attachments?": dict,
}

APPLICATION_COMMAND_DATA: Schema = {
    "id": SNOWFLAKE,
    "name": str,
    "type": int,
    "resolved?": RESOLVED,
    "options?": ListOf(COMMAND_OPTION),
    "guild_id?": SNOWFLAKE,
    "target_id?": SNOWFLAKE,
}

MESSAGE_COMPONENT_DATA: Schema = {
    "custom_id": str,
    "component_type": int,
    "values?": ListOf(str),
    "resolved?": RESOLVED,
}

MODAL_SUBMIT_DATA: Schema = {
    "custom_id": str,
    "components": ListOf({"type": int}),
    "resolved?": RESOLVED,
}

INTERACTION_APPLICATION_COMMAND: Schema = {**_INTERACTION_BASE, "data": APPLICATION_COMMAND_DATA}
INTERACTION_AUTOCOMPLETE: Schema = {**_INTERACTION_BASE, "data": APPLICATION_COMMAND_DATA}
INTERACTION_MESSAGE_COMPONENT: Schema = {
    **_INTERACTION_BASE,
    "data": MESSAGE_COMPONENT_DATA,
    "message": MESSAGE,
}
INTERACTION_MODAL_SUBMIT: Schema = {**_INTERACTION_BASE, "data": MODAL_SUBMIT_DATA}

INTERACTION_CALLBACK_RESPONSE: Schema = {
    "interaction": {
        "id": SNOWFLAKE,
        "type": int,
        "activity_instance_id?": str,
        "response_message_id?": SNOWFLAKE,
        "response_message_loading?": bool,
        "response_message_ephemeral?": bool,
    },
    "resource?": {"type": int, "activity_instance?": {"id": str}, "message?": MESSAGE},
}

APPLICATION_COMMAND: Schema = {
    "id": SNOWFLAKE,
    "type?": int,
    "application_id": SNOWFLAKE,
    "guild_id?": SNOWFLAKE,
    "name": str,
    "name_localizations?": Nullable(dict),
    "description": str,
    "description_localizations?": Nullable(dict),
    "options?": list,
    "default_member_permissions": Nullable(str),
    "dm_permission?": bool,
    "nsfw?": bool,
    "integration_types?": ListOf(int),
    "contexts?": Nullable(ListOf(int)),
    "version": SNOWFLAKE,
}

RATE_LIMIT_BODY: Schema = {"message": str, "retry_after": float, "global": bool, "code?": int}
ERROR_BODY: Schema = {"message": str, "code": int, "errors?": dict}
