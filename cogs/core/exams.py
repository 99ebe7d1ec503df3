"""How the Discord adapters name the exams of the one registry (``db.exams``)."""

from __future__ import annotations

from discord import app_commands

from db.exams import SHORT_NAMES, exams


def exam_choice_name(exam_type: str) -> str:
    """How ``/quiz start`` names an exam in its choices, e.g. ``Security+ (SY0-701)``."""
    exam = exams().get(exam_type)
    short = SHORT_NAMES.get(exam_type, exam_type)
    return f"{short} ({exam.code})" if exam else short


def exam_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=exam_choice_name(e), value=e) for e in exams()]
