"""Idempotent, updating seeds: avatars, achievements and the bundled question bank.

Rows are matched by their unique name (questions by exam type and external id), inserted or
updated in place, never deleted, so re-seeding can change texts without touching what users
have earned.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import insert
from db.exams import EXAM_TYPES
from db.models import Achievement, Avatar
from db.quiz.questions import upsert_questions
from seeds.catalog import ACHIEVEMENTS, AVATARS, badge_path
from seeds.questions_csv import parse_questions

log = logging.getLogger(__name__)

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


@dataclass(frozen=True, slots=True)
class SeedReport:
    achievements: int
    avatars: int
    questions: int


class SeedError(Exception):
    pass


async def seed_catalog(session: AsyncSession) -> tuple[int, int]:
    avatar_rows = [
        {
            "name": a.name,
            "description": a.description,
            "image_url": a.image_path,
            "is_default": a.is_default,
            "rarity": a.rarity,
            "display_order": a.display_order,
        }
        for a in AVATARS
    ]
    stmt = insert(session, Avatar).values(avatar_rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={c: stmt.excluded[c] for c in avatar_rows[0] if c != "name"},
        )
    )
    achievement_rows = [
        {
            "name": a.name,
            "description": a.description,
            "badge_icon_url": badge_path(a.name),
            "criteria_type": a.criteria_type,
            "criteria_value": a.criteria_value,
            "xp_reward": a.xp_reward,
            "display_order": a.display_order,
            "is_hidden": a.is_hidden,
            "exam_type": a.exam_type,
            "category": a.category,
        }
        for a in ACHIEVEMENTS
    ]
    stmt2 = insert(session, Achievement).values(achievement_rows)
    await session.execute(
        stmt2.on_conflict_do_update(
            index_elements=["name"],
            set_={c: stmt2.excluded[c] for c in achievement_rows[0] if c != "name"},
        )
    )
    avatar_ids = {name: id_ for name, id_ in await session.execute(select(Avatar.name, Avatar.id))}
    achievement_ids = {
        name: id_ for name, id_ in await session.execute(select(Achievement.name, Achievement.id))
    }
    for avatar in AVATARS:
        achievement_id = achievement_ids[avatar.unlocked_by] if avatar.unlocked_by else None
        await session.execute(
            update(Avatar)
            .where(Avatar.id == avatar_ids[avatar.name])
            .values(required_achievement_id=achievement_id)
        )
    unlocks = {a.unlocked_by: a.name for a in AVATARS if a.unlocked_by}
    for achievement in ACHIEVEMENTS:
        avatar_name = unlocks.get(achievement.name)
        await session.execute(
            update(Achievement)
            .where(Achievement.id == achievement_ids[achievement.name])
            .values(unlocks_avatar_id=avatar_ids[avatar_name] if avatar_name else None)
        )
    return len(ACHIEVEMENTS), len(AVATARS)


def bank_files(directory: Path = QUESTIONS_DIR) -> list[Path]:
    """The bank: one ``<exam_type>.csv`` per exam of the registry (other files are not
    questions, e.g. the reviewed similar pairs)."""
    return [p for p in sorted(directory.glob("*.csv")) if p.stem in EXAM_TYPES]


def _read_bank(directory: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in bank_files(directory)]


async def seed_questions(session: AsyncSession, directory: Path = QUESTIONS_DIR) -> int:
    total = 0
    for name, data in await asyncio.to_thread(_read_bank, directory):
        rows, problems = parse_questions(data)
        if problems:
            raise SeedError(f"{name}: " + "; ".join(str(p) for p in problems[:5]))
        total += await upsert_questions(session, rows)
    return total


async def seed_all(session: AsyncSession) -> SeedReport:
    achievements, avatars = await seed_catalog(session)
    questions = await seed_questions(session)
    await session.flush()
    log.info(
        "seeded",
        extra={"achievements": achievements, "avatars": avatars, "questions": questions},
    )
    return SeedReport(achievements, avatars, questions)
