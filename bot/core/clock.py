"""Time rules shared by the services: every time CertQuest handles is time-zone aware.

The rule itself is written once, in ``db.utc`` (the database layer needs it too); this module
is where the bot's code imports it from.
"""

from __future__ import annotations

from db.utc import as_aware, require_aware, to_utc, utcnow

__all__ = ["as_aware", "require_aware", "to_utc", "utcnow"]
