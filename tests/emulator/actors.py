"""Users acting on the bot: slash commands, clicks, selects, modals, autocomplete, DMs.

Every action builds a complete INTERACTION_CREATE payload (docs/interactions/
receiving-and-responding "Interaction Object"), dispatches it on the shard that owns
the guild (DMs: shard 0) and returns an :class:`InteractionHandle` from which a test
reads the bot's reply.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .model import (
    ADMINISTRATOR,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    CONTEXT_BOT_DM,
    CONTEXT_GUILD,
    GUILD_INSTALL,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    USER_INSTALL,
    USER_INSTALL_APP_PERMISSIONS,
    CallbackAttempt,
    Channel,
    Guild,
    Interaction,
    Json,
    Member,
    Message,
    Role,
    StoredFile,
    User,
    new_token,
)

if TYPE_CHECKING:
    from .server import Emulator


class InteractionFailed(AssertionError):
    """The interaction got no successful initial response in time ("This interaction failed")."""


class CommandUnavailable(LookupError):
    """Discord would not offer this command to this user here."""


class InteractionHandle:
    """What a user sees of one interaction: the bot's initial response, follow-ups and edits."""

    def __init__(self, emu: Emulator, interaction: Interaction) -> None:
        self.emu = emu
        self.interaction = interaction

    def __repr__(self) -> str:
        i = self.interaction
        return f"<InteractionHandle id={i.id} type={i.type} response={i.response_type}>"

    @property
    def id(self) -> int:
        return self.interaction.id

    @property
    def payload(self) -> Json:
        return self.interaction.payload

    @property
    def response_type(self) -> int | None:
        return self.interaction.response_type

    @property
    def responded(self) -> bool:
        return self.interaction.responded

    @property
    def callback_attempts(self) -> list[CallbackAttempt]:
        return self.interaction.callback_attempts

    @property
    def modal(self) -> Json | None:
        return self.interaction.modal

    @property
    def choices(self) -> list[Json] | None:
        return self.interaction.choices

    @property
    def message(self) -> Message:
        """The original response message (for a component deferred/updated: the clicked one)."""
        mid = self.interaction.original_message_id
        if mid is None:
            raise LookupError(
                f"interaction {self.id} has no response message (type {self.response_type})"
            )
        return self.emu.messages[mid]

    @property
    def followups(self) -> list[Message]:
        return [self.emu.messages[m] for m in self.interaction.followup_ids]

    # shortcuts to the original response message
    @property
    def content(self) -> str:
        return self.message.content

    @property
    def embeds(self) -> list[Json]:
        return self.message.embeds

    @property
    def components(self) -> list[Json]:
        return self.message.components

    @property
    def flags(self) -> int:
        return self.message.flags

    @property
    def ephemeral(self) -> bool:
        return self.message.ephemeral

    @property
    def attachments(self) -> list[Json]:
        return self.message.attachments

    async def wait_response(self, timeout: float = 5.0) -> InteractionHandle:
        """Wait for a successful initial response; fail as Discord's client would."""
        inter = self.interaction
        grace = 0.25

        def settled() -> bool:
            return inter.responded or inter.age() > self.emu.interaction_deadline + grace

        await self.emu.wait_until(
            settled, timeout=timeout, what=f"a response to interaction {self.id}"
        )
        if not inter.responded:
            attempts = [(a.type, a.status, a.code) for a in inter.callback_attempts]
            raise InteractionFailed(
                f"interaction {self.id} got no initial response within "
                f"{self.emu.interaction_deadline}s (callback attempts: {attempts})"
            )
        return self

    async def wait_callback_attempt(self, timeout: float = 5.0) -> CallbackAttempt:
        """Wait for the bot's first callback request, successful or not."""
        await self.emu.wait_until(
            lambda: self.interaction.callback_attempts,
            timeout=timeout,
            what=f"a callback for interaction {self.id}",
        )
        return self.interaction.callback_attempts[0]

    async def wait_original(
        self, predicate: Callable[[Message], bool] | None = None, *, timeout: float = 5.0
    ) -> Message:
        """Wait until the original response exists, is not loading (unless the predicate
        says otherwise) and satisfies ``predicate``."""

        def ready() -> Message | None:
            mid = self.interaction.original_message_id
            if mid is None:
                return None
            msg = self.emu.messages[mid]
            ok = predicate(msg) if predicate is not None else not msg.loading
            return msg if ok else None

        found = await self.emu.wait_until(ready, timeout=timeout, what=f"the response to {self.id}")
        assert isinstance(found, Message)
        return found

    async def wait_followup(
        self, predicate: Callable[[Message], bool] | None = None, *, timeout: float = 5.0
    ) -> Message:
        """Wait for a follow-up message (``predicate`` filters)."""

        def find() -> Message | None:
            for msg in self.followups:
                if predicate is None or predicate(msg):
                    return msg
            return None

        found = await self.emu.wait_until(find, timeout=timeout, what=f"a follow-up to {self.id}")
        assert isinstance(found, Message)
        return found


MessageRef = Message | InteractionHandle | int


class Actor:
    """A user in a guild who uses the bot (``emu.member("alice")``)."""

    def __init__(self, emu: Emulator, user: User, guild: Guild) -> None:
        self.emu = emu
        self.user = user
        self.guild = guild

    def __repr__(self) -> str:
        return f"<Actor {self.user.username} in {self.guild.name}>"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def member(self) -> Member:
        return self.guild.members[self.user.id]

    @property
    def dm_channel(self) -> Channel:
        return self.emu.dm_channel(self.user)

    def close_dms(self, code: int = 50007) -> None:
        self.emu.refuse_dms(self.user, code)

    def open_dms(self) -> None:
        self.emu.allow_dms(self.user)

    # --- payload building -----------------------------------------------------------------

    def _channel_partial(self, channel: Channel) -> Json:
        data = channel.payload()
        if channel.guild is not None:
            data["permissions"] = str(channel.guild.members[self.user.id].permissions())
        return data

    def install_app(self) -> None:
        """Add the application to this user's account (a user install)."""
        self.emu.install_app(self.user)

    def uninstall_app(self) -> None:
        self.emu.uninstall_app(self.user)

    def _install_owners(self, channel: Channel, integration_types: Iterable[int]) -> Json:
        """``authorizing_integration_owners``: the installs that let this user use a command
        of these ``integration_types`` here (guild install: the guild id, or "0" in the bot's
        DM; user install: the user's id)."""
        types = set(integration_types)
        owners: Json = {}
        if GUILD_INSTALL in types:
            if channel.guild is not None and self.emu.bot_in(channel.guild):
                owners[str(GUILD_INSTALL)] = str(channel.guild.id)
            elif channel.context == CONTEXT_BOT_DM:
                owners[str(GUILD_INSTALL)] = "0"
        if USER_INSTALL in types and self.user.app_installed:
            owners[str(USER_INSTALL)] = str(self.user.id)
        return owners

    def _source_owners(self, source: Message | None, channel: Channel) -> Json:
        """A component's interaction is authorized like the interaction that sent its
        message; a message the bot posted itself: by the guild install."""
        meta = source.data.get("interaction_metadata") if source is not None else None
        if isinstance(meta, dict) and meta.get("authorizing_integration_owners"):
            return dict(meta["authorizing_integration_owners"])
        return self._install_owners(channel, (GUILD_INSTALL,))

    def _payload(
        self, itype: int, channel: Channel, data: Json, *, message: Message | None, owners: Json
    ) -> Json:
        emu = self.emu
        # where the bot is not (only a user install), the app gets the user-install set
        app_permissions = (
            emu.bot_permissions_in(channel)
            if emu.bot_can_see(channel)
            else USER_INSTALL_APP_PERMISSIONS
        )
        payload: Json = {
            "id": str(emu.snowflakes.next()),
            "application_id": str(emu.application_id),
            "type": itype,
            "data": data,
            "token": new_token(),
            "version": 1,
            "app_permissions": str(app_permissions),
            "locale": self.user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": emu.attachment_size_limit,
            "channel_id": str(channel.id),
            "channel": self._channel_partial(channel),
        }
        guild = channel.guild
        if guild is not None:
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": guild.partial_for_interaction(),
                    "guild_locale": guild.preferred_locale,
                    "member": guild.members[self.user.id].payload(with_permissions=True),
                    "authorizing_integration_owners": owners,
                    "context": CONTEXT_GUILD,
                }
            )
        else:
            payload.update(
                {
                    "user": self.user.payload(),
                    "authorizing_integration_owners": owners,
                    "context": channel.context,
                }
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message.data)
        return payload

    async def _fire(
        self,
        itype: int,
        channel: Channel,
        data: Json,
        *,
        command_name: str | None = None,
        source: Message | None = None,
        owners: Json | None = None,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionHandle:
        emu = self.emu
        self._check_in_channel(channel)
        if owners is None:
            owners = self._source_owners(source, channel)
        if not owners:
            raise CommandUnavailable(
                f"the app is not installed where {self.user.username} acts "
                f"(channel {channel.id}, context {channel.context})"
            )
        payload = self._payload(itype, channel, data, message=source, owners=owners)
        guild_id = channel.guild.id if channel.guild else None
        inter = Interaction(
            id=int(payload["id"]),
            token=payload["token"],
            type=itype,
            user=self.user,
            channel=channel,
            guild=channel.guild,
            payload=payload,
            created_at=asyncio.get_running_loop().time(),
            shard_id=emu.gateway.shard_for(guild_id),
            command_name=command_name,
            source_message_id=source.id if source else None,
        )
        emu._register_interaction(inter)
        if emu.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id) is None:
            raise RuntimeError(
                f"no gateway session on shard {inter.shard_id}: is the bot connected? "
                "(Discord would show 'This interaction failed')"
            )
        handle = InteractionHandle(emu, inter)
        if wait:
            await handle.wait_response(timeout)
        return handle

    def _check_in_channel(self, channel: Channel) -> None:
        if channel.guild is not None:
            if self.user.id not in channel.guild.members:
                raise CommandUnavailable(
                    f"{self.user.username} is not a member of {channel.guild.name}"
                )
        elif channel.recipient is not None:
            if channel.recipient.id != self.user.id:
                raise CommandUnavailable(
                    f"{self.user.username} cannot act in {channel.recipient.username}'s DM"
                )
        elif self.user not in channel.participants:
            raise CommandUnavailable(f"{self.user.username} is not in private channel {channel.id}")

    # --- application commands -----------------------------------------------------------

    def _find_command(
        self, name: str, cmd_type: int, channel: Channel
    ) -> tuple[Json, int | None, Json]:
        """The command Discord would offer here, its guild (guild commands) and the
        ``authorizing_integration_owners`` of using it; ``CommandUnavailable`` if none."""
        emu = self.emu
        guild = channel.guild
        if guild is not None:
            cmd = emu.commands.get(guild.id, {}).get((cmd_type, name))
            if cmd is not None:  # guild commands exist only where the app is installed
                return cmd, guild.id, {str(GUILD_INSTALL): str(guild.id)}
        cmd = emu.commands.get(None, {}).get((cmd_type, name))
        if cmd is None:
            scopes = {
                ("global" if gid is None else gid): sorted(n for (_, n) in cmds)
                for gid, cmds in emu.commands.items()
            }
            raise CommandUnavailable(
                f"command {name!r} (type {cmd_type}) was never synced here; synced: {scopes}"
            )
        contexts = cmd.get("contexts")
        context = channel.context
        if contexts is not None and context not in contexts:
            raise CommandUnavailable(
                f"/{name} is not available in context {context} (contexts={contexts})"
            )
        if contexts is None and context != CONTEXT_GUILD and not cmd.get("dm_permission", True):
            raise CommandUnavailable(f"/{name} has dm_permission=false")
        types = cmd.get("integration_types") or [GUILD_INSTALL]
        owners = self._install_owners(channel, types)
        if not owners:
            where = (
                f"{guild.name} (bot in it: {emu.bot_in(guild)})"
                if guild is not None
                else f"channel {channel.id} (context {context})"
            )
            raise CommandUnavailable(
                f"/{name} (integration_types={types}) is not installed for "
                f"{self.user.username} in {where}; user install: {self.user.app_installed}"
            )
        return cmd, None, owners

    def _check_member_permissions(self, cmd: Json, channel: Channel) -> None:
        required = cmd.get("default_member_permissions")
        if channel.guild is None or required is None:
            return
        need = int(required)
        have = channel.guild.members[self.user.id].permissions()
        if have & ADMINISTRATOR:
            return
        if need == 0 or have & need != need:
            raise CommandUnavailable(
                f"Discord hides /{cmd['name']} from {self.user.username}: "
                f"needs permissions {need}, has {have}"
            )

    def _convert(
        self,
        spec: Json,
        value: Any,
        resolved: dict[str, dict[str, Json]],
        channel: Channel,
        *,
        focused: bool,
    ) -> Any:
        otype = spec["type"]
        name = spec["name"]
        if focused:
            return str(value)
        if otype == 3:
            value = str(value)
            if spec.get("min_length") is not None and len(value) < spec["min_length"]:
                raise ValueError(f"option {name}: shorter than min_length")
            if spec.get("max_length") is not None and len(value) > spec["max_length"]:
                raise ValueError(f"option {name}: longer than max_length")
        elif otype == 4:
            value = int(value)
        elif otype == 10:
            value = float(value)
        elif otype == 5:
            value = bool(value)
        elif otype in (6, 9) and isinstance(value, Actor | User):
            user = value.user if isinstance(value, Actor) else value
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            guild = channel.guild
            if guild is not None and user.id in guild.members:
                member = guild.members[user.id].payload(with_user=False, with_permissions=True)
                resolved.setdefault("members", {})[str(user.id)] = member
            value = str(user.id)
        elif otype in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            value = str(value.id)
        elif otype == 7 and isinstance(value, Channel):
            partial = value.payload()
            viewer = value.guild.members.get(self.user.id) if value.guild is not None else None
            if viewer is not None:
                partial["permissions"] = str(viewer.permissions())
            resolved.setdefault("channels", {})[str(value.id)] = partial
            value = str(value.id)
        elif otype == 11:
            filename, data = value if isinstance(value, tuple) else ("file.bin", value)
            aid = self.emu.snowflakes.next()
            url = f"{self.emu.base_url}/attachments/{channel.id}/{aid}/{filename}"
            resolved.setdefault("attachments", {})[str(aid)] = {
                "id": str(aid),
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
                "ephemeral": True,
            }
            self.emu._uploads_by_id[aid] = StoredFile(
                filename, bytes(data), "application/octet-stream"
            )
            value = str(aid)
        elif otype in (6, 7, 8, 9):
            value = str(value)
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {name}: {value!r} is not one of the choices {choices}")
        for bound, op in (("min_value", min), ("max_value", max)):
            limit = spec.get(bound)
            if limit is not None and isinstance(value, int | float) and op(value, limit) != limit:
                raise ValueError(f"option {name}: {value} violates {bound}={limit}")
        return value

    def _options(
        self,
        cmd: Json,
        path: tuple[str, ...],
        values: Mapping[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> tuple[list[Json], dict[str, dict[str, Json]]]:
        resolved: dict[str, dict[str, Json]] = {}
        specs: list[Json] = list(cmd.get("options") or [])
        chain: list[Json] = []
        for part in path:
            spec = next((o for o in specs if o["name"] == part and o["type"] in (1, 2)), None)
            if spec is None:
                raise CommandUnavailable(f"/{cmd['name']} has no subcommand {part!r}")
            chain.append(spec)
            specs = list(spec.get("options") or [])
        if any(o["type"] in (1, 2) for o in specs):
            names = [o["name"] for o in specs]
            raise CommandUnavailable(f"/{cmd['name']} {' '.join(path)} needs a subcommand: {names}")
        leaf: list[Json] = []
        by_name = {o["name"]: o for o in specs}
        for key, value in values.items():
            spec = by_name.get(key)
            if spec is None:
                raise ValueError(f"/{cmd['name']} has no option {key!r}; options: {list(by_name)}")
            is_focused = key == focused
            opt: Json = {
                "name": key,
                "type": spec["type"],
                "value": self._convert(spec, value, resolved, channel, focused=is_focused),
            }
            if is_focused:
                opt["focused"] = True
            leaf.append(opt)
        if focused is None:
            missing = [o["name"] for o in specs if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(f"/{cmd['name']}: required options missing: {missing}")
        elif focused not in values:
            raise ValueError(f"focused option {focused!r} needs a (partial) value")
        options = leaf
        for spec in reversed(chain):
            options = [{"name": spec["name"], "type": spec["type"], "options": options}]
        return options, resolved

    def _command_data(
        self,
        name: str,
        path: tuple[str, ...],
        values: Mapping[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> tuple[Json, Json]:
        """The interaction's ``data`` and its ``authorizing_integration_owners``."""
        self._check_in_channel(channel)
        cmd, guild_id, owners = self._find_command(name, 1, channel)
        self._check_member_permissions(cmd, channel)
        options, resolved = self._options(cmd, path, values, channel, focused=focused)
        data: Json = {"id": cmd["id"], "name": name, "type": 1}
        if options:
            data["options"] = options
        if resolved:
            data["resolved"] = resolved
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data, owners

    async def slash(
        self,
        name: str,
        /,
        *path: str,
        channel: Channel | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        **options: Any,
    ) -> InteractionHandle:
        """Run ``/name [group] [subcommand] option=value…`` in ``channel`` (default: the
        guild's first text channel; also a channel of a server the bot is not in, or an
        :meth:`Emulator.private_channel`).  Waits for the initial response unless
        ``wait=False``."""
        channel = channel or self.guild.text_channels()[0]
        data, owners = self._command_data(name, path, options, channel)
        full = " ".join((name, *path))
        return await self._fire(
            APPLICATION_COMMAND,
            channel,
            data,
            command_name=full,
            owners=owners,
            wait=wait,
            timeout=timeout,
        )

    async def dm_slash(
        self, name: str, /, *path: str, wait: bool = True, timeout: float = 5.0, **options: Any
    ) -> InteractionHandle:
        """Run a (global) slash command in this user's DM with the bot."""
        channel = self.emu.dm_channel(self.user)
        data, owners = self._command_data(name, path, options, channel)
        full = " ".join((name, *path))
        return await self._fire(
            APPLICATION_COMMAND,
            channel,
            data,
            command_name=full,
            owners=owners,
            wait=wait,
            timeout=timeout,
        )

    async def autocomplete(
        self,
        name: str,
        /,
        *path: str,
        focused: str,
        channel: Channel | None = None,
        timeout: float = 5.0,
        **options: Any,
    ) -> list[Json]:
        """Type into option ``focused`` of ``/name``; returns the choices the bot offers."""
        channel = channel or self.guild.text_channels()[0]
        data, owners = self._command_data(name, path, options, channel, focused=focused)
        handle = await self._fire(
            AUTOCOMPLETE,
            channel,
            data,
            command_name=" ".join((name, *path)),
            owners=owners,
            timeout=timeout,
        )
        return list(handle.choices or [])

    async def _context_command(
        self,
        name: str,
        cmd_type: int,
        target_id: int,
        resolved: Json,
        channel: Channel,
        wait: bool,
        timeout: float,
    ) -> InteractionHandle:
        self._check_in_channel(channel)
        cmd, guild_id, owners = self._find_command(name, cmd_type, channel)
        self._check_member_permissions(cmd, channel)
        data: Json = {
            "id": cmd["id"],
            "name": name,
            "type": cmd_type,
            "target_id": str(target_id),
            "resolved": resolved,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return await self._fire(
            APPLICATION_COMMAND,
            channel,
            data,
            command_name=name,
            owners=owners,
            wait=wait,
            timeout=timeout,
        )

    async def user_command(
        self,
        name: str,
        target: Actor | User,
        *,
        channel: Channel | None = None,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionHandle:
        channel = channel or self.guild.text_channels()[0]
        user = target.user if isinstance(target, Actor) else target
        resolved: Json = {"users": {str(user.id): user.payload()}}
        if channel.guild is not None and user.id in channel.guild.members:
            resolved["members"] = {
                str(user.id): channel.guild.members[user.id].payload(
                    with_user=False, with_permissions=True
                )
            }
        return await self._context_command(name, 2, user.id, resolved, channel, wait, timeout)

    async def message_command(
        self, name: str, target: MessageRef, *, wait: bool = True, timeout: float = 5.0
    ) -> InteractionHandle:
        msg = self._message(target)
        resolved = {"messages": {str(msg.id): copy.deepcopy(msg.data)}}
        return await self._context_command(name, 3, msg.id, resolved, msg.channel, wait, timeout)

    # --- components ---------------------------------------------------------------------

    def _message(self, ref: MessageRef) -> Message:
        if isinstance(ref, InteractionHandle):
            return ref.message
        if isinstance(ref, int):
            return self.emu.messages[ref]
        return ref

    def _check_visible(self, msg: Message) -> None:
        if msg.deleted:
            raise LookupError(f"message {msg.id} was deleted")
        if msg.ephemeral and msg.interaction_id is not None:
            owner = self.emu.interactions[msg.interaction_id].user
            if owner.id != self.user.id:
                raise LookupError(
                    f"message {msg.id} is ephemeral and only visible to {owner.username}"
                )

    async def click(
        self, message: MessageRef, button: str, *, wait: bool = True, timeout: float = 5.0
    ) -> InteractionHandle:
        """Click the button with this custom_id or label on the message's latest version."""
        msg = self._message(message)
        self._check_visible(msg)
        comp = msg.find_component(button)
        if comp.get("type") != 2:
            raise ValueError(f"{button!r} is not a button: {comp}")
        if comp.get("disabled"):
            raise ValueError(f"button {button!r} is disabled")
        if comp.get("style") in (5, 6):
            raise ValueError(
                f"button {button!r} is a link/premium button; Discord sends no interaction"
            )
        data: Json = {"custom_id": comp["custom_id"], "component_type": 2}
        if "id" in comp:
            data["id"] = comp["id"]
        return await self._fire(
            MESSAGE_COMPONENT, msg.channel, data, source=msg, wait=wait, timeout=timeout
        )

    async def select(
        self,
        message: MessageRef,
        select: str,
        values: list[Any],
        *,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionHandle:
        """Pick ``values`` in the select menu with this custom_id or placeholder."""
        msg = self._message(message)
        self._check_visible(msg)
        comp = msg.find_component(select)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise ValueError(f"{select!r} is not a select menu: {comp}")
        low, high = comp.get("min_values", 1), comp.get("max_values", 1)
        if not (low <= len(values) <= high):
            raise ValueError(f"select {select!r} takes {low}..{high} values, got {len(values)}")
        resolved: dict[str, dict[str, Json]] = {}
        out: list[str] = []
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            for v in values:
                if v not in allowed:
                    raise ValueError(f"{v!r} is not an option of {select!r}: {allowed}")
                out.append(str(v))
        else:
            spec = {"type": {5: 6, 6: 8, 7: 9, 8: 7}[ctype], "name": select}
            out = [self._convert(spec, v, resolved, msg.channel, focused=False) for v in values]
        data: Json = {"custom_id": comp["custom_id"], "component_type": ctype, "values": out}
        if "id" in comp:
            data["id"] = comp["id"]
        if resolved:
            data["resolved"] = resolved
        return await self._fire(
            MESSAGE_COMPONENT, msg.channel, data, source=msg, wait=wait, timeout=timeout
        )

    async def submit_modal(
        self,
        shown_by: InteractionHandle,
        values: Mapping[str, Any] | None = None,
        *,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot showed in response to ``shown_by``."""
        values = dict(values or {})
        modal = shown_by.modal
        if modal is None or shown_by.response_type != 9:
            raise ValueError(f"interaction {shown_by.id} was not answered with a modal")
        if shown_by.interaction.user.id != self.user.id:
            raise ValueError("only the user who triggered the modal can submit it")
        used: set[str] = set()
        counter = iter(range(1, 1000))

        def mirror(comp: Json) -> Json:
            ctype = comp["type"]
            cid = comp.get("custom_id")
            out: Json = {"type": ctype, "id": comp.get("id", next(counter))}
            if ctype == 1:
                out["components"] = [mirror(c) for c in comp.get("components", [])]
            elif ctype == 18:
                out["component"] = mirror(comp["component"])
            elif ctype == 4:
                value = str(values[cid]) if cid in values else str(comp.get("value") or "")
                if comp.get("required", True) and not value:
                    raise ValueError(f"modal field {cid!r} is required")
                low, high = comp.get("min_length"), comp.get("max_length")
                if value and low is not None and len(value) < low:
                    raise ValueError(f"modal field {cid!r} shorter than {low}")
                if high is not None and len(value) > high:
                    raise ValueError(f"modal field {cid!r} longer than {high}")
                out.update({"custom_id": cid, "value": value})
                used.add(str(cid))
            elif ctype in (3, 5, 6, 7, 8):
                out.update({"custom_id": cid, "values": [str(v) for v in values.get(str(cid), [])]})
                used.add(str(cid))
            elif cid is not None:
                out["custom_id"] = cid
                if cid in values:
                    out["value"] = values[cid]
                used.add(str(cid))
            return out

        components = [mirror(c) for c in modal.get("components", [])]
        unknown = set(values) - used
        if unknown:
            raise ValueError(f"modal has no fields {sorted(unknown)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        source_id = shown_by.interaction.source_message_id
        source = self.emu.messages.get(source_id) if source_id else None
        return await self._fire(
            MODAL_SUBMIT,
            shown_by.interaction.channel,
            data,
            source=source,
            owners=dict(shown_by.payload.get("authorizing_integration_owners") or {}),
            wait=wait,
            timeout=timeout,
        )

    # --- plain messages -----------------------------------------------------------------

    async def send(self, content: str, *, channel: Channel | None = None) -> Message:
        """Post a normal message as this user (MESSAGE_CREATE to the bot)."""
        channel = channel or self.guild.text_channels()[0]
        return self.emu._user_message(self, channel, content)

    async def dm(self, content: str) -> Message:
        """Send the bot a DM."""
        return self.emu._user_message(self, self.emu.dm_channel(self.user), content)
