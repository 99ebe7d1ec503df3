"""The one exam registry: every exam CertQuest teaches, from the project's copy of the CompTIA
objectives (``db/data/comptia_objectives.json``, a copy of the shared reference data).

Everything about an exam is read from here: its type and code, its name, its domains,
weights and objectives, its passing score and length, and its lifecycle (launch, retirement,
successor). The models' CHECK lists, the cogs' choices, the CLI and the CSV validation all
read it, so a new exam or a retirement is a change of data, not of code.

An exam is *retired* once its retirement date has passed; retired exams stay playable and
keep their history, but are not offered by default and are always named with their date.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

VENDOR_PREFIX = "CompTIA "


@dataclass(frozen=True, slots=True)
class Objective:
    id: str
    title: str
    domain: str


@dataclass(frozen=True, slots=True)
class Domain:
    number: str
    title: str
    weight: int
    objectives: tuple[Objective, ...]


@dataclass(frozen=True, slots=True)
class Exam:
    exam_type: str
    code: str
    name: str
    domains: tuple[Domain, ...]
    passing_score: int = 700
    scale: tuple[int, int] = (100, 900)
    max_questions: int = 90
    duration_minutes: int = 90
    launched: dt.date | None = None
    retires_on: dt.date | None = None
    successor: str | None = None

    @property
    def short_name(self) -> str:
        """``A+ Core 1``, ``Network+``: the name without the vendor."""
        return self.name.removeprefix(VENDOR_PREFIX)

    @property
    def label(self) -> str:
        """``Security+ (SY0-701)``: the name and the code, so nobody studies the wrong version."""
        return f"{self.short_name} ({self.code})"

    def retired(self, today: dt.date | None = None) -> bool:
        return self.retires_on is not None and self.retires_on <= (today or _today())

    def display(self, today: dt.date | None = None) -> str:
        """The label, with ``(retired 2025-09-25)`` once the exam is retired."""
        if self.retired(today) and self.retires_on is not None:
            return f"{self.label} (retired {self.retires_on.isoformat()})"
        return self.label

    def objective(self, objective_id: str) -> Objective | None:
        for domain in self.domains:
            for objective in domain.objectives:
                if objective.id == objective_id:
                    return objective
        return None

    def domain_of(self, objective_id: str) -> Domain | None:
        prefix = objective_id.split(".", 1)[0] + ".0"
        return next((d for d in self.domains if d.number == prefix), None)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


@cache
def catalogue() -> dict[str, Any]:
    """The objectives file as data (``seeds.bank_quality`` checks the bank against it)."""
    text = resources.files("db").joinpath("data/comptia_objectives.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def exams() -> dict[str, Exam]:
    """Every exam, in the data's order (the spec's four first)."""
    raw = catalogue()
    result: dict[str, Exam] = {}
    for e in raw["exams"]:
        domains = tuple(
            Domain(
                number=d["number"],
                title=d["title"],
                weight=int(d["weight"]),
                objectives=tuple(
                    Objective(id=o["id"], title=o["title"], domain=d["number"])
                    for o in d["objectives"]
                ),
            )
            for d in e["domains"]
        )
        life = e.get("lifecycle") or {}
        scale = e.get("scale") or [100, 900]
        result[e["exam_type"]] = Exam(
            exam_type=e["exam_type"],
            code=e["code"],
            name=e["name"],
            domains=domains,
            passing_score=int(e.get("passing_score", 700)),
            scale=(int(scale[0]), int(scale[1])),
            max_questions=int(e.get("max_questions", 90)),
            duration_minutes=int(e.get("duration_minutes", 90)),
            launched=_date(life.get("launched")),
            retires_on=_date(life.get("retired")),
            successor=life.get("successor"),
        )
    return result


EXAM_TYPES: tuple[str, ...] = tuple(exams())
"""Every exam type a row may name (the models' CHECK lists); retired ones included."""

SHORT_NAMES: dict[str, str] = {t: e.short_name for t, e in exams().items()}


def current_exam_types(today: dt.date | None = None) -> tuple[str, ...]:
    return tuple(t for t, e in exams().items() if not e.retired(today))


def retired_exam_types(today: dt.date | None = None) -> tuple[str, ...]:
    return tuple(t for t, e in exams().items() if e.retired(today))


def exam_label(exam_type: str | None, today: dt.date | None = None) -> str:
    """How an exam is named anywhere it is shown: ``Security+ (SY0-701)``,
    ``A+ Core 1 (220-1101) (retired 2025-09-25)``; the raw type if unknown."""
    if exam_type is None:
        return "?"
    exam = exams().get(exam_type)
    return exam.display(today) if exam is not None else exam_type
