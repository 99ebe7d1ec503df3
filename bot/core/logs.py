"""Logging: one line per event, key=value context (guild, user, interaction ids).

Two formats, stdlib only (``LOG_FORMAT``):

* ``text`` (default)::

    2026-03-02T19:00:00.123Z INFO cogs.core.telemetry interaction type=component user=42 guild=7

  ``ts level logger msg`` and then the record's context as ``key=value`` pairs, values with
  spaces, quotes or ``=`` in double quotes. A message's own line breaks are escaped so an
  event stays on one line; a traceback follows on the next lines, for humans.
* ``json``: one JSON object per line (``ts``, ``level``, ``logger``, ``msg``, the context
  keys, ``exc`` with the traceback), for a log shipper.

Context is what a call passes in ``extra``: ``log.info("interaction", extra={"user": 42,
"guild": 7})``. Any attribute that is not one of ``logging.LogRecord``'s own is context.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

# attributes every LogRecord has (plus the two Formatter.format adds): not context
_RECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
_BASE_KEYS = ("ts", "level", "logger", "msg")
_NEEDS_QUOTES = frozenset(' "=\\\n\r\t')


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The record's ``extra`` context, in the order it was given."""
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS and k[:1] != "_"}


def timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. ``2026-03-02T19:00:00.123Z``."""
    when = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def format_value(value: Any) -> str:
    """A context value for ``key=value``: bare when it can be, else a quoted string."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and not _NEEDS_QUOTES.intersection(text):
        return text
    return '"' + _one_line(text).replace('"', '\\"').replace("\t", "\\t") + '"'


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


class KeyValueFormatter(logging.Formatter):
    """``ts level logger msg key=value…`` on one line; a traceback on the lines after."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [timestamp(record), record.levelname, record.name, _one_line(record.getMessage())]
        parts += [f"{key}={format_value(value)}" for key, value in context_of(record).items()]
        line = " ".join(parts)
        extra = self._exception_text(record)
        return f"{line}\n{extra}" if extra else line

    def _exception_text(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        text = record.exc_text or ""
        if record.stack_info:
            text = f"{text}\n{self.formatStack(record.stack_info)}" if text else record.stack_info
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, context, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in context_of(record).items():
            event[f"ctx_{key}" if key in _BASE_KEYS else key] = _json_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exc"] = record.exc_text
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def make_formatter(log_format: str = "text") -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return KeyValueFormatter()
    raise ValueError(f"unknown log format {log_format!r} (text or json)")


def configure_logging(
    level: str, log_format: str = "text", *, stream: TextIO | None = None, force: bool = False
) -> None:
    """Log to stderr (the container's log) at ``level`` in ``log_format``.

    Like ``logging.basicConfig``, it leaves a root logger that already has someone else's
    handlers alone (pytest's, a host application's) unless ``force``; calling it again
    replaces the handler it installed before.
    """
    root = logging.getLogger()
    for old in root.handlers[:]:
        if getattr(old, "_certquest", False) or force:
            root.removeHandler(old)
    # discord.py's gateway chatter is useful at DEBUG only.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # alembic announces each autogenerate plugin it registers, at import
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if root.handlers:
        return
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler._certquest = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
