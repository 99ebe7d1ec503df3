"""/account link|password|timezone|delete: the CertQuest account behind a Discord user.

Secrets: modal values (email, password) are passed to the service and nowhere else: never
logged, never echoed, never put in an error message. Every reply is ephemeral.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.accounts.service import delete_account, link_account
from bot.core.errors import InvalidInput
from bot.core.replies import BaseModal, SafeDynamicItem
from bot.profile import service as svc
from bot.reminders.rules import timezone_choices
from cogs.account.render import (
    DELETE_CANCELLED,
    DELETE_DONE,
    DELETE_PROMPT,
    NOT_YOUR_BUTTON,
    PASSWORDS_DIFFER,
    link_reply,
    password_reply,
    timezone_reply,
)
from cogs.core.embeds import CHOICE_MAX, CHOICES_MAX
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)

MODAL_TIMEOUT = 600.0


def _bot(interaction: discord.Interaction) -> CertQuestBot:
    return interaction.client  # type: ignore[return-value]


class LinkModal(BaseModal, title="Link your CertQuest web account"):
    email: discord.ui.TextInput[LinkModal] = discord.ui.TextInput(
        label="Email of your web account",
        max_length=255,
        placeholder="you@example.com",
        custom_id="cq:link:email",
    )
    password: discord.ui.TextInput[LinkModal] = discord.ui.TextInput(
        label="Password",
        max_length=128,
        placeholder="Only CertQuest sees this",
        custom_id="cq:link:password",
    )

    def __init__(self, cog: AccountCog) -> None:
        super().__init__(timeout=MODAL_TIMEOUT, custom_id="cq:link")
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.link(interaction, self.email.value, self.password.value)


class PasswordModal(BaseModal, title="Set your CertQuest web password"):
    new: discord.ui.TextInput[PasswordModal] = discord.ui.TextInput(
        label="New password",
        min_length=1,
        max_length=128,
        placeholder="At least 8 characters",
        custom_id="cq:pw:new",
    )
    again: discord.ui.TextInput[PasswordModal] = discord.ui.TextInput(
        label="New password again", min_length=1, max_length=128, custom_id="cq:pw:again"
    )

    def __init__(self, cog: AccountCog) -> None:
        super().__init__(timeout=MODAL_TIMEOUT, custom_id="cq:pw")
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.change_password(interaction, self.new.value, self.again.value)


def timezone_suggestions(typed: str) -> list[str]:
    """Up to 25 IANA zones matching ``typed`` (cities first), each ≤ 100 characters."""
    extra = len(svc.NOT_USER_ZONES)
    names = timezone_choices(typed[:64], limit=CHOICES_MAX + extra)
    return [n[:CHOICE_MAX] for n in names if n not in svc.NOT_USER_ZONES][:CHOICES_MAX]


def delete_buttons(discord_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DeleteConfirmButton(discord_id))
    view.add_item(DeleteCancelButton(discord_id))
    view.stop()  # dispatched by custom id, so they work after a restart
    return view


class DeleteConfirmButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:del:(?P<uid>\d{1,20})",
):
    def __init__(self, discord_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete everything",
                style=discord.ButtonStyle.danger,
                custom_id=f"cq:del:{discord_id}",
            )
        )
        self.discord_id = discord_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeleteConfirmButton:
        return cls(int(match["uid"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.discord_id:
            await interaction.response.send_message(NOT_YOUR_BUTTON, ephemeral=True)
            return
        async with unit_of_work(_bot(interaction).sessions) as session:
            await delete_account(session, self.discord_id)
        await interaction.response.edit_message(content=DELETE_DONE, embed=None, view=None)


class DeleteCancelButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:delc:(?P<uid>\d{1,20})",
):
    def __init__(self, discord_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.secondary,
                custom_id=f"cq:delc:{discord_id}",
            )
        )
        self.discord_id = discord_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeleteCancelButton:
        return cls(int(match["uid"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.discord_id:
            await interaction.response.send_message(NOT_YOUR_BUTTON, ephemeral=True)
            return
        await interaction.response.edit_message(content=DELETE_CANCELLED, embed=None, view=None)


class AccountCog(commands.GroupCog, name="Account", group_name="account"):
    """Link a web account, set a password or time zone, or delete everything."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DeleteConfirmButton, DeleteCancelButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DeleteConfirmButton, DeleteCancelButton)

    # ----- link -----------------------------------------------------------------------------

    @app_commands.command(name="link", description="Link your CertQuest web account")
    async def link_command(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(LinkModal(self))

    async def link(self, interaction: discord.Interaction, email: str, password: str) -> None:
        # bcrypt takes ~0.25 s (more on a busy machine): acknowledge first, never miss 3 s
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with unit_of_work(self.bot.sessions) as session:
            result = await link_account(
                session, interaction.user.id, email, password, self.bot.clock()
            )
        await interaction.followup.send(link_reply(result), ephemeral=True)

    # ----- password -------------------------------------------------------------------------

    @app_commands.command(name="password", description="Set the password of your web account")
    async def password_command(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PasswordModal(self))

    async def change_password(self, interaction: discord.Interaction, new: str, again: str) -> None:
        if new != again:
            raise InvalidInput(PASSWORDS_DIFFER)
        user = interaction.user
        await interaction.response.defer(ephemeral=True, thinking=True)  # bcrypt, as above
        async with unit_of_work(self.bot.sessions) as session:
            username = await svc.change_password(session, user.id, user.display_name, new)
        await interaction.followup.send(password_reply(username), ephemeral=True)

    # ----- timezone -------------------------------------------------------------------------

    @app_commands.command(name="timezone", description="Your time zone: when your study day ends")
    @app_commands.describe(tz="An IANA time zone, e.g. Europe/Berlin (start typing a city)")
    async def timezone(
        self, interaction: discord.Interaction, tz: app_commands.Range[str, 1, 64]
    ) -> None:
        canonical = svc.canonical_timezone(tz)  # InvalidInput before touching the database
        user = interaction.user
        async with unit_of_work(self.bot.sessions) as session:
            change = await svc.set_timezone(
                session, user.id, user.display_name, canonical, self.bot.clock()
            )
        await interaction.response.send_message(timezone_reply(change), ephemeral=True)

    @timezone.autocomplete("tz")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in timezone_suggestions(current)]

    # ----- delete ---------------------------------------------------------------------------

    @app_commands.command(name="delete", description="Delete your account and all its data")
    async def delete(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            DELETE_PROMPT, view=delete_buttons(interaction.user.id), ephemeral=True
        )


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(AccountCog(bot))
