"""Settings: defaults that run the bot on SQLite, and one clear line for a bad value."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.core.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "DISCORD_TOKEN",
        "DATABASE_URL",
        "DISCORD_API_BASE",
        "DEV_GUILD_ID",
        "LOG_LEVEL",
        "SHARD_COUNT",
        "SHARD_IDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults_use_a_local_sqlite_file_and_discords_api() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.dev_guild_id is None


def test_values_come_from_the_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    (tmp_path / ".env").write_text("DEV_GUILD_ID=123456789012345678\nLOG_LEVEL=debug\n")  # type: ignore[operator]
    monkeypatch.setenv("SHARD_IDS", "0, 2")
    monkeypatch.setenv("SHARD_COUNT", "3")
    settings = load_settings()
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.shard_ids == [0, 2]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEV_GUILD_ID", "my-server", "Invalid setting DEV_GUILD_ID"),
        ("DATABASE_URL", "mysql://localhost/x", "Invalid setting DATABASE_URL: driver 'mysql'"),
        ("DATABASE_URL", "not a url", "Invalid setting DATABASE_URL"),
        ("DISCORD_API_BASE", "ftp://proxy", "Invalid setting DISCORD_API_BASE"),
        ("LOG_LEVEL", "loud", "Invalid setting LOG_LEVEL"),
    ],
)
def test_a_wrong_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_the_cli_prints_one_line_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", "abc")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Invalid setting DEV_GUILD_ID") and "Traceback" not in err
    assert err.count("\n") == 1


def test_running_without_a_token_explains_how_to_get_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "README" in err and "Traceback" not in err
