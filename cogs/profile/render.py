"""How profiles, achievements, avatars and study stats look in Discord. Rendering only.

Every function is pure: plain dataclasses in, ``discord.Embed`` (or text) out, always within
Discord's limits (see ``cogs.core.embeds``).
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.profile.service import AvatarEntry, ProfileCard
from bot.profile.stats import ExamStats, ObjectiveStats, UserStats
from bot.progression.achievements import AchievementProgress
from bot.progression.levels import LevelProgress
from cogs.core.embeds import (
    BLURPLE,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    GOLD,
    GREEN,
    TITLE_MAX,
    Section,
    clip,
    pack_sections,
    safe_name,
)
from cogs.core.embeds import percent as percent
from cogs.core.exams import exam_choice_name as exam_choice_name
from cogs.core.exams import exam_choices as exam_choices
from cogs.core.exams import quiz_suggestion as quiz_suggestion
from db.exams import exam_label, exams

BAR_WIDTH = 10
BAR_FULL = "▰"
BAR_EMPTY = "▱"
RARITY_ORDER = ("common", "rare", "epic", "legendary")
RARITY_ICONS = {"common": "⚪", "rare": "🔵", "epic": "🟣", "legendary": "🟡"}
WEAKEST_SHOWN = 5
OTHER_CATEGORY = "Other"
NAME_LIMIT = 32
"""Characters of a user's name shown in titles and lines."""


# --- small pieces --------------------------------------------------------------------------






def progress_bar(current: int, total: int, width: int = BAR_WIDTH) -> str:
    """``▰▰▰▱▱▱▱▱▱▱``: ``current/total`` rounded down to whole cells (full only when done)."""
    if width <= 0:
        return ""
    filled = width if total <= 0 else max(0, min(width, current * width // total))
    return BAR_FULL * filled + BAR_EMPTY * (width - filled)


def level_line(level: LevelProgress) -> str:
    """``▰▰▰▱▱▱▱▱▱▱ 340/500 XP``: XP into the current level over the XP the level takes."""
    into, needed = level.into_level, level.needed
    return f"{progress_bar(into, needed)} {into:,}/{needed:,} XP"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def no_account_text(name: str) -> str:
    return (
        f"{safe_name(name, NAME_LIMIT)} hasn't studied with CertQuest yet. "
        "Invite them to a quiz with `/quiz start`!"
    )


# --- /profile ------------------------------------------------------------------------------


def profile_embed(
    card: ProfileCard, name: str, *, thumbnail: str | None = None, own: bool = True
) -> discord.Embed:
    """The ``/profile`` card. ``thumbnail`` is the attached avatar's file name, if any."""
    title = clip(f"🎓 {safe_name(name, NAME_LIMIT)} · Level {card.level.level:,}", TITLE_MAX)
    embed = discord.Embed(title=title, colour=BLURPLE)
    lvl = card.level
    embed.add_field(
        name=f"Level {lvl.level:,}",
        value=(
            f"{level_line(lvl)}\n"
            f"{card.xp:,} XP in total · {lvl.remaining:,} to level {lvl.level + 1:,}"
        ),
        inline=False,
    )
    streak = "🔥 " + plural(card.streak_current, "day") if card.streak_current else "No streak"
    embed.add_field(
        name="Study streak", value=f"{streak}\nBest: {plural(card.streak_longest, 'day')}"
    )
    embed.add_field(name="Quizzes", value=f"{card.quizzes_completed:,}")
    embed.add_field(name="Questions answered", value=f"{card.questions_answered:,}")
    accuracy = card.accuracy
    embed.add_field(
        name="Accuracy",
        value=(
            f"{percent(accuracy)} ({card.correct_answers:,}/{card.questions_answered:,})"
            if accuracy is not None
            else "—"
        ),
    )
    if card.avatar is not None:
        rarity = f" ({card.avatar.rarity})" if card.avatar.rarity else ""
        icon = RARITY_ICONS.get(card.avatar.rarity or "", "🎭")
        embed.add_field(name="Avatar", value=clip(f"{icon} {card.avatar.name}{rarity}", 200))
    if card.latest_achievements:
        lines = [
            f"🏅 **{safe_name(a.name, 64)}** · {discord.utils.format_dt(a.earned_at, 'R')}"
            for a in card.latest_achievements
        ]
    else:
        hint = "Finish a quiz to earn your first one." if own else "None yet."
        lines = [hint]
    embed.add_field(
        name=f"Latest achievements ({card.achievements_earned}/{card.achievements_total})",
        value=clip("\n".join(lines), FIELD_VALUE_MAX),
        inline=False,
    )
    if thumbnail:
        embed.set_thumbnail(url=f"attachment://{thumbnail}")
    footer = "More: /achievements · /stats · /avatar list" if own else "CertQuest profile"
    embed.set_footer(text=footer)
    return embed


# --- /achievements -------------------------------------------------------------------------


def achievement_line(a: AchievementProgress) -> str:
    if a.secret:
        return f"❔ **{a.display_name}** — {a.display_description}"
    name = safe_name(a.name, 64)
    description = clip(a.description, 90)
    if a.earned and a.earned_at is not None:
        return f"✅ **{name}** — {description} · {discord.utils.format_dt(a.earned_at, 'd')}"
    return f"🔒 **{name}** — {description} · `{a.shown_current:,}/{a.target:,}`"


def achievement_sections(achievements: Sequence[AchievementProgress]) -> list[Section]:
    """One section per category, categories in the order they first appear."""
    grouped: dict[str, list[str]] = {}
    ordered = sorted(achievements, key=lambda a: (a.display_order, a.id))
    for a in ordered:
        grouped.setdefault(a.category or OTHER_CATEGORY, []).append(achievement_line(a))
    return [Section(title, tuple(lines)) for title, lines in grouped.items()]


def achievement_pages(
    achievements: Sequence[AchievementProgress], name: str
) -> list[discord.Embed]:
    """``/achievements``: one embed per page (usually one), grouped by category."""
    earned = sum(1 for a in achievements if a.earned)
    title = clip(f"🏅 {safe_name(name, NAME_LIMIT)}'s achievements", TITLE_MAX)
    if not achievements:
        return [discord.Embed(title=title, description="No achievements exist yet.", colour=GOLD)]
    description = f"**{earned}/{len(achievements)}** earned"
    footer_room = 40
    budget = EMBED_TOTAL_MAX - len(title) - len(description) - footer_room
    pages = pack_sections(achievement_sections(achievements), budget=budget)
    embeds: list[discord.Embed] = []
    for i, fields in enumerate(pages, start=1):
        embed = discord.Embed(title=title, description=description, colour=GOLD)
        for field_name, value in fields:
            embed.add_field(name=field_name, value=value, inline=False)
        if len(pages) > 1:
            embed.set_footer(text=f"Page {i}/{len(pages)}")
        embeds.append(embed)
    return embeds


# --- /avatar -------------------------------------------------------------------------------


def avatar_line(a: AvatarEntry) -> str:
    name = safe_name(a.name, 64)
    if a.unlocked:
        return f"✅ **{name}**" + (" · ⭐ equipped" if a.equipped else "")
    if a.requires_secret:
        return f"🔒 **{name}** — unlocked by a secret achievement"
    if a.required_achievement:
        how = f"earn **{safe_name(a.required_achievement, 64)}**"
        if a.required_description:
            how += f" ({clip(a.required_description, 80)})"
        if a.progress is not None:
            how += f" · `{a.progress[0]:,}/{a.progress[1]:,}`"
        return f"🔒 **{name}** — {how}"
    return f"🔒 **{name}** — not available yet"


def avatar_list_embed(avatars: Sequence[AvatarEntry]) -> discord.Embed:
    unlocked = sum(1 for a in avatars if a.unlocked)
    equipped = next((a for a in avatars if a.equipped), None)
    description = f"**{unlocked}/{len(avatars)}** unlocked · equip one with `/avatar equip`"
    if equipped is not None:
        description += f"\nEquipped: **{safe_name(equipped.name, 64)}**"
    embed = discord.Embed(title="🎭 Your avatars", description=description, colour=BLURPLE)
    order = {r: i for i, r in enumerate(RARITY_ORDER)}
    by_rarity: dict[str, list[str]] = {}
    for a in sorted(avatars, key=lambda a: order.get(a.rarity or "", len(order))):
        by_rarity.setdefault(a.rarity or "other", []).append(avatar_line(a))
    sections = [
        Section(f"{RARITY_ICONS.get(r, '🎭')} {r.capitalize()}", tuple(lines))
        for r, lines in by_rarity.items()
    ]
    footer_room = 60
    budget = EMBED_TOTAL_MAX - len(embed.title or "") - len(description) - footer_room
    pages = pack_sections(sections, budget=budget)
    for field_name, value in pages[0]:
        embed.add_field(name=field_name, value=value, inline=False)
    if len(pages) > 1:
        shown = sum(v.count("\n") + 1 for _, v in pages[0])
        embed.set_footer(text=f"Showing {shown} of {len(avatars)} avatars")
    return embed


def equipped_embed(name: str, rarity: str | None, *, thumbnail: str | None) -> discord.Embed:
    rarity_text = f" ({rarity})" if rarity else ""
    embed = discord.Embed(
        description=clip(f"Equipped **{safe_name(name, 64)}**{rarity_text}.", 4096), colour=GREEN
    )
    if thumbnail:
        embed.set_thumbnail(url=f"attachment://{thumbnail}")
    return embed


# --- /stats --------------------------------------------------------------------------------


def _accuracy_text(correct: int, answered: int) -> str:
    if answered <= 0:
        return "not started"
    return f"**{percent(correct / answered)}** ({correct:,}/{answered:,})"




def successor_line(exam_type: str) -> str | None:
    """For a retired exam: when it retired and what replaced it."""
    exam = exams().get(exam_type)
    if exam is None or not exam.retired() or exam.retires_on is None:
        return None
    line = f"🔁 {exam.code} retired on {exam.retires_on.isoformat()}"
    if exam.successor in exams():
        line += f"; study its successor: {quiz_suggestion(exam.successor)}"
    return line


def _objective_line(o: ObjectiveStats) -> str:
    return f"`{o.objective_id}` {clip(o.title, 60)}: {_accuracy_text(o.correct, o.answered)}"


def exam_sections(exam: ExamStats) -> list[Section]:
    short = exam_label(exam.exam_type)
    domains = tuple(
        f"{progress_bar(d.correct, d.answered, 5) if d.answered else BAR_EMPTY * 5} "
        f"`{d.number}` {clip(d.title, 45)}: {_accuracy_text(d.correct, d.answered)}"
        for d in exam.domains
    )
    head = f"{short}: {percent(exam.accuracy)} ({exam.correct:,}/{exam.answered:,})"
    sections = [Section(f"📚 {head} · by domain", domains or ("No domains.",))]
    weakest = [_objective_line(o) for o in exam.objectives[:WEAKEST_SHOWN]]
    if exam.objectives:
        weak = exam.objectives[0]
        weakest.append(f"➡️ Practise it: {quiz_suggestion(exam.exam_type, weak.objective_id)}")
    successor = successor_line(exam.exam_type)
    if successor:
        weakest.append(successor)
    if exam.not_started:
        weakest.append(f"🆕 {plural(len(exam.not_started), 'objective')} not practised yet")
    if weakest:
        sections.append(Section(f"🎯 {short} · weakest objectives first", tuple(weakest)))
    return sections


def stats_embed(stats: UserStats, name: str, exam_type: str | None = None) -> discord.Embed:
    """``/stats``: accuracy per domain, weakest objectives first, what to practise next."""
    scope = f" · {exam_label(exam_type)}" if exam_type else ""
    title = clip(f"📊 {safe_name(name, NAME_LIMIT)}'s study stats{scope}", TITLE_MAX)
    if stats.answered <= 0:
        if exam_type:
            text = (
                f"No {exam_label(exam_type)} answers yet. "
                f"Start with {quiz_suggestion(exam_type)}!"
            )
        else:
            text = "You haven't answered any questions yet. Start with `/quiz start`!"
        return discord.Embed(title=title, description=text, colour=BLURPLE)
    description = (
        f"Overall: {_accuracy_text(stats.correct, stats.answered)} correct\n"
        "Weakest objectives come first: practise those to climb fastest."
    )
    embed = discord.Embed(title=title, description=description, colour=BLURPLE)
    sections = [s for e in stats.exams if e.answered for s in exam_sections(e)]
    footer_room = 60
    budget = EMBED_TOTAL_MAX - len(title) - len(description) - footer_room
    pages = pack_sections(sections, budget=budget)
    for field_name, value in pages[0]:
        embed.add_field(name=field_name, value=value, inline=False)
    if len(pages) > 1:
        embed.set_footer(text="More exams than fit here: pick one with /stats exam:")
    return embed
