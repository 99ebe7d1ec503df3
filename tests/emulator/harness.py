"""Run a bot as a subprocess against the emulator.

proc = BotProcess.module("tests.emulator.sample_bot", env={...}, log_path=tmp_path / "bot.log")
await proc.start(emu)                       # DISCORD_API_BASE / DISCORD_TOKEN set for it
await proc.wait_ready(emu, commands=True)   # IDENTIFY seen, READY sent, commands synced
...
await proc.kill()                           # SIGKILL (restart tests)
await proc.stop()                           # SIGTERM, then SIGKILL
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .server import Emulator

REPO_ROOT = Path(__file__).resolve().parents[2]


class BotProcessError(AssertionError):
    pass


class BotProcess:
    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        log_path: Path | str | None = None,
        cwd: Path | str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.extra_env = dict(env or {})
        self.cwd = Path(cwd) if cwd is not None else REPO_ROOT
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="bot-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at: float = 0.0
        self._log_file: IO[bytes] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._emu: Emulator | None = None

    @classmethod
    def module(cls, module: str, *args: str, **kwargs: Any) -> BotProcess:
        """``python -m module args…`` with this interpreter (``sys.executable``)."""
        return cls([sys.executable, "-m", module, *args], **kwargs)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def start(self, emu: Emulator) -> BotProcess:
        if self.running:
            raise RuntimeError("bot process already running")
        env = dict(os.environ)
        env.update(
            {
                "DISCORD_API_BASE": emu.api_base,
                "DISCORD_TOKEN": emu.token,
                "PYTHONUNBUFFERED": "1",
            }
        )
        pythonpath = env.get("PYTHONPATH")
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + pythonpath if pythonpath else "")
        env.update(self.extra_env)
        self._emu = emu
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # opening a local log file is instant; it is closed when the process exits
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115, ASYNC230
        self.started_at = asyncio.get_running_loop().time()
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=str(self.cwd),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._watcher = asyncio.create_task(self._watch(), name=f"bot-process-{self.proc.pid}")
        return self

    async def _watch(self) -> None:
        assert self.proc is not None
        await self.proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._emu is not None:
            self._emu._notify()

    def _fail(self, message: str) -> BotProcessError:
        return BotProcessError(f"{message}\n--- bot log ({self.log_path}) ---\n{self.log_tail()}")

    async def wait_ready(
        self,
        emu: Emulator | None = None,
        *,
        shards: Iterable[int] | None = None,
        commands: bool = False,
        timeout: float = 20.0,
    ) -> None:
        """Wait until the shards (default: all of the bot's shard count) IDENTIFYed after
        this process started and were sent READY, and, with ``commands=True``, until
        the bot synced its application commands.  Fails fast if the process exits."""
        emu = emu or self._emu
        assert emu is not None, "start() first"
        since = self.started_at

        async def ready() -> None:
            await emu.wait_ready(shards, since=since, timeout=timeout)
            if commands:
                await emu.wait_commands_synced(since=since, timeout=timeout)

        waiter = asyncio.ensure_future(ready())
        assert self._watcher is not None
        done, _ = await asyncio.wait({waiter, self._watcher}, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            try:
                waiter.result()
            except TimeoutError as exc:
                raise self._fail(f"bot did not become ready: {exc}") from exc
            return
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await waiter
        raise self._fail(f"bot process exited with {self.returncode} before it was ready")

    async def wait_exit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise self._fail(f"bot process still running after {timeout}s") from None

    async def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    async def kill(self) -> int | None:
        """SIGKILL and reap."""
        await self._signal(signal.SIGKILL)
        return await self._reap()

    async def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if self.proc is None:
            return None
        await self._signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), timeout)
        except TimeoutError:
            await self._signal(signal.SIGKILL)
        return await self._reap()

    async def _reap(self) -> int | None:
        if self.proc is None:
            return None
        code = await self.proc.wait()
        if self._watcher is not None:
            await self._watcher
        return code

    async def __aenter__(self) -> BotProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
