"""Tables added by the progression core (accounts, quiz recording, achievements).

``link_attempts`` is the throttle of ``/link``: one row per attempt to link a Discord user to a
web account. Failed rows in the last 15 minutes are counted (at most 5 allowed); rows carry no
email or password. There is deliberately no foreign key to ``users``: the throttle belongs to the
Discord identity, which may not have an account yet, and must survive account deletion.
See docs/progression.md.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Index, Integer, false
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class LinkAttempt(Base):
    __tablename__ = "link_attempts"
    __table_args__ = (
        Index("ix_link_attempts_discord_id_attempted_at", "discord_id", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discord_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    attempted_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    succeeded: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false(), default=False
    )
