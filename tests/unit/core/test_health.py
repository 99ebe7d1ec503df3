"""The readiness signal: HEALTH_FILE is touched while the bot is connected and removed when it
stops; `certquest health` (compose's healthcheck) passes while the file is fresh."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import health as health_module
from bot.core.health import HealthFile


class FakeClient:
    def __init__(self, *, ready: bool = True) -> None:
        self.ready = ready
        self.closed = False

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return self.closed


async def eventually(check: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@pytest.fixture
def fast_beat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_module, "INTERVAL_SECONDS", 0.01)


async def test_the_file_is_written_while_ready_and_removed_on_stop(tmp_path: Path) -> None:
    path = tmp_path / "run" / "certquest.health"  # the folder is created too
    beat = HealthFile(path)
    beat.start(FakeClient())  # type: ignore[arg-type]
    try:
        await eventually(path.exists)
        written = float(path.read_text())
        assert abs(written - time.time()) < 5
    finally:
        await beat.stop()
    assert not path.exists()


async def test_nothing_is_written_before_the_bot_is_ready(tmp_path: Path, fast_beat: None) -> None:
    path = tmp_path / "certquest.health"
    client = FakeClient(ready=False)
    beat = HealthFile(path)
    beat.start(client)  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.05)  # several beats
        assert not path.exists()
        client.ready = True
        await eventually(path.exists)
    finally:
        await beat.stop()
    assert not path.exists()


async def test_the_file_is_refreshed_while_connected_and_goes_stale_when_closed(
    tmp_path: Path, fast_beat: None
) -> None:
    path = tmp_path / "certquest.health"
    client = FakeClient()
    beat = HealthFile(path)
    beat.start(client)  # type: ignore[arg-type]
    try:
        await eventually(path.exists)
        old = time.time() - 600
        os.utime(path, (old, old))
        await eventually(lambda: path.stat().st_mtime > old + 500)  # touched again
        client.closed = True  # disconnected for good: no more touches
        await asyncio.sleep(0.05)  # a touch already under way finishes
        os.utime(path, (old, old))
        await asyncio.sleep(0.05)  # several beats
        assert path.stat().st_mtime == pytest.approx(old)
    finally:
        await beat.stop()


async def test_stop_without_a_file_or_a_start_is_fine(tmp_path: Path) -> None:
    await HealthFile(tmp_path / "never").stop()


# --- certquest health ----------------------------------------------------------------------


@pytest.fixture
def health_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    path = tmp_path / "certquest.health"
    monkeypatch.setenv("HEALTH_FILE", str(path))
    return path


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_health_passes_while_the_heartbeat_is_fresh(
    health_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    health_file.write_text("1\n")
    age(health_file, 20)
    assert main(["health"]) == 0
    assert capsys.readouterr().out.startswith("healthy:")


def test_health_fails_when_the_heartbeat_is_stale_or_missing(
    health_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health"]) == 1
    assert "no heartbeat" in capsys.readouterr().err
    health_file.write_text("1\n")
    age(health_file, 61)
    assert main(["health"]) == 1
    assert "61 s old (limit 60 s)" in capsys.readouterr().err
    assert main(["health", "--max-age", "120"]) == 0


def test_health_without_health_file_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEALTH_FILE", raising=False)
    assert main(["health"]) == 2
    assert "HEALTH_FILE is not set" in capsys.readouterr().err
