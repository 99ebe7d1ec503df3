"""Members' IANA time zones: validation and the autocomplete every feature offers."""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.clock import require_aware
from bot.core.errors import InvalidInput

log = logging.getLogger(__name__)


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def validate_timezone(name: str) -> str:
    """The canonical IANA name for ``name`` (case-insensitive), or ``InvalidInput``."""
    cleaned = name.strip()
    canonical = _zone_names().get(cleaned.lower(), cleaned)
    if not is_valid_timezone(canonical):
        raise InvalidInput(
            f"`{cleaned[:64]}` is not a time zone I know. Pick one from the list, "
            "e.g. `Europe/Berlin` or `America/New_York`."
        )
    return canonical


_LEGACY_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")


def timezone_choices(query: str, *, limit: int = 25) -> list[str]:
    """Autocomplete for the ``timezone`` option: names containing ``query``, prefix matches
    first; legacy aliases only when typed explicitly. Discord shows at most 25 choices."""
    q = query.strip().lower().replace(" ", "_")
    names = sorted(_zone_names().values())
    if not q:
        names = [n for n in names if "/" in n and not n.startswith(_LEGACY_PREFIXES)]
        return (["UTC", *names])[:limit]
    hits = [n for n in names if q in n.lower()]
    if not any(n.lower().startswith(q) for n in hits if n.startswith(_LEGACY_PREFIXES)):
        hits = [n for n in hits if not n.startswith(_LEGACY_PREFIXES)] or hits

    def rank(name: str) -> tuple[int, str]:
        low = name.lower()
        city = low.rsplit("/", 1)[-1]
        return (0 if low.startswith(q) or city.startswith(q) else 1, name)

    return sorted(hits, key=rank)[:limit]


DEFAULT_TIMEZONE = "UTC"


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_valid_timezone(name: str) -> bool:
    return bool(name) and _zone(name) is not None


def resolve_timezone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC (with a warning) for an empty or unknown name."""
    zone = _zone(name) if name else None
    if zone is None:
        if name and name != DEFAULT_TIMEZONE:
            log.warning("unknown time zone, using UTC", extra={"timezone": name})
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return zone


def local_date(when: dt.datetime, tz_name: str | None) -> dt.date:
    """The calendar date of the instant ``when`` (must be time-zone aware) in ``tz_name``."""
    require_aware(when)
    return when.astimezone(resolve_timezone(tz_name)).date()


def local_instant(day: dt.date, timezone: str | None, hour: int = 0) -> dt.datetime:
    """``hour:00`` of local date ``day`` in ``timezone``, in UTC. DST: a wall time that does
    not exist (spring forward) is read with the offset before the gap, so it lands just after
    it on the same day; an ambiguous one is its first occurrence (``fold=0``)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=resolve_timezone(timezone)).astimezone(
        dt.UTC
    )
