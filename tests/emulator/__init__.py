"""A loopback Discord API v10 emulator for end-to-end tests of real discord.py bots.

See docs/emulator.md.  Typical use::

    async with await Emulator.start() as emu:
        bot = BotProcess.module("tests.emulator.sample_bot")
        await bot.start(emu)
        await bot.wait_ready(emu, commands=True)
        alice = emu.member("alice")
        reply = await alice.slash("ping")
        ...
"""

from .actors import Actor, CommandUnavailable, InteractionFailed, InteractionHandle
from .faults import Call, CallLog, Fault, FaultInjector
from .gateway import Gateway, Session
from .harness import BotProcess, BotProcessError
from .model import (
    ADMINISTRATOR,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MANAGE_MESSAGES,
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    Role,
    User,
)
from .server import ApiError, Emulator, Violation

__all__ = [
    "ADMINISTRATOR",
    "FLAG_COMPONENTS_V2",
    "FLAG_EPHEMERAL",
    "FLAG_LOADING",
    "MANAGE_MESSAGES",
    "Actor",
    "ApiError",
    "BotProcess",
    "BotProcessError",
    "Call",
    "CallLog",
    "Channel",
    "CommandUnavailable",
    "Emulator",
    "Fault",
    "FaultInjector",
    "Gateway",
    "Guild",
    "Interaction",
    "InteractionFailed",
    "InteractionHandle",
    "Member",
    "Message",
    "Role",
    "Session",
    "User",
    "Violation",
]
