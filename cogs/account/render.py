"""What the /account commands answer. Rendering only; no secret ever reaches these texts."""

from __future__ import annotations

import discord

from bot.accounts.service import LinkResult
from bot.profile.service import TimezoneChange
from cogs.core.embeds import clip, safe_name

CONTENT_MAX = 2000

DELETE_PROMPT = (
    "⚠️ **Delete your CertQuest account?**\n"
    "This permanently deletes your XP, level, streaks, quiz history, achievements and "
    "avatars, on Discord and on the web app. It can't be undone."
)
DELETE_DONE = "Your CertQuest account and all its data were deleted. Thanks for studying with us!"
DELETE_CANCELLED = "Cancelled: nothing was deleted."
NOT_YOUR_BUTTON = "This button isn't for you. Run /account delete to manage your own account."
PASSWORDS_DIFFER = "The two passwords don't match. Nothing was changed; try again."


def link_reply(result: LinkResult) -> str:
    """The outcome of ``/account link`` (the service's message, then what the merge unlocked)."""
    lines = [result.message]
    if result.linked and not result.already_linked:
        lines.append(f"You're level {result.level:,} with {result.xp:,} XP.")
    for a in result.achievements:
        lines.append(f"🏅 Earned **{safe_name(a.name, 64)}** (+{a.xp_reward:,} XP)")
    for av in result.avatars:
        rarity = f"{av.rarity} " if av.rarity else ""
        lines.append(f"🎭 Unlocked the {rarity}avatar **{safe_name(av.name, 64)}**")
    return clip("\n".join(lines), CONTENT_MAX)


def password_reply(username: str) -> str:
    return clip(
        f"🔑 The web password of **{safe_name(username, 64)}** was changed.",
        CONTENT_MAX,
    )


def timezone_reply(change: TimezoneChange) -> str:
    local = change.local_time.strftime("%H:%M on %a %d %b")
    lines = [
        f"🕒 Time zone set to **{change.new}**"
        + (f" (was {change.old})." if change.old != change.new else ".")
        + f" It's {local} there.",
        "Your study days (and streaks) follow this time zone from now on.",
    ]
    if change.remind_next_at is not None:
        lines.append(
            "Your daily reminder moved with it: next check "
            f"{discord.utils.format_dt(change.remind_next_at, 'R')}."
        )
    return clip("\n".join(lines), CONTENT_MAX)
