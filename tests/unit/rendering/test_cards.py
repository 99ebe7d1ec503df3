"""The rank card and the domain chart (bot/rendering/cards.py): real PNGs, checked pixel by pixel
where
the layout promises something (ground, XP bar, rarity ring, weakest bar), and rendered with
extreme inputs that must not crash. Timing is not tested here: see ``python -m bench.cards``."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.profile.service import AvatarInfo, EarnedAchievement, ProfileCard
from bot.profile.stats import exam_stats
from bot.progression.achievements import AchievementProgress
from bot.progression.levels import level_progress, xp_for
from bot.rendering import cards
from bot.rendering.cards import (
    ACCENT,
    AVATAR_C,
    AVATAR_R,
    CARD_SIZE,
    CHART_MAX_ROWS,
    CHART_WIDTH,
    GROUND,
    MAX_BADGES,
    RING_GAP,
    RING_W,
    TRACK,
    UNSTARTED,
    WEAK,
    XP_BAR_BOX,
    Badge,
    DomainBar,
    DomainChartData,
    RankCardData,
    _laid_out,
    badge,
    chart_height,
    clean_text,
    domain_bar_box,
    domain_chart_from_exam,
    rank_card_from_profile,
    render_domain_chart,
    render_rank_card,
    top_badges,
    weakest_index,
)
from db.exams import exams
from seeds.art import RARITY_COLOURS, asset_path
from seeds.catalog import ACHIEVEMENTS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
BADGE_NAMES = ("Perfectionist", "Week Warrior", "Network Expert", "Grandmaster", "First Steps")


def card(**overrides: object) -> RankCardData:
    values: dict[str, object] = {
        "display_name": "Ada Lovelace",
        "avatar": asset_path("avatars/kernel-kraken.png"),
        "avatar_rarity": "epic",
        "level": 12,
        "xp_into_level": 500,
        "xp_level_span": 1_000,
        "total_xp": 12_345,
        "streak_current": 4,
        "streak_longest": 9,
        "rank": 12,
        "badges": tuple(badge(n) for n in BADGE_NAMES),
        "accuracy": 0.87,
    }
    values.update(overrides)
    return RankCardData(**values)  # type: ignore[arg-type]


def chart(*domains: DomainBar, title: str = "CompTIA Security+") -> DomainChartData:
    return DomainChartData(title, domains)


SECURITY = (
    DomainBar("1.0", "General Security Concepts", 100, 80, 12),
    DomainBar("2.0", "Threats, Vulnerabilities, and Mitigations", 50, 20, 22),
    DomainBar("3.0", "Security Architecture", 40, 30, 18),
    DomainBar("4.0", "Security Operations", 60, 54, 28),
    DomainBar("5.0", "Security Program Management and Oversight", 0, 0, 20),
)


def save(tmp_path: Path, png: bytes, name: str = "out.png") -> Image.Image:
    """Write the PNG as the cog would send it, check it is one, and open it."""
    path = tmp_path / name
    path.write_bytes(png)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    img = Image.open(path)
    img.load()
    return img.convert("RGB")


def middle(box: tuple[int, int, int, int]) -> int:
    return (box[1] + box[3]) // 2


# --- the rank card ---------------------------------------------------------------------------


def test_the_rank_card_is_a_png_of_the_card_size(tmp_path: Path) -> None:
    png = render_rank_card(card())
    img = save(tmp_path, png, "rank.png")

    assert img.size == CARD_SIZE
    assert 10_000 < len(png) < 400_000


def test_the_card_sits_on_the_navy_ground(tmp_path: Path) -> None:
    img = save(tmp_path, render_rank_card(card()))
    w, h = img.size

    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (3, 3)):
        assert img.getpixel(corner) == GROUND


def test_the_xp_bar_is_filled_in_the_accent_colour_up_to_the_progress(tmp_path: Path) -> None:
    img = save(tmp_path, render_rank_card(card(xp_into_level=500, xp_level_span=1_000)))
    x0, _, x1, _ = XP_BAR_BOX
    half, y = x0 + (x1 - x0) // 2, middle(XP_BAR_BOX)

    assert img.getpixel((x0 + 20, y)) == ACCENT
    assert img.getpixel((half - 4, y)) == ACCENT
    assert img.getpixel((half + 4, y)) == TRACK
    assert img.getpixel((x1 - 20, y)) == TRACK


def test_a_new_learner_has_an_empty_bar_and_a_finished_level_a_full_one(tmp_path: Path) -> None:
    x0, _, x1, _ = XP_BAR_BOX
    y = middle(XP_BAR_BOX)
    empty = save(tmp_path, render_rank_card(card(level=1, xp_into_level=0, xp_level_span=155)))
    full = save(tmp_path, render_rank_card(card(xp_into_level=1_000, xp_level_span=1_000)))

    assert {empty.getpixel((x, y)) for x in range(x0 + 14, x1 - 14, 50)} == {TRACK}
    assert {full.getpixel((x, y)) for x in range(x0 + 14, x1 - 14, 50)} == {ACCENT}


def test_a_few_xp_still_show_on_the_bar(tmp_path: Path) -> None:
    img = save(tmp_path, render_rank_card(card(xp_into_level=1, xp_level_span=100_000)))

    assert img.getpixel((XP_BAR_BOX[0] + 1, middle(XP_BAR_BOX))) == ACCENT


@pytest.mark.parametrize("rarity", sorted(RARITY_COLOURS))
def test_the_avatar_ring_has_the_colour_of_its_rarity(tmp_path: Path, rarity: str) -> None:
    img = save(tmp_path, render_rank_card(card(avatar_rarity=rarity)))
    cx, cy = AVATAR_C
    ring = AVATAR_R + RING_GAP + RING_W // 2

    assert img.getpixel((cx, cy - ring)) == RARITY_COLOURS[rarity]
    assert img.getpixel((cx - ring, cy)) == RARITY_COLOURS[rarity]


def test_rendering_is_deterministic_and_leaves_the_caches_untouched() -> None:
    first = render_rank_card(card())
    render_rank_card(card(avatar=None, badges=(), display_name="Someone else"))

    assert render_rank_card(card()) == first


NAMES = [
    pytest.param("W" * 32, id="32-wide"),
    pytest.param("a" * 1_000, id="1000-chars"),
    pytest.param("山田太郎", id="cjk"),
    pytest.param("🔥 Streak Queen 👑✨", id="emoji"),
    pytest.param("🔥🔥🔥", id="only-emoji"),
    pytest.param("👨‍👩‍👧‍👦 family", id="zwj-sequence"),
    pytest.param("محمد علي", id="rtl"),
    pytest.param("Zalgo Z̵̧̛a̶l̸g̷o̴", id="combining"),
    pytest.param("tab\tnew\nline\x00nul\u200bzw", id="control"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("Ünïcödé Ñame ß Ωμέγα Кирилл", id="latin-greek-cyrillic"),
]


@pytest.mark.parametrize("name", NAMES)
def test_any_display_name_renders(tmp_path: Path, name: str) -> None:
    img = save(tmp_path, render_rank_card(card(display_name=name)))

    assert img.size == CARD_SIZE


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(
            {
                "level": 1,
                "xp_into_level": 0,
                "xp_level_span": 155,
                "total_xp": 0,
                "streak_current": 0,
                "streak_longest": 0,
                "rank": None,
                "badges": (),
                "accuracy": None,
            },
            id="brand-new",
        ),
        pytest.param(
            {
                "level": 99,
                "xp_into_level": 59_999,
                "xp_level_span": 60_000,
                "total_xp": xp_for(100) - 1,
                "rank": 1,
            },
            id="level-99",
        ),
        pytest.param(
            {"level": 1_063, "total_xp": 2_000_000_000, "rank": 1_234_567}, id="huge-numbers"
        ),
        pytest.param({"streak_current": 0, "streak_longest": 0}, id="no-streak"),
        pytest.param({"streak_current": 365, "streak_longest": 365}, id="365-day-streak"),
        pytest.param({"streak_current": 0, "streak_longest": 40}, id="broken-streak"),
        pytest.param({"accuracy": 0.0}, id="accuracy-0"),
        pytest.param({"accuracy": 1.0}, id="accuracy-100"),
        pytest.param({"accuracy": 1.7}, id="accuracy-out-of-range"),
        pytest.param({"avatar": None, "avatar_rarity": None}, id="no-avatar"),
        pytest.param({"avatar": Path("/nowhere/avatar.png")}, id="missing-avatar-file"),
        pytest.param({"avatar_rarity": "mythic"}, id="unknown-rarity"),
        pytest.param(
            {"xp_into_level": -5, "xp_level_span": 0, "total_xp": -1, "level": 0, "rank": 0},
            id="nonsense-numbers",
        ),
        pytest.param(
            {"badges": (Badge("Lost", Path("/nowhere/badge.png")),)}, id="missing-badge-file"
        ),
        pytest.param(
            {"badges": tuple(badge("Getting the Hang of It " * 4) for _ in range(9))},
            id="too-many-long-badges",
        ),
    ],
)
def test_extreme_cards_render(tmp_path: Path, overrides: dict[str, object]) -> None:
    img = save(tmp_path, render_rank_card(card(**overrides)))

    assert img.size == CARD_SIZE
    assert img.getpixel((0, 0)) == GROUND


@pytest.mark.parametrize("count", range(MAX_BADGES + 1))
def test_zero_to_five_badges_render(tmp_path: Path, count: int) -> None:
    badges = tuple(badge(a.name) for a in ACHIEVEMENTS[:count])
    assert save(tmp_path, render_rank_card(card(badges=badges))).size == CARD_SIZE


def test_every_catalogue_badge_has_its_picture() -> None:
    for achievement in ACHIEVEMENTS:
        assert badge(achievement.name).image.is_file(), achievement.name


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_names_never_overflow_their_room(name: str) -> None:
    _, width = _laid_out(clean_text(name), 34, True, 300)

    assert width <= 300


@pytest.mark.parametrize("name", ["W" * 32, "a" * 1_000, "Ünïcödé Ñame ß Ωμέγα Кирилл"])
def test_long_names_are_cut_with_an_ellipsis(name: str) -> None:
    runs, width = _laid_out(clean_text(name), 34, True, 300)
    text = "".join(piece for piece, _ in runs)

    assert text.endswith("…") and len(text) > 5
    assert clean_text(name).startswith(text[:-1])
    assert width > 250  # cut where it stops fitting, not earlier


def test_clean_text_drops_control_and_format_characters() -> None:
    assert clean_text("  a\tb\n\nc\u200b\u202ed\x00 ") == "a b cd"
    assert clean_text("x" * 500, limit=10) == "x" * 10


def test_emoji_are_dropped_without_leaving_double_spaces() -> None:
    runs, _ = _laid_out("Alex 🔥 Smith ✨", 20, False, 10_000)

    assert "".join(piece for piece, _ in runs) == "Alex Smith"


# --- building a card from the services -------------------------------------------------------


def profile(**overrides: object) -> ProfileCard:
    xp = overrides.pop("xp", 1_234)
    values: dict[str, object] = {
        "user_id": 1,
        "username": "ada",
        "xp": xp,
        "level": level_progress(int(xp)),  # type: ignore[call-overload]
        "streak_current": 3,
        "streak_longest": 8,
        "quizzes_completed": 10,
        "questions_answered": 100,
        "correct_answers": 87,
        "achievements_earned": 2,
        "achievements_total": 27,
        "latest_achievements": (
            EarnedAchievement("Warming Up", NOW),
            EarnedAchievement("First Steps", NOW - dt.timedelta(days=1)),
        ),
        "avatar": AvatarInfo(4, "Circuit Fox", "rare", "avatars/circuit-fox.png"),
        "timezone": "UTC",
    }
    values.update(overrides)
    return ProfileCard(**values)  # type: ignore[arg-type]


def test_a_profile_card_maps_onto_the_rank_card(tmp_path: Path) -> None:
    data = rank_card_from_profile(profile(), "Ada", rank=7)
    level = level_progress(1_234)

    assert data.display_name == "Ada"
    assert data.avatar == asset_path("avatars/circuit-fox.png") and data.avatar.is_file()
    assert data.avatar_rarity == "rare"
    assert (data.level, data.xp_into_level, data.xp_level_span) == (
        level.level,
        level.into_level,
        level.needed,
    )
    assert (data.total_xp, data.streak_current, data.streak_longest) == (1_234, 3, 8)
    assert data.rank == 7
    assert data.accuracy == pytest.approx(0.87)
    assert [b.name for b in data.badges] == ["Warming Up", "First Steps"]
    assert all(b.image.is_file() for b in data.badges)
    assert save(tmp_path, render_rank_card(data)).size == CARD_SIZE


def test_a_profile_without_avatar_or_answers_still_renders(tmp_path: Path) -> None:
    data = rank_card_from_profile(
        profile(xp=0, avatar=None, questions_answered=0, correct_answers=0), "New"
    )

    assert data.avatar is None and data.accuracy is None and data.rank is None
    assert save(tmp_path, render_rank_card(data)).size == CARD_SIZE


def progress(name: str, xp: int, earned_days_ago: int | None) -> AchievementProgress:
    return AchievementProgress(
        id=hash(name) % 1000,
        name=name,
        description="",
        category=None,
        criteria_type="quiz_completed",
        xp_reward=xp,
        is_hidden=False,
        earned=earned_days_ago is not None,
        earned_at=NOW - dt.timedelta(days=earned_days_ago) if earned_days_ago is not None else None,
        current=0,
        target=1,
    )


def test_top_badges_are_the_earned_ones_worth_most_xp_recent_first() -> None:
    achievements = [
        progress("First Steps", 25, 30),
        progress("Grandmaster", 1_000, None),  # not earned
        progress("Perfectionist", 75, 10),
        progress("Week Warrior", 150, 5),
        progress("On a Roll", 75, 2),
        progress("Warming Up", 50, 20),
        progress("Sharpshooter", 250, 1),
    ]

    names = [b.name for b in top_badges(achievements)]

    assert names == ["Sharpshooter", "Week Warrior", "On a Roll", "Perfectionist", "Warming Up"]


# --- the domain chart ------------------------------------------------------------------------


def test_the_domain_chart_is_a_png_sized_by_its_domains(tmp_path: Path) -> None:
    png = render_domain_chart(chart(*SECURITY))
    img = save(tmp_path, png, "domains.png")

    assert img.size == (CHART_WIDTH, chart_height(5))
    assert chart_height(4) < chart_height(5)
    assert 10_000 < len(png) < 400_000
    assert img.getpixel((0, 0)) == GROUND
    assert img.getpixel((CHART_WIDTH - 1, img.height - 1)) == GROUND


def test_the_weakest_domain_is_highlighted_and_the_others_are_not(tmp_path: Path) -> None:
    img = save(tmp_path, render_domain_chart(chart(*SECURITY)))

    def bar_start(row: int) -> tuple[int, int, int]:
        box = domain_bar_box(row)
        return img.getpixel((box[0] + 14, middle(box)))  # type: ignore[return-value]

    assert weakest_index(SECURITY) == 1  # 40 %
    assert bar_start(1) == WEAK
    assert [bar_start(i) for i in (0, 2, 3)] == [ACCENT] * 3
    assert bar_start(4) == UNSTARTED  # not started: an empty, fainter track


def test_a_bar_is_filled_to_its_accuracy(tmp_path: Path) -> None:
    img = save(tmp_path, render_domain_chart(chart(*SECURITY)))
    x0, y0, x1, y1 = domain_bar_box(0)  # 80 %
    at = x0 + round((x1 - x0) * 0.8)
    y = (y0 + y1) // 2

    assert img.getpixel((at - 4, y)) == ACCENT
    assert img.getpixel((at + 4, y)) == TRACK


def test_weakest_needs_two_started_domains_that_differ() -> None:
    def bar(answered: int, correct: int) -> DomainBar:
        return DomainBar("1.0", "D", answered, correct)

    assert weakest_index([]) is None
    assert weakest_index([bar(0, 0), bar(0, 0)]) is None
    assert weakest_index([bar(10, 5), bar(0, 0)]) is None  # only one started
    assert weakest_index([bar(10, 10), bar(4, 4)]) is None  # all equally good
    assert weakest_index([bar(10, 9), bar(0, 0), bar(10, 3)]) == 2
    assert weakest_index([bar(4, 2), bar(10, 5), bar(10, 9)]) == 1  # tie: the most answered


@pytest.mark.parametrize(
    "domains",
    [
        pytest.param((), id="no-domains"),
        pytest.param(tuple(replace(d, answered=0, correct=0) for d in SECURITY), id="unstarted"),
        pytest.param(SECURITY[:4], id="four-domains"),
        pytest.param(SECURITY, id="five-domains"),
        pytest.param(SECURITY * 4, id="more-than-fit"),
        pytest.param(
            (
                DomainBar("1.0", "A very long domain title " * 10, 3, 1, 99),
                DomainBar("12.10", "中文标题 🔥 emoji", 7, 9, None),  # correct > answered
                DomainBar("", "", -3, -1, 0),
            ),
            id="odd-values",
        ),
    ],
)
def test_extreme_charts_render(tmp_path: Path, domains: tuple[DomainBar, ...]) -> None:
    img = save(tmp_path, render_domain_chart(chart(*domains, title="CompTIA A+ " * 20)))

    assert img.size == (CHART_WIDTH, chart_height(len(domains)))
    assert chart_height(len(domains)) <= chart_height(CHART_MAX_ROWS)


def test_an_exam_of_the_stats_maps_onto_the_chart(tmp_path: Path) -> None:
    exam = exams()["network"]
    first, last = exam.domains[0], exam.domains[-1]
    stats = exam_stats(
        exam,
        [(first.objectives[0].id, 10, 9), (last.objectives[0].id, 10, 2)],
    )

    data = domain_chart_from_exam(stats)

    assert data.title == exam.name
    assert [d.number for d in data.domains] == [d.number for d in exam.domains]
    assert (data.domains[0].answered, data.domains[0].correct) == (10, 9)
    assert data.domains[1].answered == 0
    assert data.domains[-1].weight == last.weight
    assert weakest_index(data.domains) == len(exam.domains) - 1
    assert save(tmp_path, render_domain_chart(data)).size[0] == CHART_WIDTH


def test_charts_are_deterministic() -> None:
    assert render_domain_chart(chart(*SECURITY)) == render_domain_chart(chart(*SECURITY))


def test_png_bytes_open_from_memory_as_discord_would_send_them() -> None:
    img = Image.open(io.BytesIO(render_rank_card(card())))

    assert img.format == "PNG" and img.size == CARD_SIZE


# --- fonts and threads -----------------------------------------------------------------------

FONT_CACHES = (
    cards._font_files,
    cards._font,
    cards._fallback_fonts,
    cards._has_glyph,
    cards._missing,
    cards._laid_out,
)


@pytest.fixture
def pillow_fonts_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without DejaVu: only the font inside Pillow (and no CJK fonts)."""
    for cache in FONT_CACHES:
        cache.cache_clear()
    monkeypatch.setattr(cards, "FONT_DIRS", ())
    monkeypatch.setattr(cards, "CJK_FILES", ())
    yield
    for cache in FONT_CACHES:
        cache.cache_clear()


@pytest.mark.usefixtures("pillow_fonts_only")
def test_only_pillows_own_font_is_enough(tmp_path: Path) -> None:
    assert cards._font_files() == (None, None)
    rank = save(tmp_path, render_rank_card(card(display_name="Zoë 山田 🔥 " + "W" * 40)))
    domains = save(tmp_path, render_domain_chart(chart(*SECURITY)))

    assert rank.size == CARD_SIZE
    assert domains.size == (CHART_WIDTH, chart_height(len(SECURITY)))
    assert rank.getpixel((XP_BAR_BOX[0] + 20, middle(XP_BAR_BOX))) == ACCENT


def test_renders_from_several_threads_agree() -> None:
    data = [card(display_name=f"Learner {i}", streak_current=i) for i in range(8)]
    expected = [render_rank_card(d) for d in data]

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(render_rank_card, data * 3))

    assert got == expected * 3
