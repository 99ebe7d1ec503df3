"""How the Discord adapters name and offer the exams of the one registry (``db.exams``)."""

from __future__ import annotations

from discord import app_commands

from db.exams import current_exam_types, exam_label, exams, retired_exam_types


def exam_choice_name(exam_type: str) -> str:
    """How a command names an exam in its choices: ``Security+ (SY0-701)``, and
    ``A+ Core 1 (220-1101) (retired 2025-09-25)`` for a retired one."""
    return exam_label(exam_type)


def exam_choices(*, retired: bool = False) -> list[app_commands.Choice[str]]:
    """The current exams (default), or the retired ones (the ``retired_exam`` options)."""
    types = retired_exam_types() if retired else current_exam_types()
    return [app_commands.Choice(name=exam_choice_name(t), value=t) for t in types]


def all_exam_choices() -> list[app_commands.Choice[str]]:
    """Every exam, current first: for views of history (stats, leaderboards)."""
    ordered = [*current_exam_types(), *retired_exam_types()]
    return [app_commands.Choice(name=exam_choice_name(t), value=t) for t in ordered if t in exams()]


def quiz_suggestion(exam_type: str, objective_id: str | None = None) -> str:
    """The ``/quiz start`` that practises ``exam_type`` (a retired exam through its option)."""
    option = "retired_exam" if exam_type in retired_exam_types() else "exam"
    text = f"/quiz start {option}:{exam_choice_name(exam_type)}"
    if objective_id:
        text += f" objective:{objective_id}"
    return f"`{text}`"
