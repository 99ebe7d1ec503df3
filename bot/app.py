"""The bot process: an AutoShardedBot that owns the database engine and loads the cogs."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Callable

import discord
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.clock import utcnow
from bot.core.discord_api import configure_api_base
from bot.core.health import HealthFile
from bot.core.replies import CertQuestTree, in_flight
from bot.core.scheduler import Scheduler
from bot.core.settings import Settings, SettingsError
from bot.features import register as register_features
from bot.features import schedule_jobs
from bot.reminders.delivery import DiscordReminderSender, register_reminder_items
from bot.reminders.scheduler import ReminderScheduler
from db.engine import create_engine, create_sessionmaker

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.quiz.cog",
    "cogs.profile.cog",
    "cogs.leaderboard.cog",
    "cogs.account.cog",
    "cogs.reminders.cog",
    "cogs.review.cog",
    "cogs.readiness.cog",
    "cogs.mockexam.cog",
    "cogs.core.telemetry",
)

Clock = Callable[[], dt.datetime]

SHUTDOWN_DRAIN_SECONDS = 3.0
"""How long a closing bot lets interactions in flight finish before it cuts them."""
SWEEP_SHUTDOWN_SECONDS = 2.0
"""How long a closing bot lets a reminder sweep in progress finish."""




class CertQuestBot(commands.AutoShardedBot):
    """The bot. Settings are passed in; the engine is created in ``setup_hook``."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def __init__(self, settings: Settings, *, clock: Clock = utcnow) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and guild objects for quiz messages; not privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=CertQuestTree,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,  # type: ignore[arg-type]  # None = all shards
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
        )
        self.settings = settings
        self.clock = clock
        self.health = HealthFile(settings.health_file) if settings.health_file else None
        # True for `certquest sync`: load the command tree, start no background work.
        self.sync_only = False
        self.reminders: ReminderScheduler | None = None
        self._closed = False

    async def setup_hook(self) -> None:
        self.engine = create_engine(self.settings.database_url)
        self.sessions = create_sessionmaker(self.engine)
        register_features()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        register_reminder_items(self)
        if self.sync_only:
            return
        jobs = Scheduler()  # one scheduler for every feature's periodic work
        schedule_jobs(jobs, self.sessions, self.settings, self.clock)
        for cog in list(self.cogs.values()):  # jobs that talk to Discord (mock exam time-outs)
            add_jobs = getattr(cog, "schedule_jobs", None)
            if callable(add_jobs):
                add_jobs(jobs)
        self.reminders = ReminderScheduler(
            self.sessions, DiscordReminderSender(self), clock=self.clock, scheduler=jobs
        )
        self.reminders.start()
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info(
                "synced commands to the dev guild",
                extra={"commands": len(synced), "guild": guild.id},
            )
        if self.health:
            self.health.start(self)

    async def on_ready(self) -> None:
        if self.user is None:
            raise RuntimeError("on_ready without a logged-in user")
        log.info(
            "ready",
            extra={"user": str(self.user), "user_id": self.user.id, "shards": self.shard_ids},
        )

    async def close(self) -> None:
        if self._closed:  # SIGTERM and the end of `async with` both close
            return
        self._closed = True
        if self.reminders is not None:  # the shared scheduler stops; a sweep finishes its DMs
            await self.reminders.shutdown(grace=SWEEP_SHUTDOWN_SECONDS)
        if self.health:
            await self.health.stop()
        # background work that talks to Discord and the database stops while both are there,
        # and interactions in flight finish their unit of work and reply
        for cog in list(self.cogs.values()):
            halt = getattr(cog, "halt", None)
            if callable(halt):
                await halt()
        await self._drain_handlers(SHUTDOWN_DRAIN_SECONDS)
        await super().close()
        # background work first (quiz runners, answers in flight), the database last
        for name in list(self.extensions):
            try:
                await self.unload_extension(name)
            except Exception:
                log.exception("unloading a cog at shutdown failed", extra={"cog": name})
        batcher = getattr(self, "answer_batcher", None)
        if batcher is not None:
            await batcher.close()
        if hasattr(self, "engine"):
            await self.engine.dispose()

    async def _drain_handlers(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the interaction handlers running now (and any
        that start meanwhile); cut those still running after it (logged)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + grace
        while True:
            busy = in_flight.running()
            left = end - loop.time()
            if not busy:
                return
            if left <= 0:
                log.warning(
                    "closing: interaction handlers still running; cut",
                    extra={"handlers": len(busy)},
                )
                for task in busy:
                    task.cancel()
                await asyncio.gather(*busy, return_exceptions=True)
                return
            await asyncio.wait(busy, timeout=left)


async def run(settings: Settings) -> int:
    """Start the bot and block until it stops."""
    configure_api_base(settings.discord_api_base, gateway_url=settings.discord_gateway_url)
    if not settings.discord_token:
        raise SettingsError("DISCORD_TOKEN is not set")
    bot = CertQuestBot(settings)
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def stop() -> None:  # SIGTERM (docker stop, systemd): close cleanly, like Ctrl+C
        log.info("stopping: closing the gateway, the scheduler and the database")
        task = loop.create_task(bot.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    with contextlib.suppress(NotImplementedError):  # not on Windows
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        async with bot:
            await bot.start(settings.discord_token)
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN: check the token in .env (README).")
        return 2
    except asyncio.CancelledError:
        pass
    finally:
        # let a SIGTERM-initiated close finish disposing the database before the loop ends
        await asyncio.gather(*closing, return_exceptions=True)
    return 0


async def sync_global(settings: Settings) -> int:
    """Sync every slash command globally, once, without connecting to the gateway."""
    configure_api_base(settings.discord_api_base, gateway_url=settings.discord_gateway_url)
    if not settings.discord_token:
        raise SettingsError("DISCORD_TOKEN is not set")
    bot = CertQuestBot(settings)
    bot.sync_only = True
    async with bot:
        await bot.login(settings.discord_token)  # runs setup_hook: the cogs register commands
        synced = await bot.tree.sync()
    return len(synced)
