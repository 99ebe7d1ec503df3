"""What each ``certquest`` sub-command does (bot/cli.py parses; this acts)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path

from bot.core.settings import Settings
from db.engine import create_engine, create_sessionmaker, unit_of_work
from db.exams import catalogue, exams
from db.migrate import downgrade_to, upgrade_to_head
from db.quiz.questions import all_questions, count_by_objective, upsert_questions
from seeds import bank_quality as quality
from seeds.loader import seed_all
from seeds.questions_csv import parse_questions, write_questions

log = logging.getLogger(__name__)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


async def prepare_database(settings: Settings) -> None:
    """Upgrade the schema and seed: what a first run on SQLite needs, and what `migrate` does."""
    await upgrade_to_head(settings.database_url)
    await db_seed(settings, quiet=True)


async def run_bot(settings: Settings) -> int:
    from bot.app import run

    if settings.is_sqlite:
        await prepare_database(settings)
    return await run(settings)


async def sync_commands(settings: Settings) -> int:
    from bot.app import sync_global

    count = await sync_global(settings)
    _out(f"Synced {count} commands globally (Discord may take a moment to show them).")
    return 0


async def db_upgrade(settings: Settings) -> int:
    await upgrade_to_head(settings.database_url)
    _out("Database schema is up to date.")
    return 0


async def db_downgrade(settings: Settings, revision: str) -> int:
    await downgrade_to(settings.database_url, revision)
    _out(f"Database schema downgraded to {revision}.")
    return 0


async def db_seed(settings: Settings, *, quiet: bool = False) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            report = await seed_all(session)
    finally:
        await engine.dispose()
    if not quiet:
        _out(
            f"Seeded {report.achievements} achievements, {report.avatars} avatars, "
            f"{report.questions} questions."
        )
    return 0


async def questions_import(settings: Settings, file: Path) -> int:
    try:
        data = await asyncio.to_thread(file.read_bytes)
    except OSError as exc:
        _err(f"Cannot read {file}: {exc.strerror}")
        return 2
    rows, problems = parse_questions(data)
    if problems:
        _err(f"{file}: {len(problems)} problem(s); nothing was imported.")
        for problem in problems:
            _err(f"  {file}:{problem}")
        return 1
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            written = await upsert_questions(session, rows)
    finally:
        await engine.dispose()
    _out(f"Imported {written} questions from {file} (existing ids updated).")
    return 0


async def questions_export(settings: Settings, exam: str | None, output: Path | None) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            rows = await all_questions(session, exam)
    finally:
        await engine.dispose()
    text = write_questions(rows)
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        _out(f"Wrote {len(rows)} questions to {output}.")
    return 0


async def questions_stats(settings: Settings) -> int:
    """Per exam: questions per domain against the weights, and the bank's quality gates
    (docs/question-review.md) for the current exams."""
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            counts = await count_by_objective(session)
            bank = await all_questions(session)
    finally:
        await engine.dispose()
    raw = {e["exam_type"]: e for e in catalogue()["exams"]}
    by_exam: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    objectives_hit: dict[str, int] = defaultdict(int)
    for exam_type, objective, n in counts:
        exam = exams().get(exam_type)
        domain = exam.domain_of(objective) if exam else None
        by_exam[exam_type][domain.number if domain else "?"] += n
        objectives_hit[exam_type] += 1
    for exam_type, exam in exams().items():
        total = sum(by_exam[exam_type].values())
        n_objectives = sum(len(d.objectives) for d in exam.domains)
        _out(
            f"{exam.short_name} ({exam_type}, {exam.code}): {total} questions, "
            f"{objectives_hit[exam_type]}/{n_objectives} objectives covered"
        )
        for domain in exam.domains:
            n = by_exam[exam_type].get(domain.number, 0)
            share = f"{100 * n / total:4.0f} %" if total else "   - "
            _out(
                f"  {domain.number} {domain.title:<45} {n:4d}  {share}  (weight {domain.weight} %)"
            )
        items = [quality.item_from_question(r) for r in bank if r.exam_type == exam_type]
        if not items:
            continue
        report = quality.check_exam(exam_type, items, raw[exam_type], current=not exam.retired())
        figures = report.figures
        single = sum(figures["letters"].values()) or 1
        letters = " ".join(f"{k} {100 * v / single:.0f} %" for k, v in figures["letters"].items())
        rated = {k: v for k, v in figures["difficulty"].items() if k is not None}
        longest = 100 * figures["longest_key"] / single
        _out(
            f"  keys: {letters} · key strictly longest {longest:.0f} %"
            f" · difficulty {dict(sorted(rated.items()))}"
        )
        if exam.retired():
            _out(f"  retired {exam.retires_on}: gates apply to current exams only")
        elif report.problems:
            for problem in report.problems:
                _out(f"  GATE FAILED: {problem}")
        else:
            _out("  gates: all passed")
    return 0


async def reminders_sweep(settings: Settings, now: dt.datetime | None, dry_run: bool) -> int:
    from bot.reminders.cli import run_sweep_cli

    return await run_sweep_cli(
        settings.database_url, settings.discord_token, settings.discord_api_base, now, dry_run
    )


def health_check(settings: Settings, max_age: float = 60.0, *, now: float | None = None) -> int:
    """``certquest health``: 0 when HEALTH_FILE was touched within ``max_age`` seconds (the
    bot touches it every 30 s while connected, and removes it when it stops), 1 when it is
    missing or stale, 2 when HEALTH_FILE is not set."""
    path = settings.health_file
    if path is None:
        _err("HEALTH_FILE is not set: the bot writes no heartbeat to check.")
        return 2
    try:
        touched = path.stat().st_mtime
    except FileNotFoundError:
        _err(f"unhealthy: no heartbeat at {path} (not connected yet, or stopped)")
        return 1
    age = (time.time() if now is None else now) - touched
    if age > max_age:
        _err(f"unhealthy: heartbeat at {path} is {age:.0f} s old (limit {max_age:.0f} s)")
        return 1
    _out(f"healthy: heartbeat at {path} is {max(age, 0):.0f} s old")
    return 0
