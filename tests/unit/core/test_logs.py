"""Structured logs: one line per event with key=value context, or one JSON object per line;
and the telemetry cog's line per interaction."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core.logs import (
    JsonFormatter,
    KeyValueFormatter,
    configure_logging,
    format_value,
    make_formatter,
)
from bot.core.settings import SettingsError, load_settings
from cogs.core.telemetry import command_name, interaction_context, shard_of

# 2026-03-02T19:00:00.250Z
CREATED = 1772478000.25


def record(
    msg: str = "hello %s",
    args: tuple[Any, ...] = ("world",),
    *,
    level: int = logging.INFO,
    extra: dict[str, Any] | None = None,
    exc_info: Any = None,
) -> logging.LogRecord:
    rec = logging.getLogger("certquest.test").makeRecord(
        "certquest.test", level, __file__, 1, msg, args, exc_info, extra=extra
    )
    rec.created = CREATED
    rec.msecs = 250.0
    return rec


def boom() -> Any:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        return sys.exc_info()


# --- text ----------------------------------------------------------------------------------


def test_text_is_ts_level_logger_message_then_context() -> None:
    line = KeyValueFormatter().format(record(extra={"guild": 7, "user": 42, "id": 99}))
    assert line == (
        "2026-03-02T19:00:00.250Z INFO certquest.test hello world guild=7 user=42 id=99"
    )


def test_text_quotes_values_that_would_break_the_pairs() -> None:
    line = KeyValueFormatter().format(
        record(
            "interaction",
            (),
            extra={
                "command": "quiz start",
                "q": 'say "hi"',
                "eq": "a=b",
                "nl": "two\nlines",
                "empty": "",
                "none": None,
                "flag": True,
            },
        )
    )
    assert line.endswith(
        'interaction command="quiz start" q="say \\"hi\\"" eq="a=b" nl="two\\nlines" '
        'empty="" none=- flag=true'
    )
    assert "\n" not in line


def test_text_keeps_an_event_on_one_line_and_the_traceback_below() -> None:
    line = KeyValueFormatter().format(
        record(
            "failed:\n%s", ("details",), level=logging.ERROR, extra={"ref": "ab12"}, exc_info=boom()
        )
    )
    first, *rest = line.splitlines()
    assert first == "2026-03-02T19:00:00.250Z ERROR certquest.test failed:\\ndetails ref=ab12"
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "thing" and rest[-2] == "ValueError: bad"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12, "12"),
        ("abc", "abc"),
        ("a b", '"a b"'),
        ("back\\slash", '"back\\\\slash"'),
        (False, "false"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


# --- json ----------------------------------------------------------------------------------


def test_json_is_one_object_per_line_with_the_context() -> None:
    line = JsonFormatter().format(
        record(extra={"user": 42, "guild": None, "command": "quiz start", "ids": (1, 2)})
    )
    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "2026-03-02T19:00:00.250Z",
        "level": "INFO",
        "logger": "certquest.test",
        "msg": "hello world",
        "user": 42,
        "guild": None,
        "command": "quiz start",
        "ids": [1, 2],
    }


def test_json_carries_the_traceback_and_never_lets_context_hide_a_field() -> None:
    line = JsonFormatter().format(
        record(
            "failed",
            (),
            level=logging.ERROR,
            extra={"level": "mine", "ts": 1, "obj": object()},
            exc_info=boom(),
        )
    )
    event = json.loads(line)
    assert "\n" not in line
    assert (event["level"], event["ctx_level"], event["ctx_ts"]) == ("ERROR", "mine", 1)
    assert event["ts"] == "2026-03-02T19:00:00.250Z"
    assert event["exc"].startswith("Traceback") and "ValueError: bad\nthing" in event["exc"]
    assert event["obj"].startswith("<object object")


def test_make_formatter_knows_two_formats() -> None:
    assert isinstance(make_formatter("text"), KeyValueFormatter)
    assert isinstance(make_formatter("json"), JsonFormatter)
    with pytest.raises(ValueError, match="text or json"):
        make_formatter("xml")


# --- configure_logging -------------------------------------------------------------------


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with its handlers and level put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configure_logging_writes_the_chosen_format(root_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out, force=True)
    logging.getLogger("bot.x").info("ready", extra={"shard": 1})
    logging.getLogger("bot.x").debug("not at INFO")
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["shard"] == 1 and json.loads(line)["msg"] == "ready"

    again = io.StringIO()
    configure_logging("WARNING", "text", stream=again)  # replaces its own handler only
    logging.getLogger("bot.x").warning("careful", extra={"user": 5})
    assert out.getvalue().count("\n") == 1
    assert re.fullmatch(r"\S+Z WARNING bot\.x careful user=5\n", again.getvalue())
    assert logging.getLogger("sqlalchemy.engine").level == logging.WARNING


def test_configure_logging_leaves_someone_elses_handlers_alone(
    root_logger: logging.Logger,
) -> None:
    for handler in root_logger.handlers[:]:
        root_logger.removeHandler(handler)
    theirs = logging.StreamHandler(io.StringIO())
    root_logger.addHandler(theirs)
    configure_logging("INFO", "json", stream=io.StringIO())
    assert root_logger.handlers == [theirs]  # as logging.basicConfig does


# --- LOG_FORMAT ----------------------------------------------------------------------------


def test_log_format_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert load_settings(_env_file=None).log_format == "json"
    monkeypatch.delenv("LOG_FORMAT")
    assert load_settings(_env_file=None).log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match=r"^Invalid setting LOG_FORMAT: must be text or json$"):
        load_settings(_env_file=None)


# --- cogs.core.telemetry ------------------------------------------------------------------------


def fake_interaction(kind: discord.InteractionType, data: Any, guild_id: int | None) -> Any:
    return SimpleNamespace(
        type=kind,
        data=data,
        user=SimpleNamespace(id=42),
        guild_id=guild_id,
        channel_id=77,
        id=1001,
    )


GUILD_ON_SHARD_1 = (5 << 22) + 123  # (guild_id >> 22) % 2 == 1


def test_a_slash_command_is_logged_with_its_full_name_and_shard() -> None:
    data = {
        "name": "quiz",
        "type": 1,
        "options": [{"type": 1, "name": "start", "options": [{"name": "exam", "value": "x"}]}],
    }
    context = interaction_context(
        fake_interaction(discord.InteractionType.application_command, data, GUILD_ON_SHARD_1), 2
    )
    assert context == {
        "type": "application_command",
        "command": "quiz start",
        "custom_id": None,
        "user": 42,
        "guild": GUILD_ON_SHARD_1,
        "channel": 77,
        "id": 1001,
        "shard": 1,
    }
    line = KeyValueFormatter().format(record("interaction", (), extra=context))
    assert line.endswith(
        'interaction type=application_command command="quiz start" custom_id=- user=42 '
        f"guild={GUILD_ON_SHARD_1} channel=77 id=1001 shard=1"
    )


def test_a_button_in_a_dm_is_logged_with_its_custom_id_on_shard_0() -> None:
    data = {"custom_id": "cq:remind:quiz:network", "component_type": 2}
    context = interaction_context(
        fake_interaction(discord.InteractionType.component, data, None), 2
    )
    assert (context["type"], context["command"], context["custom_id"]) == (
        "component",
        None,
        "cq:remind:quiz:network",
    )
    assert (context["guild"], context["shard"]) == (None, 0)


def test_command_names_and_shards() -> None:
    group = {
        "name": "admin",
        "options": [
            {"type": 2, "name": "bank", "options": [{"type": 1, "name": "import", "options": []}]}
        ],
    }
    assert command_name(group) == "admin bank import"
    assert command_name({"name": "profile", "options": [{"type": 6, "name": "member"}]}) == (
        "profile"
    )
    assert command_name(None) is None
    assert shard_of(GUILD_ON_SHARD_1, 2) == 1
    assert shard_of(GUILD_ON_SHARD_1, None) == 0  # one shard
    assert shard_of(None, 4) == 0  # DMs
