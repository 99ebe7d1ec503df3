"""The replies of /profile, /achievements, /avatar, /stats, /leaderboard and /account: pure
render functions, checked against Discord's limits with extreme inputs."""

from __future__ import annotations

import datetime as dt
import re

import discord
import pytest

from bot.accounts.service import LinkResult
from bot.core.errors import InvalidInput
from bot.leaderboards.service import LeaderboardEntry, LeaderboardPage
from bot.profile.service import (
    AvatarEntry,
    AvatarInfo,
    EarnedAchievement,
    ProfileCard,
    TimezoneChange,
)
from bot.profile.stats import UserStats as StudyStats
from bot.profile.stats import exam_stats
from bot.progression.achievements import AchievementProgress, UnlockedAchievement, UnlockedAvatar
from bot.progression.levels import level_progress, xp_for
from cogs.account.cog import DeleteCancelButton, DeleteConfirmButton
from cogs.account.render import link_reply, timezone_reply
from cogs.core.embeds import (
    CUSTOM_ID_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    Section,
    limit_problems,
    pack_sections,
    safe_name,
)
from cogs.leaderboard.cog import LeaderboardButton, resolve_state
from cogs.leaderboard.render import BoardState, leaderboard_embed
from cogs.profile.cog import ACHIEVEMENTS_TEMPLATE, AchievementsButton, attachment_name
from cogs.profile.render import (
    achievement_pages,
    avatar_list_embed,
    exam_choice_name,
    level_line,
    no_account_text,
    percent,
    profile_embed,
    progress_bar,
    stats_embed,
)
from db.exams import exams

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
NAME_32 = "Z" * 28 + "_*`~"  # 32 characters, all of them markdown-hostile at the end
LONG = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20  # ~1,140 chars
MAX_SNOWFLAKE = 2**64 - 1


def assert_sendable(embed: discord.Embed) -> None:
    assert limit_problems(embed) == [], limit_problems(embed)


def text_of(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    for f in embed.fields:
        parts += [f.name or "", f.value or ""]
    return "\n".join(parts)


# --- progress bar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "total", "bar"),
    [
        (0, 500, "▱▱▱▱▱▱▱▱▱▱"),
        (49, 500, "▱▱▱▱▱▱▱▱▱▱"),  # 9.8 %: not a whole cell yet
        (50, 500, "▰▱▱▱▱▱▱▱▱▱"),
        (340, 500, "▰▰▰▰▰▰▱▱▱▱"),  # 68 % rounds down to 6 cells
        (499, 500, "▰▰▰▰▰▰▰▰▰▱"),  # full only when the level is done
        (500, 500, "▰▰▰▰▰▰▰▰▰▰"),
        (900, 500, "▰▰▰▰▰▰▰▰▰▰"),  # never overflows
        (-5, 500, "▱▱▱▱▱▱▱▱▱▱"),  # never underflows
        (0, 0, "▰▰▰▰▰▰▰▰▰▰"),  # nothing to do is done
    ],
)
def test_progress_bar_fills_whole_cells_rounding_down(current: int, total: int, bar: str) -> None:
    assert progress_bar(current, total) == bar


def test_progress_bar_has_the_width_asked_for() -> None:
    assert progress_bar(1, 3, width=3) == "▰▱▱"
    assert progress_bar(7, 10, width=0) == ""
    assert all(len(progress_bar(c, 97, width=w)) == w for c in range(0, 98, 7) for w in (5, 10))


def test_the_level_line_counts_xp_inside_the_current_level() -> None:
    # Level 3 starts at 375 XP and takes 295 XP to finish.
    assert level_line(level_progress(375 + 100)) == "▰▰▰▱▱▱▱▱▱▱ 100/295 XP"
    assert level_line(level_progress(0)) == "▱▱▱▱▱▱▱▱▱▱ 0/155 XP"
    start_50 = xp_for(50)
    assert level_line(level_progress(start_50)) == "▱▱▱▱▱▱▱▱▱▱ 0/15,100 XP"


def test_percentages_round_down_so_only_perfect_is_100() -> None:
    assert percent(0.996) == "99%"
    assert percent(1.0) == "100%"
    assert percent(0.29) == "29%"  # 0.29 * 100 is 28.999… in floating point
    assert percent(0.0) == "0%"


# --- /profile ----------------------------------------------------------------------------------


def card(**overrides: object) -> ProfileCard:
    values: dict[str, object] = {
        "user_id": 1,
        "username": "alice",
        "xp": 2_000_000_000,
        "level": level_progress(2_000_000_000),
        "streak_current": 1,
        "streak_longest": 9_999,
        "quizzes_completed": 123_456,
        "questions_answered": 9_999_999,
        "correct_answers": 9_999_998,
        "achievements_earned": 27,
        "achievements_total": 27,
        "latest_achievements": tuple(
            EarnedAchievement("A" * 100, NOW - dt.timedelta(days=i)) for i in range(3)
        ),
        "avatar": AvatarInfo(1, "B" * 100, "legendary", "avatars/grandmaster-griffin.png"),
        "timezone": "America/Argentina/ComodRivadavia",
    }
    values.update(overrides)
    return ProfileCard(**values)  # type: ignore[arg-type]


def test_a_profile_with_extreme_numbers_and_names_fits_discord() -> None:
    embed = profile_embed(card(), NAME_32 * 4, thumbnail="grandmaster-griffin.png")

    assert_sendable(embed)
    assert embed.thumbnail.url == "attachment://grandmaster-griffin.png"
    assert "2,000,000,000 XP in total" in text_of(embed)
    assert "99% (9,999,998/9,999,999)" in text_of(embed)  # not rounded up to 100 %
    assert text_of(embed).count("<t:") == 3


def test_a_new_learners_profile_shows_an_empty_bar_and_no_accuracy() -> None:
    new = card(
        xp=0,
        level=level_progress(0),
        streak_current=0,
        streak_longest=0,
        quizzes_completed=0,
        questions_answered=0,
        correct_answers=0,
        achievements_earned=0,
        latest_achievements=(),
        avatar=None,
    )

    embed = profile_embed(new, "alice")

    assert_sendable(embed)
    fields = {f.name: f.value or "" for f in embed.fields}
    assert fields["Level 1"].startswith("▱▱▱▱▱▱▱▱▱▱ 0/155 XP")
    assert fields["Accuracy"] == "—"
    assert fields["Study streak"].startswith("No streak")
    assert "Finish a quiz" in fields["Latest achievements (0/27)"]
    assert embed.thumbnail.url is None


def test_someone_without_an_account_gets_a_friendly_line() -> None:
    text = no_account_text("**Bob**")
    assert text.startswith("\\*\\*Bob\\*\\* hasn't studied with CertQuest yet")


# --- /achievements -----------------------------------------------------------------------------


def achievement(
    i: int,
    *,
    name: str | None = None,
    category: str | None = "Getting Started",
    description: str = "Complete 10 quizzes.",
    earned: bool = False,
    hidden: bool = False,
    current: int = 7,
    target: int = 10,
) -> AchievementProgress:
    return AchievementProgress(
        id=i,
        name=name or f"Achievement {i}",
        description=description,
        category=category,
        criteria_type="quiz_completed",
        xp_reward=50,
        is_hidden=hidden,
        earned=earned,
        earned_at=NOW - dt.timedelta(days=i) if earned else None,
        current=current,
        target=target,
        display_order=i,
    )


def catalogue_like(
    n: int, *, name_len: int = 32, description: str = LONG
) -> list[AchievementProgress]:
    """``n`` achievements in 9 categories: earned, locked and secret ones, long texts."""
    out = []
    for i in range(1, n + 1):
        out.append(
            achievement(
                i,
                name=(f"{i:02d}" + "N" * name_len)[:name_len],
                category=f"Category {i % 9} " + "C" * 40,
                description=description,
                earned=i % 3 == 0,
                hidden=i % 4 == 0,
            )
        )
    return out


def test_27_achievements_with_32_character_names_fit_one_sendable_embed() -> None:
    items = catalogue_like(27)

    pages = achievement_pages(items, NAME_32)

    for page in pages:
        assert_sendable(page)
    assert len(pages) == 1
    text = text_of(pages[0])
    assert pages[0].description == "**9/27** earned"
    assert len(pages[0].fields) == 9  # one per category
    for a in items:
        if a.secret:
            assert a.name not in text
        else:
            assert f"**{a.name}**" in text


def test_locked_earned_and_secret_achievements_read_differently() -> None:
    items = [
        achievement(1, name="First Steps", earned=True),
        achievement(2, name="Warming Up", current=7, target=10),
        achievement(3, name="Flawless Streak", hidden=True, description="Score 100% 10 times."),
        achievement(4, name="Grandmaster", hidden=True, earned=True),
        achievement(5, name="Over the top", current=15, target=10),
    ]

    (page,) = achievement_pages(items, "alice")
    text = text_of(page)

    stamp = int((NOW - dt.timedelta(days=1)).timestamp())
    assert f"✅ **First Steps** — Complete 10 quizzes. · <t:{stamp}:d>" in text
    assert "🔒 **Warming Up** — Complete 10 quizzes. · `7/10`" in text
    assert "❔ **???** — Secret achievement" in text
    assert "Flawless Streak" not in text and "Score 100% 10 times." not in text
    assert "✅ **Grandmaster**" in text  # a hidden one is revealed once earned
    assert "`10/10`" in text  # progress is capped at the target


def test_achievements_are_grouped_by_category_in_display_order() -> None:
    items = [
        achievement(3, category="Accuracy"),
        achievement(1, category="Getting Started"),
        achievement(2, category=None),
        achievement(4, category="Getting Started"),
    ]

    (page,) = achievement_pages(items, "alice")

    assert [f.name for f in page.fields] == ["Getting Started", "Other", "Accuracy"]
    assert (page.fields[0].value or "").count("\n") == 1


def test_hundreds_of_long_achievements_are_paginated_within_limits() -> None:
    items = catalogue_like(300, name_len=100)

    pages = achievement_pages(items, NAME_32)

    assert len(pages) > 1
    shown = ""
    for i, page in enumerate(pages, start=1):
        assert_sendable(page)
        assert page.footer.text == f"Page {i}/{len(pages)}"
        shown += text_of(page)
    for a in items:  # every achievement is on exactly one page (names cut to 64 characters)
        if not a.secret:
            assert shown.count(f"**{safe_name(a.name, 64)}**") == 1, a.name
    assert shown.count("**???**") == sum(1 for a in items if a.secret)


def test_one_huge_category_continues_in_further_fields() -> None:
    items = [achievement(i, category="Everything", description="D" * 200) for i in range(60)]

    pages = achievement_pages(items, "alice")

    names = [f.name for p in pages for f in p.fields]
    assert names[0] == "Everything" and "Everything (cont.)" in names
    for p in pages:
        assert_sendable(p)


def test_pack_sections_respects_every_limit() -> None:
    sections = [Section("S" * 300, tuple("x" * 2000 for _ in range(10))) for _ in range(30)]

    pages = pack_sections(sections, budget=5000)

    for fields in pages:
        assert 1 <= len(fields) <= 25
        assert sum(len(n) + len(v) for n, v in fields) <= 5000
        assert all(len(n) <= 256 and 0 < len(v) <= FIELD_VALUE_MAX for n, v in fields)


# --- /avatar -----------------------------------------------------------------------------------


def avatar(i: int, **overrides: object) -> AvatarEntry:
    values: dict[str, object] = {
        "id": i,
        "name": f"Avatar {i}",
        "rarity": ("common", "rare", "epic", "legendary")[i % 4],
        "description": LONG,
        "image_url": f"avatars/a{i}.png",
        "unlocked": False,
        "equipped": False,
        "required_achievement": f"Achievement {i}",
        "required_description": LONG,
        "progress": (3, 5),
    }
    values.update(overrides)
    return AvatarEntry(**values)  # type: ignore[arg-type]


def test_the_avatar_list_marks_unlocked_locked_and_secret_ones() -> None:
    avatars = [
        avatar(0, name="Rookie Tech", unlocked=True, equipped=True, required_achievement=None),
        avatar(1, name="Circuit Fox", required_achievement="Warming Up",
               required_description="Complete 5 quizzes."),
        avatar(3, name="Quantum Phoenix", required_achievement=None, requires_secret=True,
               progress=None, required_description=None),
    ]  # fmt: skip

    embed = avatar_list_embed(avatars)
    text = text_of(embed)

    assert_sendable(embed)
    assert "**1/3** unlocked" in text
    assert "✅ **Rookie Tech** · ⭐ equipped" in text
    assert "🔒 **Circuit Fox** — earn **Warming Up** (Complete 5 quizzes.) · `3/5`" in text
    assert "🔒 **Quantum Phoenix** — unlocked by a secret achievement" in text
    assert [f.name for f in embed.fields] == ["⚪ Common", "🔵 Rare", "🟡 Legendary"]


def test_many_avatars_with_long_names_still_fit() -> None:
    avatars = [avatar(i, name=f"{i:03d}" + "V" * 97) for i in range(120)]

    embed = avatar_list_embed(avatars)

    assert_sendable(embed)
    assert embed.footer.text is not None and embed.footer.text.startswith("Showing ")


def test_attachment_names_are_safe_for_attachment_urls() -> None:
    assert attachment_name("avatars/rookie-tech.png") == "rookie-tech.png"
    assert attachment_name("avatars/ünï cödé!.png") == "_n__c_d__.png"
    assert attachment_name("weird") == "weird.png"


# --- /stats ------------------------------------------------------------------------------------


def full_stats(exam_types: tuple[str, ...] = tuple(exams())) -> StudyStats:
    """Every objective of every exam answered, accuracies spread over 0–100 %."""
    per_exam = []
    for exam_type in exam_types:
        exam = exams()[exam_type]
        rows = [
            (o.id, 9_999, (i * 37) % 10_000)
            for i, o in enumerate(o for d in exam.domains for o in d.objectives)
        ]
        rows.append(("9.99", 5, 0))  # an objective the catalogue does not know
        per_exam.append(exam_stats(exam, rows))
    return StudyStats(
        user_id=1,
        answered=sum(e.answered for e in per_exam),
        correct=sum(e.correct for e in per_exam),
        exams=tuple(per_exam),
    )


def test_stats_for_every_exam_with_long_objective_titles_fit_discord() -> None:
    stats = full_stats()

    embed = stats_embed(stats, NAME_32)

    assert_sendable(embed)
    assert len(embed.fields) == 2 * len(exams())  # per exam: domains, weakest objectives
    weakest_fields = [f for f in embed.fields if "weakest" in (f.name or "")]
    for field, exam in zip(weakest_fields, stats.exams, strict=True):
        first = exam.objectives[0]
        assert first.accuracy == min(o.accuracy for o in exam.objectives)
        assert (field.value or "").startswith(f"`{first.objective_id}` ")
        option = "retired_exam" if exams()[exam.exam_type].retired() else "exam"
        suggestion = f"/quiz start {option}:{exam_choice_name(exam.exam_type)} objective:"
        assert f"{suggestion}{first.objective_id}`" in (field.value or "")


def test_stats_for_one_exam_suggest_practising_its_weakest_objective() -> None:
    exam = exams()["security"]
    sec = exam_stats(exam, [("1.1", 4, 3), ("2.2", 4, 1), ("3.1", 2, 1)])
    stats = StudyStats(user_id=1, answered=10, correct=5, exams=(sec,))

    embed = stats_embed(stats, "alice", "security")
    text = text_of(embed)

    assert_sendable(embed)
    assert embed.title == "📊 alice's study stats · Security+ (SY0-701)"
    assert "Overall: **50%** (5/10) correct" in text
    assert "`/quiz start exam:Security+ (SY0-701) objective:2.2`" in text
    lines = next(f.value or "" for f in embed.fields if "weakest" in (f.name or "")).splitlines()
    assert [line.split("`")[1] for line in lines[:3]] == ["2.2", "3.1", "1.1"]


def test_stats_of_a_retired_exam_name_its_retirement_and_suggest_the_successor() -> None:
    exam = exams()["a1101"]
    old = exam_stats(exam, [("1.1", 4, 3), ("2.2", 4, 1)])
    stats = StudyStats(user_id=1, answered=8, correct=4, exams=(old,))

    embed = stats_embed(stats, "alice", "a1101")
    text = text_of(embed)

    assert_sendable(embed)
    assert embed.title == "📊 alice's study stats · A+ Core 1 (220-1101) (retired 2025-09-25)"
    assert "`/quiz start retired_exam:A+ Core 1 (220-1101) (retired 2025-09-25) objective:2.2`" in (
        text
    )
    assert "220-1101 retired on 2025-09-25; study its successor: " in text
    assert "`/quiz start exam:A+ Core 1 (220-1201)`" in text


def test_stats_with_nothing_answered_say_how_to_start() -> None:
    empty = StudyStats(user_id=1, answered=0, correct=0, exams=())
    one_exam = StudyStats(
        user_id=1, answered=0, correct=0, exams=(exam_stats(exams()["network"], []),)
    )

    assert "haven't answered any questions yet" in (stats_embed(empty, "a").description or "")
    text = stats_embed(one_exam, "a", "network").description or ""
    assert "No Network+ (N10-009) answers yet" in text and "exam:Network+ (N10-009)" in text


# --- /leaderboard ------------------------------------------------------------------------------


def entry(rank: int, *, viewer: bool = False, value: float = 1_234_567) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=rank,
        user_id=rank,
        username=("*_`~|" * 20)[:100],
        discord_id=MAX_SNOWFLAKE,
        value=value,
        quizzes=99_999,
        is_viewer=viewer,
    )


def board_page(**overrides: object) -> LeaderboardPage:
    values: dict[str, object] = {
        "board": "xp",
        "scope_guild_id": None,
        "period": "week",
        "exam_type": None,
        "period_start": dt.date(2026, 3, 2),
        "resets_at": dt.datetime(2026, 3, 9, tzinfo=dt.UTC),
        "page": 99_999,
        "page_count": 99_999,
        "total_entries": 999_990,
        "entries": tuple(entry(999_980 + i) for i in range(10)),
        "viewer": entry(5, viewer=True),
        "around_viewer": tuple(entry(3 + i, viewer=i == 2) for i in range(5)),
    }
    values.update(overrides)
    return LeaderboardPage(**values)  # type: ignore[arg-type]


def test_a_leaderboard_page_with_long_names_and_the_viewer_elsewhere_fits() -> None:
    embed = leaderboard_embed(board_page(), "🏠 " + "G" * 100)

    assert_sendable(embed)
    assert embed.title == "🏆 XP · This week"
    assert (embed.description or "").count("\n") == 11  # scope line, blank line, ten entries
    assert "resets <t:1773014400:R>" in (embed.description or "")
    (mine,) = [f for f in embed.fields if f.name == "Your rank"]
    assert (mine.value or "").count("⬅️ you") == 1
    assert embed.footer.text == "Page 99,999/99,999 · 999,990 ranked"


def test_the_top_three_get_medals_and_the_viewer_is_marked_on_the_page() -> None:
    entries = tuple(entry(r, viewer=r == 2, value=100 - r) for r in (1, 2, 2, 4))
    page = board_page(page=1, page_count=1, total_entries=4, entries=entries,
                      viewer=entries[1], around_viewer=())  # fmt: skip

    embed = leaderboard_embed(page, "🌐 Global")
    lines = (embed.description or "").splitlines()[2:]

    assert [line.split(" ")[0] for line in lines] == ["🥇", "🥈", "🥈", "`#4`"]
    assert lines[1].endswith("— 98 XP  ⬅️ you")
    assert embed.fields == []


def test_exam_and_streak_boards_show_their_own_units() -> None:
    exam_entry = LeaderboardEntry(1, 1, "ann", 1, 87.25, 4, False)
    exam_page = board_page(board="exam", exam_type="network", period="all", resets_at=None,
                           entries=(exam_entry,), viewer=None, around_viewer=())  # fmt: skip
    streak_entry = LeaderboardEntry(1, 1, "ann", 1, 1, 0, False)
    streak_page = board_page(board="streak", entries=(streak_entry,))

    exam_embed = leaderboard_embed(exam_page, "🌐 Global")
    assert exam_embed.title == "🏆 Network+ (N10-009) exam scores · All time"
    assert "— 87.25% avg · 4 quizzes" in (exam_embed.description or "")
    assert "at least 3 Network+ (N10-009) quizzes" in (exam_embed.fields[0].value or "")
    assert "resets" not in (exam_embed.description or "")
    assert "— 1 day" in (leaderboard_embed(streak_page, "x").description or "")


def test_an_empty_board_invites_people_to_play() -> None:
    page = board_page(entries=(), viewer=None, around_viewer=(), total_entries=0, page=1,
                      page_count=1)  # fmt: skip

    embed = leaderboard_embed(page, "🌐 Global")

    assert "Nobody is on this board yet" in (embed.description or "")
    assert "You're not on this board yet" in (embed.fields[0].value or "")


def test_leaderboard_buttons_carry_their_state_in_a_short_custom_id() -> None:
    longest = BoardState(MAX_SNOWFLAKE, "exam", "global", "month", "security", 999_999)

    custom_id = longest.custom_id()

    assert len(custom_id) <= CUSTOM_ID_MAX
    assert custom_id == f"cq:lb:{MAX_SNOWFLAKE}:exam:global:month:security:999999"
    assert BoardState.parse(custom_id) == longest
    assert LeaderboardButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    xp = BoardState(42, "xp", "server", "all", None, 3)
    assert xp.custom_id() == "cq:lb:42:xp:server:all:-:3"
    assert BoardState.parse(xp.custom_id()) == xp
    assert BoardState.parse("cq:lb:42:gold:server:all:-:3") is None


def test_leaderboard_options_default_sensibly_and_refuse_the_impossible() -> None:
    assert resolve_state(7, 99, None, None, None, None) == BoardState(7, "xp", "server", "all",
                                                                      None, 1)  # fmt: skip
    assert resolve_state(7, None, None, None, None, None).scope == "global"  # in DMs
    assert resolve_state(7, 99, None, None, "week", "network").board == "exam"
    assert resolve_state(7, 99, "xp", None, None, "network").exam_type is None
    with pytest.raises(InvalidInput, match="direct messages"):
        resolve_state(7, None, "xp", "server", None, None)
    with pytest.raises(InvalidInput, match="needs an exam"):
        resolve_state(7, 99, "exam", None, None, None)


# --- other custom ids --------------------------------------------------------------------------


def test_every_custom_id_stays_under_100_characters() -> None:
    ach = AchievementsButton(MAX_SNOWFLAKE, MAX_SNOWFLAKE, 10_000_000, "Next")
    delete = DeleteConfirmButton(MAX_SNOWFLAKE)
    cancel = DeleteCancelButton(MAX_SNOWFLAKE)

    for item in (ach, delete, cancel):
        assert len(item.custom_id) <= CUSTOM_ID_MAX
    assert delete.custom_id == f"cq:del:{MAX_SNOWFLAKE}"
    assert cancel.custom_id == f"cq:delc:{MAX_SNOWFLAKE}"
    assert re.fullmatch(ACHIEVEMENTS_TEMPLATE, ach.custom_id)
    # The confirm template does not swallow the cancel button (and the other way round).
    assert not DeleteConfirmButton.__discord_ui_compiled_template__.fullmatch(cancel.custom_id)
    assert not DeleteCancelButton.__discord_ui_compiled_template__.fullmatch(delete.custom_id)


# --- /account ----------------------------------------------------------------------------------


def test_a_link_reply_lists_what_the_merge_unlocked() -> None:
    result = LinkResult(
        linked=True,
        message="Linked to webby. Your Discord progress was merged into it.",
        xp=1_234,
        level=5,
        achievements=(UnlockedAchievement(1, "Warming Up", "d", "Getting Started", 50, False),),
        avatars=(UnlockedAvatar(4, "Circuit Fox", "rare", "avatars/circuit-fox.png"),),
    )

    text = link_reply(result)

    assert text.splitlines() == [
        "Linked to webby. Your Discord progress was merged into it.",
        "You're level 5 with 1,234 XP.",
        "🏅 Earned **Warming Up** (+50 XP)",
        "🎭 Unlocked the rare avatar **Circuit Fox**",
    ]
    failed = LinkResult(linked=False, message="That email and password don't match.")
    assert link_reply(failed) == "That email and password don't match."


def test_a_timezone_reply_shows_the_local_time_and_the_moved_reminder() -> None:
    from zoneinfo import ZoneInfo

    change = TimezoneChange(
        old="UTC",
        new="Asia/Kolkata",
        local_time=NOW.astimezone(ZoneInfo("Asia/Kolkata")),
        remind_next_at=dt.datetime(2026, 3, 2, 13, 30, tzinfo=dt.UTC),
    )

    text = timezone_reply(change)

    assert "**Asia/Kolkata** (was UTC). It's 20:30 on Mon 02 Mar there." in text
    assert "<t:1772458200:R>" in text
    assert len(text) <= 2000


def test_embed_totals_are_what_discord_counts() -> None:
    embed = discord.Embed(title="t" * 10, description="d" * 20)
    embed.add_field(name="n" * 5, value="v" * 7)
    embed.set_footer(text="f" * 3)
    assert len(embed) == 45 <= EMBED_TOTAL_MAX
    embed.add_field(name="x", value="y" * 6000)
    assert len(limit_problems(embed)) == 2  # the field value and the total


# --- the commands themselves -------------------------------------------------------------------


async def test_the_three_extensions_register_commands_discord_accepts() -> None:
    from discord.ext import commands

    from cogs.account import cog as account
    from cogs.leaderboard import cog as leaderboard
    from cogs.profile import cog as profile

    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    for module in (profile, leaderboard, account):
        await module.setup(bot)

    assert set(bot.cogs) == {"Profile", "Leaderboard", "Account"}
    payloads = {c.name: c.to_dict(bot.tree) for c in bot.tree.get_commands()}
    assert set(payloads) == {"profile", "achievements", "avatar", "stats", "leaderboard", "account"}

    def walk(options: list[dict[str, object]], path: str) -> list[str]:
        found = []
        for option in options:
            name = f"{path} {option['name']}"
            assert 1 <= len(str(option["description"])) <= 100, name
            assert len(option.get("choices", []) or []) <= 25, name  # type: ignore[arg-type]
            found.append(name)
            found += walk(option.get("options", []) or [], name)  # type: ignore[arg-type]
        return found

    names = []
    for name, payload in payloads.items():
        assert 1 <= len(payload["description"]) <= 100, name
        names += walk(payload.get("options", []), name)
    assert {
        "profile member", "profile share", "achievements member", "achievements share",
        "avatar list", "avatar equip", "avatar equip name", "stats exam", "stats share",
        "leaderboard board", "leaderboard scope", "leaderboard period", "leaderboard exam",
        "account link", "account password", "account timezone", "account timezone tz",
        "account delete",
    } <= set(names)  # fmt: skip


def test_timezone_autocomplete_offers_at_most_25_real_zones() -> None:
    from cogs.account.cog import timezone_suggestions

    assert timezone_suggestions("")[0] == "UTC"
    for typed in ("", "a", "america", "local", "fact", "x" * 500):
        names = timezone_suggestions(typed)
        assert len(names) <= 25 and all(len(n) <= 100 for n in names)
        assert "localtime" not in names and "Factory" not in names
    assert timezone_suggestions("berl") == ["Europe/Berlin"]
