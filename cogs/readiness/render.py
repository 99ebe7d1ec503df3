"""How readiness looks in Discord."""

from __future__ import annotations

import discord

from bot.readiness.rules import NotEnoughEvidence
from bot.readiness.service import ReadinessView
from cogs.core.embeds import percent
from cogs.core.exams import quiz_suggestion
from db.exams import exam_label, exams

GREEN = discord.Colour(0x57F287)
AMBER = discord.Colour(0xF5B53B)
GREY = discord.Colour(0x99AAB5)


def readiness_embed(view: ReadinessView) -> discord.Embed:
    label = exam_label(view.exam_type)
    result = view.result
    if isinstance(result, NotEnoughEvidence):
        lines = [
            "I can't estimate your score honestly yet. What's missing:",
            *(f"• {m}" for m in result.missing),
            "",
            f"Practise with {quiz_suggestion(view.exam_type)}.",
        ]
        return discord.Embed(
            title=f"🎯 Readiness · {label}", description="\n".join(lines), colour=GREY
        )
    low, high = result.band
    ready = result.score >= result.passing_score
    lines = [
        f"Estimated score **{result.score}** (likely {low}–{high}) on the "
        f"{exams()[view.exam_type].scale[0]}–{exams()[view.exam_type].scale[1]} scale.",
        f"Passing score: **{result.passing_score}** · chance of passing today: "
        f"**{percent(result.pass_probability)}**",
    ]
    if view.cards_due:
        lines.append(f"🔁 {view.cards_due} review card(s) are due: `/review exam:{label}`")
    lines.append("-# An estimate from your answers; CompTIA publishes no score mapping.")
    embed = discord.Embed(
        title=f"🎯 Readiness · {label}",
        description="\n".join(lines),
        colour=GREEN if ready else AMBER,
    )
    for d in result.domains[:10]:
        objective = view.practise.get(d.number)
        suggestion = quiz_suggestion(view.exam_type, objective) if objective else ""
        value = (
            f"{percent(d.estimate)} (likely {percent(d.low)}–{percent(d.high)}) from "
            f"{d.answered} answer(s) · weight {d.weight} %\n➡️ {suggestion}"
        )
        embed.add_field(name=f"`{d.number}` {d.title}"[:256], value=value[:1024], inline=False)
    return embed
