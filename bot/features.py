"""Wiring the features' protocols (``bot.core.hooks``) at start: the one place that knows
which feature implements what. The bot, the CLI and the tests call ``register()``."""

from __future__ import annotations

from bot.core.hooks import hooks
from bot.reminders import store as reminder_store


def register() -> None:
    """Idempotent: registering twice changes nothing."""
    hooks.next_reminder_after_study = reminder_store.next_after_study
    hooks.on_timezone_changed(reminder_store.reschedule_for_timezone)
