"""Events one feature announces and others may react to, through ``bot.dispatch``.

``bot.dispatch("quiz_finished", QuizFinished(...))`` reaches every cog's
``on_quiz_finished`` listener. The payload carries everything a listener needs, so no
listener reaches back into the feature that sent it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

QUIZ_FINISHED = "quiz_finished"


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """One member's stored answer to one question of a finished quiz (``hooks.answers_final``)."""

    user_id: int
    question_id: int
    exam_type: str
    objective: str | None
    correct: bool
    answered_at: dt.datetime
    timezone: str | None = None
    """The member's IANA zone (due dates are days of their calendar); None: look it up."""


@dataclass(frozen=True, slots=True)
class QuizFinished:
    session_id: int
    players: tuple[tuple[int, int], ...]
    """(user id, Discord id) of the players that can still be answered privately."""
    followup_tokens: dict[int, str] = field(default_factory=dict)
    """Discord id → an interaction token still valid for a private follow-up (15 minutes)."""
