"""Time rules shared by the services: every time CertQuest handles is time-zone aware."""

from __future__ import annotations

import datetime as dt


def require_aware(when: dt.datetime) -> None:
    """Refuse a naive datetime: a study day or a deadline needs to know its time zone."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("now must be a time-zone aware datetime")
