"""How a mock exam looks in Discord: the question screen (no feedback), the review screen, the
result and the answer review. Rendering only; the rules are in ``bot.mockexam``."""

from __future__ import annotations

import datetime as dt

import discord

from bot.mockexam.service import (
    AnswerScreen,
    HistoryLine,
    QuestionScreen,
    ResultScreen,
    ReviewScreen,
)
from cogs.core.embeds import BLURPLE, FIELD_VALUE_MAX, GOLD, GREEN, RED, clip, percent
from db.exams import exams
from db.models import LETTERS


def duration(seconds: int) -> str:
    """``1 h 02 min``, ``41 min 05 s``, ``50 s``."""
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def positions(numbers: tuple[int, ...], limit: int = 40) -> str:
    """``3, 7, 12`` (1-based), cut after ``limit`` with how many more."""
    shown = ", ".join(str(p + 1) for p in numbers[:limit])
    if len(numbers) > limit:
        shown += f" … (+{len(numbers) - limit})"
    return shown or "none"


def _clock(ends_at: dt.datetime) -> str:
    return (
        f"⏱️ Time is up {discord.utils.format_dt(ends_at, 'R')} "
        f"({discord.utils.format_dt(ends_at, 't')})"
    )


def question_embed(s: QuestionScreen) -> discord.Embed:
    item = s.item
    lines = [f"**{item.text}**", ""]
    lines += [f"**{letter}.** {item.options[letter]['text']}" for letter in LETTERS]
    lines.append("")
    if item.chosen:
        lines.append(f"Your answer: **{item.chosen}** (you can change it until you submit)")
    else:
        lines.append("Not answered yet.")
    if item.flagged:
        lines.append("🚩 Flagged for review")
    lines += ["", _clock(s.sitting.ends_at)]
    embed = discord.Embed(
        title=clip(
            f"Mock exam · {s.sitting.label} · question {item.position + 1} of "
            f"{s.sitting.questions}",
            256,
        ),
        description=clip("\n".join(lines), 4096),
        colour=BLURPLE,
    )
    embed.set_footer(
        text=f"Answered {s.answered}/{s.sitting.questions} · flagged {s.flagged} · "
        "no feedback until you submit"
    )
    return embed


def review_embed(r: ReviewScreen) -> discord.Embed:
    unanswered, flagged = r.unanswered, r.flagged
    lines = [
        f"Answered **{r.answered}** of {r.sitting.questions}.",
        f"🚩 Flagged: {positions(flagged)}",
        f"⬜ Unanswered: {positions(unanswered)}",
        "",
        "Pick a question below to go back to it, or submit. "
        "Unanswered questions count as wrong.",
        "",
        _clock(r.sitting.ends_at),
    ]
    return discord.Embed(
        title=clip(f"Mock exam · {r.sitting.label} · review", 256),
        description="\n".join(lines),
        colour=GOLD,
    )


def result_embed(r: ResultScreen) -> discord.Embed:
    res = r.result
    verdict = "✅ **Pass**" if res.passed else "❌ **Not yet**"
    ended = "⏰ Time ran out; your answers were scored." if r.status == "timed_out" else ""
    lines = [
        f"Estimated score **{res.scaled}** on 100–900 · passing score **{res.passing_score}** · "
        f"{verdict}",
        f"**{res.right}/{res.questions}** right ({percent(res.share)}); the passing score needs "
        f"{res.right_needed}. Answered {res.answered}.",
        f"Time used: {duration(r.time_used_seconds)} of {duration(r.sitting.time_limit_seconds)}",
    ]
    if ended:
        lines.insert(0, ended)
    if r.practice is not None:
        extra = f"+{r.practice.xp_gained} XP"
        if r.practice.leveled_up:
            extra += f" · ⬆️ level {r.practice.level}"
        if r.practice.streak:
            extra += f" · 🔥 {r.practice.streak}-day streak"
        lines.append(extra)
    lines += [
        "",
        "*CompTIA publishes no raw-to-scaled mapping; this score maps your share right "
        "linearly onto the scale (see `/readiness`).*",
    ]
    embed = discord.Embed(
        title=clip(f"Mock exam · {r.sitting.label} · result", 256),
        description="\n".join(lines),
        colour=GREEN if res.passed else RED,
    )
    domain_lines = [
        f"**{d.number}** {clip(d.title, 60)} — {d.right}/{d.asked} ({percent(d.share)}) · "
        f"weight {d.weight}%"
        for d in res.domains
        if d.asked
    ]
    embed.add_field(
        name="By domain", value=clip("\n".join(domain_lines), FIELD_VALUE_MAX), inline=False
    )
    if r.misses:
        embed.set_footer(
            text=f"{len(r.misses)} to learn from: review every answer below. "
            "What you missed is in your /review deck."
        )
    return embed


def answer_embed(a: AnswerScreen) -> discord.Embed:
    item = a.item
    exam = exams()[a.sitting.exam_type]
    objective = exam.objective(item.objective)
    if item.chosen is None:
        status = "⬜ Not answered"
    elif a.right:
        status = f"✅ You answered **{item.chosen}**: right"
    else:
        status = f"❌ You answered **{item.chosen}**; the answer is **{item.correct}**"
    lines = [f"**{item.text}**", "", status]
    if objective is not None:
        lines.append(f"📘 *{objective.id} {clip(objective.title, 200)}*")
    embed = discord.Embed(
        title=clip(
            f"Mock exam · {a.sitting.label} · question {item.position + 1} of "
            f"{a.sitting.questions}",
            256,
        ),
        description=clip("\n".join(lines), 4096),
        colour=GREEN if a.right else RED,
    )
    for letter in LETTERS:
        option = item.options[letter]
        mark = "✅" if letter == item.correct else "❌"
        chosen = " ← your answer" if letter == item.chosen else ""
        embed.add_field(
            name=clip(f"{mark} {letter}. {option['text']}{chosen}", 256),
            value=clip(option["explanation"], FIELD_VALUE_MAX),
            inline=False,
        )
    return embed


def history_embed(lines: list[HistoryLine]) -> discord.Embed:
    rows = []
    for h in lines:
        when = discord.utils.format_dt(h.started_at, "d")
        if h.scaled is None:
            rows.append(f"{when} · {h.label} · not scored")
            continue
        verdict = "✅" if h.passed else "❌"
        timed = " · ⏰ timed out" if h.status == "timed_out" else ""
        rows.append(
            f"{when} · {h.label} · **{h.scaled}**/{h.passing_score} {verdict} · "
            f"{h.right}/{h.questions}{timed}"
        )
    embed = discord.Embed(
        title="Your mock exams", description=clip("\n".join(rows), 4096), colour=BLURPLE
    )
    embed.set_footer(text="Pick one below to see its result and review its answers.")
    return embed
