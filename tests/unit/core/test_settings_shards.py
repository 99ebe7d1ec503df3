"""SHARD_COUNT / SHARD_IDS: several processes split the shards; a wrong pair is one clear line.

Also: empty values (``NAME=`` as in .env.example, or in a compose env_file) mean "not set".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import CertQuestBot
from bot.cli import main
from bot.core.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DISCORD_TOKEN",
        "DATABASE_URL",
        "DISCORD_API_BASE",
        "DEV_GUILD_ID",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "SHARD_COUNT",
        "SHARD_IDS",
        "HEALTH_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("2", "0", [0]),  # one id: pydantic-settings first JSON-decodes it to 0
        ("2", "1", [1]),
        ("4", "0,1", [0, 1]),
        ("4", " 2, 3 ", [2, 3]),
        ("4", "[1, 3]", [1, 3]),
        ("2", "", None),  # all shards of SHARD_COUNT in this process
    ],
)
def test_shard_ids_pick_shards_of_shard_count(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str, expected: list[int] | None
) -> None:
    monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    settings = load_settings()
    assert settings.shard_count == int(count)
    assert settings.shard_ids == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "1"}, "Invalid setting SHARD_IDS: needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "shard 2 does not exist with SHARD_COUNT=2"),
        (
            {"SHARD_COUNT": "2", "SHARD_IDS": "0,0"},
            "Invalid setting SHARD_IDS: lists a shard twice",
        ),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "Invalid setting SHARD_IDS: shard numbers"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "one"}, "Invalid setting SHARD_IDS: must be comma"),
        ({"SHARD_COUNT": "0"}, "Invalid setting SHARD_COUNT"),
    ],
)
def test_a_wrong_shard_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_shard_ids_without_a_count_stops_the_cli_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHARD_IDS", "1")
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Invalid setting SHARD_IDS: needs SHARD_COUNT")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_empty_values_are_unset_so_a_copy_of_env_example_loads(tmp_path: Path) -> None:
    shutil.copyfile(ROOT / ".env.example", tmp_path / ".env")
    settings = load_settings()
    assert settings.shard_count is None and settings.shard_ids is None
    assert settings.dev_guild_id is None and settings.health_file is None
    assert settings.discord_token is None


@pytest.mark.parametrize(
    ("count", "ids"),
    [("2", "1"), ("4", "0,1"), ("3", ""), ("", "")],
)
def test_the_bot_hands_them_to_discord_py(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str
) -> None:
    monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    settings = load_settings()
    bot = CertQuestBot(settings)
    assert bot.shard_count == settings.shard_count
    assert bot.shard_ids == settings.shard_ids
