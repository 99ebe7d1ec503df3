"""Discord's message limits, and packing long lists into embeds that respect them.

Pure helpers shared by the profile, achievements, stats and leaderboard renderers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import discord

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CHOICES_MAX = 25
CHOICE_MAX = 100
CUSTOM_ID_MAX = 100

BLURPLE = discord.Colour(0x5865F2)
GREEN = discord.Colour(0x57F287)
GOLD = discord.Colour(0xF5B53B)
RED = discord.Colour(0xED4245)
GREY = discord.Colour(0x99AAB5)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut."""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_name(name: str, limit: int = 32) -> str:
    """A user-supplied name made safe for markdown and cut to ``limit`` characters."""
    cleaned = " ".join(name.split()) or "?"
    return discord.utils.escape_markdown(clip(cleaned, limit), as_needed=False)


def limit_problems(embed: discord.Embed) -> list[str]:
    """Every Discord embed limit ``embed`` breaks (empty when it can be sent)."""
    problems: list[str] = []
    if embed.title and len(embed.title) > TITLE_MAX:
        problems.append(f"title is {len(embed.title)} > {TITLE_MAX}")
    if embed.description and len(embed.description) > DESCRIPTION_MAX:
        problems.append(f"description is {len(embed.description)} > {DESCRIPTION_MAX}")
    if len(embed.fields) > FIELDS_MAX:
        problems.append(f"{len(embed.fields)} fields > {FIELDS_MAX}")
    for i, field in enumerate(embed.fields):
        if not field.name or len(field.name) > FIELD_NAME_MAX:
            problems.append(f"field {i} name has {len(field.name or '')} characters")
        if not field.value or len(field.value) > FIELD_VALUE_MAX:
            problems.append(f"field {i} value has {len(field.value or '')} characters")
    if embed.footer.text and len(embed.footer.text) > FOOTER_MAX:
        problems.append(f"footer is {len(embed.footer.text)} > {FOOTER_MAX}")
    if len(embed) > EMBED_TOTAL_MAX:
        problems.append(f"embed total is {len(embed)} > {EMBED_TOTAL_MAX}")
    return problems


@dataclass(frozen=True, slots=True)
class Section:
    """A titled list of lines, shown as one field (or several, when it is long)."""

    title: str
    lines: tuple[str, ...]


def _chunks(section: Section) -> list[tuple[str, str]]:
    """(field name, field value) pairs for one section, each value ≤ FIELD_VALUE_MAX."""
    out: list[tuple[str, str]] = []
    current: list[str] = []
    size = 0
    for raw in section.lines:
        line = clip(raw, FIELD_VALUE_MAX)
        extra = len(line) + (1 if current else 0)
        if current and size + extra > FIELD_VALUE_MAX:
            out.append(("\n".join(current), ""))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        out.append(("\n".join(current), ""))
    title = clip(section.title, FIELD_NAME_MAX - 10) or "\u200b"
    named: list[tuple[str, str]] = []
    for i, (value, _) in enumerate(out):
        named.append((title if i == 0 else f"{title} (cont.)", value))
    return named


def pack_sections(
    sections: Sequence[Section], *, budget: int, max_fields: int = FIELDS_MAX
) -> list[list[tuple[str, str]]]:
    """Split sections into pages of fields: each page has ≤ ``max_fields`` fields whose names
    and values add up to ≤ ``budget`` characters (the room the title, description and footer
    leave). A section longer than one field continues in a "(cont.)" field."""
    pages: list[list[tuple[str, str]]] = [[]]
    used = 0
    for section in sections:
        for name, value in _chunks(section):
            size = len(name) + len(value)
            page = pages[-1]
            if page and (len(page) >= max_fields or used + size > budget):
                pages.append([])
                used = 0
            pages[-1].append((name, value))
            used += size
    return pages if pages[0] else [[]]


def percent(share: float) -> str:
    """A share of 0.0–1.0 as a whole percent, rounded down (99.6 % is not 100 %)."""
    return f"{math.floor(share * 100 + 1e-9)}%"
