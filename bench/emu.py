"""The Discord emulator (tests/emulator) as the benchmarks use it.

``BenchEmulator`` resolves a future when the bot's interaction callback arrives, so thousands
of in-flight clicks are awaited without every waiter re-checking on every state change
(``Emulator.wait_until``). Latency of a click = the callback POST's arrival
(``CallbackAttempt.at``) minus the moment the emulator dispatched INTERACTION_CREATE
(``Interaction.created_at``), both ``loop.time()`` of the emulator's event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from tests.emulator import Actor, BotProcess, Channel, Emulator, InteractionHandle, Message
from tests.emulator.server import Req

ANSWER_ID = re.compile(r"cq:a:(\d+):(\d+):([ABCD])")


class BenchEmulator(Emulator):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.callback_waiters: dict[int, asyncio.Future[None]] = {}

    async def _callback(self, req: Req) -> tuple[int, Any]:
        try:
            return await super()._callback(req)
        finally:
            try:
                fut = self.callback_waiters.pop(int(req.params["interaction_id"]), None)
            except (KeyError, ValueError):
                fut = None
            if fut is not None and not fut.done():
                fut.set_result(None)

    def expect_callback(self, handle: InteractionHandle) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if handle.interaction.callback_attempts:
            fut.set_result(None)
        else:
            self.callback_waiters[handle.interaction.id] = fut
        return fut


def latency_ms(handle: InteractionHandle) -> float | None:
    """Dispatch → first callback POST, in ms; None when no callback came."""
    attempts = handle.interaction.callback_attempts
    if not attempts:
        return None
    return (attempts[0].at - handle.interaction.created_at) * 1000.0


def callback_ok(handle: InteractionHandle) -> bool:
    attempts = handle.interaction.callback_attempts
    return bool(attempts) and attempts[0].status in (200, 204)


def answer_buttons(msg: Message) -> tuple[int, int] | None:
    """(session id, question index) of a question message's A–D buttons."""
    for comp in msg.buttons():
        m = ANSWER_ID.fullmatch(str(comp.get("custom_id", "")))
        if m and not comp.get("disabled"):
            return int(m[1]), int(m[2])
    return None


async def wait_question(
    emu: Emulator, channel: Channel, session_id: int, index: int, wait_s: float = 30.0
) -> Message:
    def find() -> Message | None:
        for msg in reversed(emu.messages_in(channel)):
            if answer_buttons(msg) == (session_id, index):
                return msg
        return None

    found = await emu.wait_until(find, timeout=wait_s, what=f"question {index} of {session_id}")
    if not isinstance(found, Message):
        raise TypeError(f"expected the question message, got {found!r}")
    return found


async def start_bot(
    emu: Emulator,
    module: str,
    *args: str,
    env: Mapping[str, str],
    log_path: Path,
    ready_s: float = 60.0,
) -> BotProcess:
    proc = BotProcess.module(module, *args, env=dict(env), log_path=log_path, cwd=log_path.parent)
    await proc.start(emu)
    await proc.wait_ready(emu, commands=True, timeout=ready_s)
    return proc


class CpuMeter:
    """CPU seconds used by processes between ``start()`` and ``stop()``, as % of one core."""

    def __init__(self, **pids: int) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._before: dict[str, float] = {}
        self._t0 = 0.0
        self.percent: dict[str, float] = {}

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return float(t.user + t.system)

    def start(self) -> None:
        self._before = {k: self._cpu(p) for k, p in self.procs.items()}
        self._t0 = asyncio.get_running_loop().time()

    def stop(self) -> dict[str, float]:
        wall = max(asyncio.get_running_loop().time() - self._t0, 1e-9)
        self.percent = {
            k: (self._cpu(p) - self._before[k]) / wall * 100.0 for k, p in self.procs.items()
        }
        return self.percent


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024


def self_pid() -> int:
    return os.getpid()


async def start_group_quiz(
    host: Actor,
    channel: Channel,
    *,
    exam: str = "security",
    questions: int = 50,
    seconds: int = 120,
) -> tuple[int, Message]:
    handle = await host.slash(
        "quiz",
        "start",
        channel=channel,
        exam=exam,
        questions=questions,
        seconds=seconds,
        timeout=30,
    )
    msg = handle.message
    found = answer_buttons(msg)
    if found is None:
        raise RuntimeError(f"no answer buttons on {msg.data}")
    return found[0], msg
