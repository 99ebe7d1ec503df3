"""CompTIA exam objectives, shipped with the package (a copy of the shared reference data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


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

    @property
    def short_name(self) -> str:
        return SHORT_NAMES[self.exam_type]

    def objective(self, objective_id: str) -> Objective | None:
        for domain in self.domains:
            for objective in domain.objectives:
                if objective.id == objective_id:
                    return objective
        return None

    def domain_of(self, objective_id: str) -> Domain | None:
        prefix = objective_id.split(".", 1)[0] + ".0"
        return next((d for d in self.domains if d.number == prefix), None)


SHORT_NAMES: dict[str, str] = {
    "a1101": "A+ Core 1",
    "a1102": "A+ Core 2",
    "network": "Network+",
    "security": "Security+",
}


@cache
def exams() -> dict[str, Exam]:
    raw = json.loads(resources.files("db").joinpath("data/comptia_objectives.json").read_text())
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
        result[e["exam_type"]] = Exam(e["exam_type"], e["code"], e["name"], domains)
    return result
