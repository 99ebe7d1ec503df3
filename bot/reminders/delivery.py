"""Discord side of reminders: the DM sender and the two persistent buttons.

Sending costs one request per reminder: the user's DM channel id is stored
(``user_profiles.dm_channel_id``), so the DM goes through
``client.get_partial_messageable(channel_id, type=ChannelType.private).send(...)`` without
``user.send()`` (discord.py caches only 128 DM channels and opens an uncached one with an
extra request). Only a user without a stored channel costs one ``POST /users/@me/channels``
first; the sweep stores the channel id it returns.

discord.py 2.7's ``Messageable.send`` has no ``enforce_nonce`` argument: it always sends
``enforce_nonce: true`` with a ``nonce`` (``discord.http.handle_message_parameters``), which
is what we want. Rate limits: discord.py waits out 429s per bucket and globally; on top,
``max_per_second`` keeps the sweep under the 50 requests/s global budget without bursts.

Buttons are ``DynamicItem``s (they survive restarts). Register them once, in ``setup_hook``:
``register_reminder_items(client)``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import aiohttp
import discord

from bot.core.errors import BotError
from bot.core.hooks import hooks
from bot.core.replies import SafeDynamicItem
from bot.reminders import store
from bot.reminders.rules import (
    ANY_EXAM,
    DEFAULT_HOUR,
    QUIZ_QUESTIONS,
    REASON_DM_CLOSED,
    REASON_NO_MUTUAL_GUILD,
    REASON_UNREACHABLE,
    ReminderMessage,
    SendOutcome,
    format_status,
)
from db.exams import SHORT_NAMES
from db.reminders import queries as q

log = logging.getLogger(__name__)

CANNOT_DM_USER = 50007
NO_MUTUAL_GUILDS = 50278
UNKNOWN_CHANNEL = 10003
DEFAULT_MAX_PER_SECOND = 40.0
"""Below Discord's global 50 requests/s per bot, leaving room for interactions."""

QUIZ_BUTTON_TEMPLATE = r"cq:remind:quiz:(?P<exam>[a-z0-9]+)"
OPT_IN_TEMPLATE = r"cq:remind:optin:(?P<answer>yes|no):(?P<user>[0-9]+)"
REVIEW_BUTTON_ID = "cq:remind:review"
REVIEW_UNAVAILABLE = "Reviews aren't available right now — try `/review` in a moment."
QUIZ_UNAVAILABLE = "Quizzes aren't available right now — try `/quiz` in a server in a moment."


class RateLimiter:
    """Spaces requests ``1/rate`` seconds apart (no bursts). ``clock``/``sleep`` injectable;
    it computes each caller's slot up front, so a fake ``sleep`` never loops."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    async def acquire(self) -> None:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)


def forbidden_reason(code: int) -> str | None:
    """The stored reason of a 403 that means this user cannot be DMed; None for other 403s."""
    return {CANNOT_DM_USER: REASON_DM_CLOSED, NO_MUTUAL_GUILDS: REASON_NO_MUTUAL_GUILD}.get(code)


def quiz_custom_id(exam: str) -> str:
    return f"cq:remind:quiz:{exam}"


class ReminderQuizButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=QUIZ_BUTTON_TEMPLATE,
):
    """ "Start a 5-question quiz" under a reminder DM.

    The quiz feature's ``start_solo_quiz`` (``bot.core.hooks``) starts it, with ``exam_type``
    an exam of the registry or None (exam unknown: let the user pick); it responds to the
    interaction. Failures answer the member through the shared error path
    (``SafeDynamicItem``): "quizzes unavailable" when no quiz feature is registered.
    """

    def __init__(self, exam: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Start a {QUIZ_QUESTIONS}-question quiz",
                style=discord.ButtonStyle.primary,
                emoji="📝",
                custom_id=quiz_custom_id(exam),
            )
        )
        self.exam = exam

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match["exam"])

    @property
    def exam_type(self) -> str | None:
        return self.exam if self.exam != ANY_EXAM and self.exam in SHORT_NAMES else None

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if hooks.solo_quiz is None:
            raise BotError(QUIZ_UNAVAILABLE)
        await hooks.solo_quiz(interaction, self.exam_type, questions=QUIZ_QUESTIONS)


class ReminderOptInButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=OPT_IN_TEMPLATE,
):
    """The once-only "Do you want reminders?" answer (after a user's first quiz).

    Contract: ``interaction.client.sessions`` is the bot's ``async_sessionmaker``. Yes turns
    reminders on at 19:00 in the profile's time zone; No records nothing more (the prompt
    was already claimed with ``db.reminders.queries.claim_opt_in_prompt``).
    """

    def __init__(self, answer: str, discord_id: int) -> None:
        yes = answer == "yes"
        super().__init__(
            discord.ui.Button(
                label="Yes, remind me" if yes else "No thanks",
                style=discord.ButtonStyle.success if yes else discord.ButtonStyle.secondary,
                custom_id=f"cq:remind:optin:{answer}:{discord_id}",
            )
        )
        self.answer = answer
        self.discord_id = discord_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match["answer"], int(match["user"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.discord_id:
            await interaction.response.send_message("This question isn't for you.", ephemeral=True)
            return
        if self.answer == "no":
            await interaction.response.edit_message(
                content="No reminders, then. `/remind on` turns them on any time.", view=None
            )
            return
        sessions = getattr(interaction.client, "sessions", None)
        if sessions is None:
            await interaction.response.send_message(
                "Reminders aren't available right now — try `/remind on` later.", ephemeral=True
            )
            return
        clock = getattr(interaction.client, "clock", None)
        now = clock() if callable(clock) else discord.utils.utcnow()
        # the unit of work ends before any Discord request is awaited
        async with sessions() as session, session.begin():
            user_id = await q.user_id_for_discord(session, self.discord_id)
            status = (
                None
                if user_id is None
                else await store.enable(session, user_id, hour=DEFAULT_HOUR, now=now)
            )
        if status is None:
            await interaction.response.send_message(
                "Finish a quiz first, then try `/remind on`.", ephemeral=True
            )
            return
        await interaction.response.edit_message(
            content=format_status(status, now)
            + "\nChange the hour or time zone with `/remind on hour: timezone:`.",
            view=None,
        )


class ReminderReviewButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=REVIEW_BUTTON_ID,
):
    """ "Review my due cards" under a reminder DM when the member has cards due: the review
    feature's ``review_starter`` (``bot.core.hooks``) starts their ``/review``."""

    def __init__(self, cards_due: int = 0) -> None:
        label = "Review my due cards" if cards_due <= 0 else f"Review {cards_due} due card(s)"
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                emoji="🔁",
                custom_id=REVIEW_BUTTON_ID,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls()

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if hooks.review_starter is None:
            raise BotError(REVIEW_UNAVAILABLE)
        await hooks.review_starter(interaction)


def reminder_view(exam: str = ANY_EXAM, cards_due: int = 0) -> discord.ui.View:
    """The DM's view: review the due cards when there are some, else a short quiz. Fully
    dynamic: discord.py keeps nothing per sent message."""
    view = discord.ui.View(timeout=None)
    if cards_due > 0:
        view.add_item(ReminderReviewButton(cards_due))
    else:
        view.add_item(ReminderQuizButton(exam))
    return view


def opt_in_view(discord_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReminderOptInButton("yes", discord_id))
    view.add_item(ReminderOptInButton("no", discord_id))
    return view


def register_reminder_items(client: discord.Client) -> None:
    """Call once in ``setup_hook`` so the buttons work after a restart."""
    client.add_dynamic_items(ReminderQuizButton, ReminderOptInButton, ReminderReviewButton)


class DiscordReminderSender:
    """``ReminderSender`` over a logged-in ``discord.Client`` (the gateway is not needed)."""

    def __init__(
        self,
        client: discord.Client,
        *,
        max_per_second: float | None = DEFAULT_MAX_PER_SECOND,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.client = client
        if limiter is None and max_per_second is not None:
            limiter = RateLimiter(max_per_second)
        self.limiter = limiter

    async def _slot(self) -> None:
        if self.limiter is not None:
            await self.limiter.acquire()

    async def open_dm(self, discord_id: int) -> int:
        await self._slot()
        data = await self.client.http.start_private_message(discord_id)
        return int(data["id"])

    async def _post(self, channel_id: int, reminder: ReminderMessage) -> None:
        await self._slot()
        channel = self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        await channel.send(
            reminder.content,
            view=reminder_view(reminder.button_exam, reminder.cards_due),
            nonce=reminder.nonce,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def send(self, reminder: ReminderMessage) -> SendOutcome:
        opened: int | None = None
        try:
            channel_id = reminder.dm_channel_id
            if channel_id is None:
                channel_id = opened = await self.open_dm(reminder.discord_id)
            try:
                await self._post(channel_id, reminder)
            except discord.NotFound as exc:
                if opened is not None or exc.code != UNKNOWN_CHANNEL:
                    raise
                # The stored DM channel is gone: open a fresh one, once.
                log.info(
                    "the stored DM channel is unknown; reopening",
                    extra={"user_id": reminder.user_id},
                )
                channel_id = opened = await self.open_dm(reminder.discord_id)
                await self._post(channel_id, reminder)
        except discord.Forbidden as exc:
            reason = forbidden_reason(exc.code)
            if reason is not None:
                return SendOutcome.permanent(reason, forbidden=True, dm_channel_id=opened)
            # Another 403 (e.g. the bot itself is restricted): not the user's fault, not
            # retryable; the circuit breaker counts it.
            return SendOutcome.failed(
                f"403 code {exc.code}: {exc.text}", forbidden=True, dm_channel_id=opened
            )
        except discord.NotFound as exc:
            log.info(
                "user unreachable (404)", extra={"user_id": reminder.user_id, "code": exc.code}
            )
            return SendOutcome.permanent(REASON_UNREACHABLE, dm_channel_id=opened)
        except discord.RateLimited as exc:
            return SendOutcome.transient(
                "rate limited", retry_after=exc.retry_after, dm_channel_id=opened
            )
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                return SendOutcome.transient(
                    f"HTTP {exc.status} code {exc.code}", dm_channel_id=opened
                )
            return SendOutcome.failed(
                f"HTTP {exc.status} code {exc.code}: {exc.text}", dm_channel_id=opened
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            # Ambiguous (the request may have reached Discord): the nonce makes a retry safe.
            return SendOutcome.transient(f"{type(exc).__name__}: {exc}", dm_channel_id=opened)
        return SendOutcome.sent(dm_channel_id=opened)


__all__ = [
    "OPT_IN_TEMPLATE",
    "QUIZ_BUTTON_TEMPLATE",
    "DiscordReminderSender",
    "RateLimiter",
    "ReminderOptInButton",
    "ReminderQuizButton",
    "forbidden_reason",
    "opt_in_view",
    "register_reminder_items",
    "reminder_view",
]
