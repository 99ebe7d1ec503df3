"""/remind as services: the account is found or created, then the setting changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.service import get_or_create_account
from bot.reminders import store
from bot.reminders.rules import format_status, validate_hour, validate_timezone
from db.reminders import queries as reminder_db


async def remind_on(
    session: AsyncSession,
    discord_id: int,
    display_name: str,
    *,
    hour: int | None,
    timezone: str | None,
    now: dt.datetime,
) -> str:
    if hour is not None:
        validate_hour(hour)
    if timezone is not None:
        timezone = validate_timezone(timezone)
    account = await get_or_create_account(session, discord_id, display_name)
    status = await store.enable(
        session, account.user_id, hour=hour, timezone=timezone, now=now
    )
    return format_status(status, now)


async def claim_opt_in_prompts(session: AsyncSession, user_ids: Sequence[int]) -> set[int]:
    """The members among ``user_ids`` to ask now whether they want reminders: each is asked
    once ever (claimed atomically, so two processes never both ask)."""
    return {u for u in sorted(set(user_ids)) if await reminder_db.claim_opt_in_prompt(session, u)}


async def remind_off(
    session: AsyncSession, discord_id: int, display_name: str, now: dt.datetime
) -> str:
    account = await get_or_create_account(session, discord_id, display_name)
    return format_status(await store.disable(session, account.user_id), now)


async def remind_status(
    session: AsyncSession, discord_id: int, display_name: str, now: dt.datetime
) -> str:
    account = await get_or_create_account(session, discord_id, display_name)
    return format_status(await store.get_status(session, account.user_id), now)

