"""Settings: one object built at start from the environment and an optional ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///certquest.sqlite3"
DEFAULT_API_BASE = "https://discord.com/api/v10"
SUPPORTED_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")
LOG_FORMATS = ("text", "json")


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line naming it."""


class Settings(BaseSettings):
    # env_ignore_empty: `NAME=` (as in .env.example, or an env_file in compose) means unset
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    discord_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    discord_api_base: str = DEFAULT_API_BASE
    # only when the REST base is a proxy that does not serve the gateway (docs/deploy.md)
    discord_gateway_url: str | None = None
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None
    health_file: Path | None = None
    # pause between revealing an answer and the next question of a group quiz
    quiz_reveal_pause_seconds: float = Field(default=4.0, ge=0, le=60)
    # retention of period leaderboards (docs/queries.md): weeks and months kept, current included
    board_retention_weeks: int = Field(default=8, ge=1, le=520)
    board_retention_months: int = Field(default=3, ge=1, le=120)
    # mock exams (docs/mock-exam.md): how often running sittings past their time are ended,
    # and how long ended sittings stay reviewable
    mock_exam_sweep_seconds: float = Field(default=10.0, ge=0.2, le=300)
    mock_exam_retention_days: int = Field(default=365, ge=1, le=3650)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use one of "
                + ", ".join(f"{d}://" for d in SUPPORTED_DRIVERS)
            )
        return value

    @field_validator("discord_api_base")
    @classmethod
    def _check_api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        fmt = value.strip().lower()
        if fmt not in LOG_FORMATS:
            raise ValueError("must be text or json")
        return fmt

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        # pydantic-settings JSON-decodes a list field's variable first: SHARD_IDS=1 arrives as 1
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be comma-separated shard numbers, e.g. 0,1")
            return [int(p) for p in parts] or None
        return value

    @field_validator("shard_ids")
    @classmethod
    def _check_shard_ids(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        """SHARD_IDS picks shards out of SHARD_COUNT (validated before it: field order)."""
        if not value:
            return None
        if min(value) < 0:
            raise ValueError("shard numbers start at 0")
        if "shard_count" not in info.data:  # SHARD_COUNT itself is wrong: reported already
            return value
        count = info.data["shard_count"]
        if count is None:
            raise ValueError(
                "needs SHARD_COUNT, the total number of shards of all processes "
                "(e.g. SHARD_COUNT=2 with SHARD_IDS=0 here and SHARD_IDS=1 in the other process)"
            )
        if len(set(value)) != len(value):
            raise ValueError("lists a shard twice")
        outside = [i for i in value if i >= count]
        if outside:
            raise ValueError(
                f"shard {outside[0]} does not exist with SHARD_COUNT={count} "
                f"(shards are numbered 0 to {count - 1})"
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one clear line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"Invalid setting {name}: {msg}")
        raise SettingsError("; ".join(lines)) from None
