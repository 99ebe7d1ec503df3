"""The one UTC rule of CertQuest: every instant it handles is time-zone aware, stored as UTC.

- ``utcnow()`` is the clock's default.
- ``to_utc(when)`` is how an instant goes in (a parameter, a bind value): a naive datetime is
  refused with ``ValueError`` (it does not say which time zone it means), an aware one is
  converted to UTC.
- ``read_utc(when)`` (``as_aware`` for a nullable value) is how an instant comes back out of
  the database: SQLite returns naive UTC, so a naive value read back *is* UTC.

``bot.core.clock`` re-exports these; nothing else writes its own guard.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def require_aware(when: dt.datetime) -> None:
    """Refuse a naive datetime: a study day or a deadline needs to know its time zone."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("datetimes must be time-zone aware")


def to_utc(when: dt.datetime) -> dt.datetime:
    """``when`` in UTC; refuses a naive datetime."""
    require_aware(when)
    return when.astimezone(dt.UTC)


def read_utc(when: dt.datetime) -> dt.datetime:
    """A datetime read back from the database, as aware UTC (SQLite returns naive UTC)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def as_aware(when: dt.datetime | None) -> dt.datetime | None:
    """``read_utc`` of a nullable column."""
    return None if when is None else read_utc(when)
