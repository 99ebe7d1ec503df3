"""How quiz data looks in Discord: embeds and button rows. No rules here, only rendering."""

from __future__ import annotations

import discord

from bot.quiz.rules import LETTERS, names_line
from bot.quiz.service import QuestionView, QuizResults, RevealView
from db.exams import exam_label

BLURPLE = discord.Colour(0x5865F2)
GREEN = discord.Colour(0x57F287)
GOLD = discord.Colour(0xF5B53B)
MEDALS = ("🥇", "🥈", "🥉")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def domain_number(objective: str) -> str:
    """``2.3`` → ``2.0``: the domain an objective belongs to."""
    return objective.split(".", 1)[0] + ".0" if objective else "?"


def question_title(v: QuestionView) -> str:
    """Exam and domain only: the objective (and its title) would point at the answer, so the
    reveal names it, never the question."""
    domain = domain_number(v.objective)
    return f"Question {v.number}/{v.total} · {exam_label(v.exam_type)} · domain {domain}"


def reveal_title(v: QuestionView) -> str:
    return f"Question {v.number}/{v.total} · {exam_label(v.exam_type)} · objective {v.objective}"


def question_embed(v: QuestionView) -> discord.Embed:
    lines = [f"**{v.text}**", ""]
    lines += [f"**{letter}.** {v.options[letter]}" for letter in LETTERS]
    if v.deadline is not None:
        lines += ["", f"⏱️ Answers close {discord.utils.format_dt(v.deadline, 'R')}"]
    embed = discord.Embed(title=question_title(v), description="\n".join(lines), colour=BLURPLE)
    footer = "Pick A, B, C or D. Your first answer counts."
    if v.mode == "solo":
        footer = "Solo practice · pick A, B, C or D"
    embed.set_footer(text=footer)
    return embed


def reveal_embed(r: RevealView) -> discord.Embed:
    v = r.question
    lines = [f"**{v.text}**", "", f"📘 *{v.objective} {_clip(v.objective_title, 200)}*"]
    embed = discord.Embed(title=reveal_title(v), description="\n".join(lines), colour=GREEN)
    for share in r.shares:
        mark = "✅" if share.letter == r.correct else "❌"
        name = f"{mark} {share.letter}. {_clip(v.options[share.letter], 200)}"
        if v.mode == "group":
            name = _clip(f"{name} — {share.percent} %", 256)
        embed.add_field(
            name=_clip(name, 256), value=_clip(r.explanations[share.letter], 1024), inline=False
        )
    if v.mode == "group":
        summary = [
            f"**{r.answered}** answered · "
            + " · ".join(f"{s.letter} {s.percent} %" for s in r.shares),
            f"Right: {names_line(r.correct_names)}",
        ]
        if r.fastest_name is not None:
            summary.append(f"⚡ Fastest: {r.fastest_name} ({r.fastest_seconds} s)")
        embed.add_field(name="Results", value=_clip("\n".join(summary), 1024), inline=False)
    return embed


def results_embed(results: QuizResults) -> discord.Embed:
    exam = exam_label(results.exam_type)
    title = f"{exam} quiz — results"
    if results.stopped_early:
        title += f" (stopped after {results.asked}/{results.total})"
    embed = discord.Embed(title=title, colour=GOLD)
    if not results.players:
        embed.description = "Nobody answered this time. Start another with `/quiz start`."
        return embed
    lines: list[str] = []
    for i, p in enumerate(results.players):
        medal = MEDALS[i] if i < len(MEDALS) else f"{i + 1}."
        r = p.result
        parts = [
            f"{medal} **{p.standing.name}** — {p.standing.correct}/{results.asked}",
            f"+{r.xp_gained} XP",
        ]
        if r.new_level > r.old_level:
            parts.append(f"⬆️ level {r.new_level}")
        if r.streak_after > r.streak_before:
            parts.append(f"🔥 {r.streak_after}-day streak")
        lines.append(" · ".join(parts))
    embed.description = _clip("\n".join(lines), 4096)
    unlocks: list[str] = []
    for p in results.players:
        for a in p.result.achievements:
            unlocks.append(f"🏅 {p.standing.name} earned **{a.name}** (+{a.xp_reward} XP)")
        for av in p.result.avatars:
            unlocks.append(f"🎭 {p.standing.name} unlocked the {av.rarity} avatar **{av.name}**")
    if unlocks:
        embed.add_field(name="Unlocked", value=_clip("\n".join(unlocks), 1024), inline=False)
    embed.set_footer(text="See your progress with /profile · play again with /quiz start")
    return embed
