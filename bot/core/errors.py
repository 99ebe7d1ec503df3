"""Errors whose message is safe and useful to show a user (ephemerally)."""

from __future__ import annotations


class BotError(Exception):
    """A rule said no. ``user_message`` is shown to the user as is."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class NotFound(BotError):
    pass


class NotAllowed(BotError):
    pass


class InvalidInput(BotError):
    pass


class Conflict(BotError):
    pass


class RateLimited(BotError):
    pass
