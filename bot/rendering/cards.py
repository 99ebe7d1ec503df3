"""Picture replies: the ``/profile`` rank card and the ``/stats`` accuracy-per-domain chart.

Pure rendering: plain dataclasses in, PNG bytes out. No discord, no database; the only files
read are the seed PNGs under ``seeds/`` and a system font. A cog sends the bytes with::

    png = await asyncio.to_thread(render_rank_card, data)
    file = discord.File(io.BytesIO(png), filename="rank.png")
    embed.set_image(url="attachment://rank.png")

``rank_card_from_profile`` and ``domain_chart_from_exam`` build the inputs from what
``bot.profile.service`` and ``bot.profile.stats`` already return.

Look: the rank card is 934×282 like the usual rank-card bots (avatar in a ring of its rarity
colour, name, rank and level, streak flame, accuracy, XP bar, five badge slots); the chart is
934 wide with one row per domain (number, full title, %, bar, answers and weight), the
weakest domain on a coral band with a WEAKEST tag. The palette is ``seeds.art``'s: navy
ground, rarity colours, one blue accent for progress, coral for the weakest domain.

Drawing: Pillow only (matplotlib would add a large dependency and a slow import for a few
rounded rectangles, and fight the pixel-exact layout). Shapes are drawn at twice the size and
halved with ``Image.reduce`` (cheap anti-aliasing, which ``ImageDraw`` lacks); text is drawn
after, at the final size, so FreeType hints it for that size.

Fonts: DejaVu Sans when the system has it (wide Unicode coverage), else the scalable font
inside Pillow (``ImageFont.load_default(size=…)``, bold imitated with a 1 px outline), so a
machine with only Pillow works. Characters no font has are dropped when they are symbols
(emoji), kept as the font's box otherwise (a CJK name stays visibly there); CJK fonts found
on the system (Noto CJK, Droid Sans Fallback, WenQuanYi) draw the characters they have.

Speed (``python -m bench.cards``: Pillow 13, DejaVu, median of 50 renders, PNG encoding
included): rank card 11.4 ms and domain chart (5 domains) 17.3 ms of CPU time per render; wall
clock on this shared, busy 2-core container 21–30 ms and 27–37 ms (fastest 10 and 16 ms). The
first render also loads fonts and pictures (45–140 ms). Fonts, glyph checks, text layouts and scaled
pictures are cached (``functools.lru_cache``); cached pictures are never drawn on.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from seeds.art import INK, NAVY, RARITY_COLOURS, asset_path
from seeds.catalog import badge_path

if TYPE_CHECKING:
    from bot.profile.service import ProfileCard
    from bot.profile.stats import ExamStats
    from bot.progression.achievements import AchievementProgress

log = logging.getLogger(__name__)

__all__ = [
    "ACCENT",
    "CARD_SIZE",
    "CHART_WIDTH",
    "GROUND",
    "MAX_BADGES",
    "TRACK",
    "UNSTARTED",
    "WEAK",
    "XP_BAR_BOX",
    "Badge",
    "DomainBar",
    "DomainChartData",
    "RankCardData",
    "badge",
    "chart_height",
    "clean_text",
    "domain_bar_box",
    "domain_chart_from_exam",
    "rank_card_from_profile",
    "render_domain_chart",
    "render_rank_card",
    "top_badges",
    "weakest_index",
]

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# --- palette (seeds.art's ground and ink; one accent for progress) --------------------------

GROUND: RGB = NAVY
PANEL: RGB = (25, 33, 51)
PANEL_EDGE: RGB = (42, 54, 80)
TRACK: RGB = (40, 51, 76)
MUTED: RGB = (140, 153, 176)
FAINT: RGB = (92, 105, 131)
ACCENT: RGB = (59, 163, 245)
"""Progress: the XP bar's filled part, the level number, the domain bars."""
UNSTARTED: RGB = (35, 45, 67)
"""The empty track of a domain without answers (fainter than :data:`TRACK`)."""
WEAK: RGB = (239, 96, 96)
"""The weakest domain's bar and marker."""
FLAME: RGB = (255, 140, 50)
FLAME_CORE: RGB = (255, 211, 92)
GOOD: RGB = (88, 196, 140)
UNKNOWN_RARITY: RGB = RARITY_COLOURS["common"]

SS = 2
"""Supersampling factor of the shapes layer."""
MIN_FILL = 3
"""Pixels of a bar shown for any progress above zero."""
CARD_SIZE = (934, 282)
MAX_BADGES = 5
NAME_CHARS = 64
"""A name is cut to this many characters before it is measured (then truncated to fit)."""

CHART_WIDTH = 934
CHART_HEADER = 118
CHART_ROW = 86
CHART_FOOTER = 20
CHART_MAX_ROWS = 12


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Badge:
    name: str
    image: Path
    """A PNG, e.g. ``asset_path(achievement.badge_icon_url)``; a missing file draws a blank
    badge."""


@dataclass(frozen=True, slots=True)
class RankCardData:
    display_name: str
    avatar: Path | None
    """The equipped avatar's PNG (``asset_path(avatar.image_url)``); None draws an initial."""
    avatar_rarity: str | None
    """``common`` / ``rare`` / ``epic`` / ``legendary``: the ring's colour."""
    level: int
    xp_into_level: int
    """XP earned since the current level started (``LevelProgress.into_level``)."""
    xp_level_span: int
    """XP the whole current level takes (``LevelProgress.needed``)."""
    total_xp: int
    streak_current: int
    streak_longest: int
    rank: int | None = None
    """Rank on this server's (or the global) XP board; None hides it."""
    badges: tuple[Badge, ...] = ()
    """Up to :data:`MAX_BADGES` shown, in this order."""
    accuracy: float | None = None
    """Share of correct answers, 0.0–1.0; None before the first answer."""

    @property
    def progress(self) -> float:
        """The XP bar's fill, 0.0–1.0."""
        if self.xp_level_span <= 0:
            return 0.0
        return min(1.0, max(0.0, self.xp_into_level / self.xp_level_span))


@dataclass(frozen=True, slots=True)
class DomainBar:
    number: str
    """``"1.0"``."""
    title: str
    answered: int
    correct: int
    weight: int | None = None
    """Percent of the exam, when known."""

    @property
    def accuracy(self) -> float:
        return min(1.0, self.correct / self.answered) if self.answered > 0 else 0.0


@dataclass(frozen=True, slots=True)
class DomainChartData:
    title: str
    """The exam, e.g. ``CompTIA Security+``."""
    domains: tuple[DomainBar, ...]
    """In exam order; the first :data:`CHART_MAX_ROWS` are drawn."""


# --- building the inputs from the services' dataclasses --------------------------------------


def badge(achievement_name: str) -> Badge:
    """The seed badge of an achievement (``seeds/badges/<slug>.png``)."""
    return Badge(achievement_name, asset_path(badge_path(achievement_name)))


def top_badges(
    achievements: Iterable[AchievementProgress], limit: int = MAX_BADGES
) -> tuple[Badge, ...]:
    """The earned achievements worth most XP (the hardest), most recent first among equals."""
    earned = [a for a in achievements if a.earned]
    earned.sort(key=lambda a: a.earned_at.timestamp() if a.earned_at else 0.0, reverse=True)
    earned.sort(key=lambda a: a.xp_reward, reverse=True)  # stable: recency breaks ties
    return tuple(badge(a.name) for a in earned[:limit])


def rank_card_from_profile(
    card: ProfileCard,
    display_name: str,
    *,
    rank: int | None = None,
    badges: Sequence[Badge] | None = None,
) -> RankCardData:
    """The rank card of a ``bot.profile.service.ProfileCard``.

    ``badges`` defaults to the card's latest achievements; pass ``top_badges(...)`` of
    ``achievement_board(...).achievements`` to show the hardest ones instead.
    """
    avatar = card.avatar
    return RankCardData(
        display_name=display_name,
        avatar=asset_path(avatar.image_url) if avatar is not None else None,
        avatar_rarity=avatar.rarity if avatar is not None else None,
        level=card.level.level,
        xp_into_level=card.level.into_level,
        xp_level_span=card.level.needed,
        total_xp=card.xp,
        streak_current=card.streak_current,
        streak_longest=card.streak_longest,
        rank=rank,
        badges=tuple(
            badges if badges is not None else (badge(a.name) for a in card.latest_achievements)
        ),
        accuracy=card.accuracy,
    )


def domain_chart_from_exam(exam: ExamStats) -> DomainChartData:
    """The chart of one exam of ``bot.profile.stats.UserStats.exams``."""
    return DomainChartData(
        title=exam.name,
        domains=tuple(
            DomainBar(d.number, d.title, d.answered, d.correct, d.weight) for d in exam.domains
        ),
    )


def weakest_index(domains: Sequence[DomainBar]) -> int | None:
    """The domain to work on: lowest accuracy among the started ones, then the most answered,
    then exam order. None unless at least two are started and they are not all equal."""
    started = [(d.accuracy, -d.answered, i) for i, d in enumerate(domains) if d.answered > 0]
    if len(started) < 2:
        return None
    worst, best = min(started), max(a for a, _, _ in started)
    return worst[2] if worst[0] < best else None


# --- fonts and text -----------------------------------------------------------------------

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
    "/Library/Fonts",
)
REGULAR_FILES = ("DejaVuSans.ttf",)
BOLD_FILES = ("DejaVuSans-Bold.ttf",)
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
MISSING_PROBE = "\U0010fffd"
"""A private-use code point no font draws: what "no glyph" looks like in a font."""
ELLIPSIS = "…"
FAUX_BOLD_MIN = 20
"""Smallest bold size drawn with an outline when no bold font file exists."""
_FREETYPE = threading.Lock()
"""Held while a picture is drawn: the cached fonts share FreeType faces, which must not be
used by two threads at once (renders run in ``asyncio.to_thread``). PNG encoding runs
outside it."""


@functools.lru_cache(maxsize=1)
def _font_files() -> tuple[Path | None, Path | None]:
    """(regular, bold) DejaVu Sans files, if the system has them."""

    def find(names: tuple[str, ...]) -> Path | None:
        for folder in FONT_DIRS:
            for name in names:
                path = Path(folder) / name
                if path.is_file():
                    return path
        return None

    return find(REGULAR_FILES), find(BOLD_FILES)


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> Font:
    regular, strong = _font_files()
    path = (strong or regular) if bold else regular
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            log.warning("cannot load a font; using Pillow's", extra={"path": str(path)})
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, ValueError):  # Pillow built without FreeType
        return ImageFont.load_default()


@functools.lru_cache(maxsize=64)
def _fallback_fonts(size: int) -> tuple[ImageFont.FreeTypeFont, ...]:
    found: list[ImageFont.FreeTypeFont] = []
    for name in CJK_FILES:
        if Path(name).is_file():
            try:
                found.append(ImageFont.truetype(name, size))
            except OSError:
                continue
    return tuple(found)


def _glyph_image(font: ImageFont.FreeTypeFont, ch: str) -> tuple[float, bytes]:
    left, top, right, bottom = font.getbbox(ch)
    size = (max(1, int(right - left)), max(1, int(bottom - top)))
    img = Image.new("L", size)
    ImageDraw.Draw(img).text((-left, -top), ch, font=font, fill=255)
    return font.getlength(ch), img.tobytes()


@functools.lru_cache(maxsize=4096)
def _has_glyph(font: Font, ch: str) -> bool:
    """Whether ``font`` draws ``ch`` as itself rather than as its "missing" box."""
    if not isinstance(font, ImageFont.FreeTypeFont):
        return True
    return _glyph_image(font, ch) != _missing(font)


@functools.lru_cache(maxsize=64)
def _missing(font: ImageFont.FreeTypeFont) -> tuple[float, bytes]:
    return _glyph_image(font, MISSING_PROBE)


def clean_text(text: str, limit: int = NAME_CHARS) -> str:
    """NFC, no control or format characters (zero-width joiners, bidi marks), single spaces."""
    text = unicodedata.normalize("NFC", text[: limit * 4])
    kept = [
        " " if c.isspace() else c
        for c in text
        if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    ]
    return " ".join("".join(kept).split())[:limit]


Run = tuple[str, Font]


def _glyphs(text: str, size: int, bold: bool) -> list[Run]:
    """Each character with the first font that draws it (DejaVu, then a CJK font).

    Symbols no font has (emoji) are dropped with their combining marks, leaving single
    spaces; other characters no font has keep the main font's box.
    """
    primary = _font(size, bold)
    fonts: tuple[Font, ...] = (primary, *_fallback_fonts(size))
    out: list[Run] = []
    dropped = False
    for ch in text:
        category = unicodedata.category(ch)
        if category.startswith("M"):  # a combining mark goes with its base
            if out and not dropped:
                out.append((ch, out[-1][1]))
            continue
        if ch.isspace():
            if out and not out[-1][0].isspace():
                out.append((" ", out[-1][1]))
            dropped = False
            continue
        font = next((f for f in fonts if _has_glyph(f, ch)), None)
        dropped = font is None and category.startswith("S")
        if not dropped:
            out.append((ch, font or primary))
    while out and out[-1][0].isspace():
        out.pop()
    return out


def _merge(glyphs: Sequence[Run]) -> tuple[Run, ...]:
    """Consecutive characters of one font as one run (drawn, and kerned, together)."""
    runs: list[Run] = []
    for ch, font in glyphs:
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + ch, font)
        else:
            runs.append((ch, font))
    return tuple(runs)


def _runs_width(runs: Sequence[Run]) -> float:
    return sum(f.getlength(t) for t, f in runs)


def _fit(text: str, size: int, bold: bool, max_width: int) -> tuple[Run, ...]:
    """``text`` as runs no wider than ``max_width``, cut with ``…`` when it is too long."""
    glyphs = _glyphs(text, size, bold)
    runs = _merge(glyphs)
    if _runs_width(runs) <= max_width:
        return runs

    def head(n: int) -> tuple[Run, ...]:
        kept = list(glyphs[:n])
        while kept and kept[-1][0].isspace():
            kept.pop()
        return _merge(kept)

    ellipsis = _font(size, bold).getlength(ELLIPSIS)
    lo, hi = 0, len(glyphs)
    while lo < hi:  # the most characters that fit with the ellipsis
        mid = (lo + hi + 1) // 2
        if _runs_width(head(mid)) + ellipsis <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return (*head(lo), (ELLIPSIS, _font(size, bold)))


@functools.lru_cache(maxsize=1024)
def _laid_out(text: str, size: int, bold: bool, max_width: int) -> tuple[tuple[Run, ...], float]:
    runs = _fit(text, size, bold, max_width)
    return runs, _runs_width(runs)


def _drawable(text: str, size: int = 12, bold: bool = False) -> bool:
    """Whether anything of ``text`` would be drawn (an all-emoji name would not)."""
    return bool(_glyphs(text, size, bold))


def _text(
    draw: ImageDraw.ImageDraw,
    x: float,
    baseline: float,
    text: str,
    size: int,
    fill: RGB,
    *,
    bold: bool = False,
    max_width: int = 10_000,
    align: str = "left",
) -> float:
    """Draw ``text`` with its baseline at ``baseline``; returns the drawn width."""
    runs, width = _laid_out(text, size, bold, max_width)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    # without a bold face (Pillow's own font), larger bold text gets a 1 px outline instead
    stroke = 1 if bold and size >= FAUX_BOLD_MIN and _font_files()[1] is None else 0
    for piece, font in runs:
        if isinstance(font, ImageFont.FreeTypeFont):
            draw.text(
                (x, baseline),
                piece,
                font=font,
                fill=fill,
                anchor="ls",
                stroke_width=stroke,
                stroke_fill=fill,
            )
        else:
            draw.text((x, baseline - 11), piece, font=font, fill=fill)
        x += font.getlength(piece)
    return width


def _width(text: str, size: int, bold: bool = False) -> float:
    return _laid_out(text, size, bold, 10_000)[1]


# --- images ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def _image(path: str, size: int) -> Image.Image | None:
    """A seed PNG scaled to ``size``×``size`` (RGBA), or None when it cannot be read."""
    try:
        with Image.open(path) as img:
            return img.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        log.warning("cannot read an image", extra={"path": str(path)})
        return None


def _paste(canvas: Image.Image, img: Image.Image, x: float, y: float) -> None:
    canvas.paste(img, (round(x), round(y)), img)


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)  # 2× faster than 3, ~5 % bigger
    return buf.getvalue()


# --- shapes (drawn at SS× size) -------------------------------------------------------------


def _s(*values: float) -> list[float]:
    return [v * SS for v in values]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _bar(
    canvas: Image.Image,
    draw: ImageDraw.ImageDraw,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    fill_share: float,
    colour: RGB,
    track: RGB | None = TRACK,
) -> None:
    """A rounded track (None: already drawn), filled from the left to ``fill_share``."""
    radius = (y1 - y0) / 2
    if track is not None:
        draw.rounded_rectangle(_s(x0, y0, x1, y1), radius=radius * SS, fill=track)
    share = min(1.0, max(0.0, fill_share))
    if share <= 0:
        return
    end = max(x0 + MIN_FILL, x0 + (x1 - x0) * share)  # a few XP still show
    if end - x0 >= 2 * radius:
        draw.rounded_rectangle(_s(x0, y0, end, y1), radius=radius * SS, fill=colour)
    else:  # shorter than its own round ends: a sliver of the left cap
        layer = Image.new("L", (round((x1 - x0) * SS), round((y1 - y0) * SS)))
        ImageDraw.Draw(layer).rounded_rectangle(
            (0, 0, layer.width - 1, layer.height - 1), radius=radius * SS, fill=255
        )
        sliver = layer.crop((0, 0, max(1, round((end - x0) * SS)), layer.height))
        canvas.paste(colour, (round(x0 * SS), round(y0 * SS)), sliver)


FLAME_OUTLINE = (
    (0.52, 0.00), (0.60, 0.14), (0.74, 0.28), (0.88, 0.46), (0.96, 0.64), (0.93, 0.80),
    (0.82, 0.93), (0.64, 1.00), (0.36, 1.00), (0.18, 0.93), (0.06, 0.80), (0.04, 0.62),
    (0.12, 0.44), (0.22, 0.32), (0.30, 0.46), (0.38, 0.30), (0.44, 0.14),
)  # fmt: skip
"""The flame's outline in a unit box (y down): a rounded base, a tip, a lick on the left."""
FLAME_INNER = (
    (0.52, 0.36), (0.64, 0.52), (0.74, 0.68), (0.74, 0.84), (0.62, 0.96), (0.38, 0.96),
    (0.26, 0.84), (0.26, 0.70), (0.36, 0.56), (0.42, 0.64),
)  # fmt: skip


def _flame(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float, lit: bool) -> None:
    """A two-tone flame in the box (x, y, w, h); grey when the streak is out."""
    outer, inner = (FLAME, FLAME_CORE) if lit else (FAINT, TRACK)
    draw.polygon([((x + px * w) * SS, (y + py * h) * SS) for px, py in FLAME_OUTLINE], outer)
    draw.polygon([((x + px * w) * SS, (y + py * h) * SS) for px, py in FLAME_INNER], inner)


def _target(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, colour: RGB) -> None:
    """A bullseye: the accuracy icon."""
    draw.ellipse(_s(cx - r, cy - r, cx + r, cy + r), outline=colour, width=round(r * 0.3 * SS))
    rr = r * 0.38
    draw.ellipse(_s(cx - rr, cy - rr, cx + rr, cy + rr), fill=colour)


def _hexagon(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    return [
        ((cx + r * math.sin(math.pi / 3 * k)) * SS, (cy - r * math.cos(math.pi / 3 * k)) * SS)
        for k in range(6)
    ]


@functools.lru_cache(maxsize=8)
def _panel(width: int, height: int) -> Image.Image:
    """The navy ground with the rounded card on it, at SS× size (copied, never drawn on)."""
    img = Image.new("RGB", (width * SS, height * SS), GROUND)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle(_s(10, 10, width - 10, height - 10), radius=24 * SS, fill=PANEL_EDGE)
    draw.rounded_rectangle(_s(12, 12, width - 12, height - 12), radius=22 * SS, fill=PANEL)
    return img


def _finish(shapes: Image.Image) -> Image.Image:
    return shapes.reduce(SS)


# --- the rank card --------------------------------------------------------------------------

AVATAR_C = (142, 141)
AVATAR_R = 92
RING_GAP = 6
RING_W = 6
COL_X0 = 282
COL_X1 = 898
NAME_SIZE = 34
STAT_SIZES = (42, 34, 28, 22)
"""Sizes tried for the rank and level numbers until the name keeps MIN_NAME_ROOM."""
MIN_NAME_ROOM = 220
TOP_BASE = 68
CHIP_BASE = 110
CHIP_NUMBER = 24
CHIP_LABEL = 16
CHIP_GAP = 24
XP_BAR_BOX = (COL_X0, 124, COL_X1, 150)
"""The XP bar (x0, y0, x1, y1) on the card: filled from x0 to the level's progress."""
SMALL = 15
UNDER_BASE = XP_BAR_BOX[3] + 20
BADGE_Y = 184
BADGE_ICON = 40
BADGE_SLOT = (COL_X1 - COL_X0) / MAX_BADGES
CAPTION = 14
CAPTION_BASE = BADGE_Y + BADGE_ICON + 19
ICON_W = 28
"""Room for the flame or the target before their numbers."""


def _rarity_colour(rarity: str | None) -> RGB:
    return RARITY_COLOURS.get(rarity or "", UNKNOWN_RARITY)


def _number(n: int) -> str:
    return f"{n:,}"


def _percent(share: float) -> str:
    """Whole percent rounded down, like ``/profile`` (99.6 % is not 100 %)."""
    return f"{math.floor(min(1.0, max(0.0, share)) * 100 + 1e-9)}%"


def _initial(name: str) -> str:
    """The name's first letter or digit that a font really has (not a box), else ``?``."""
    fonts = (_font(80, True), *_fallback_fonts(80))
    for c in name:
        if c.isalnum() and any(_has_glyph(f, c.upper()) for f in fonts):
            return c.upper()
    return "?"


@dataclass(frozen=True, slots=True)
class _Chip:
    """A number with its label after it (``12 day streak · best 30``)."""

    number: str
    label: str

    @property
    def width(self) -> float:
        return ICON_W + _width(self.number, CHIP_NUMBER, True) + 6 + _width(self.label, CHIP_LABEL)


def _chips(card: RankCardData, room: float) -> tuple[_Chip, _Chip | None]:
    """The streak and accuracy chips, their labels shortened until both fit in ``room``."""
    streak = max(0, card.streak_current)
    best = max(card.streak_longest, streak)
    accuracy = _percent(card.accuracy) if card.accuracy is not None else None
    best_text = f" · best {_number(best)}" if best else ""
    for streak_label, accuracy_label in (
        (f"day streak{best_text}", "accuracy"),
        (f"day streak{best_text}", "correct"),
        (f"days{best_text}", "correct"),
        ("day streak", "correct"),
        ("days", "correct"),
        ("days", ""),
    ):
        first = _Chip(_number(streak), streak_label)
        second = _Chip(accuracy, accuracy_label) if accuracy is not None else None
        if first.width + (CHIP_GAP + second.width if second else 0) <= room:
            break
    return first, second


def render_rank_card(card: RankCardData) -> bytes:
    """The ``/profile`` card as PNG bytes (:data:`CARD_SIZE`, 934×282)."""
    with _FREETYPE:
        img = _draw_rank_card(card)
    return _encode(img)


def _draw_rank_card(card: RankCardData) -> Image.Image:
    width, height = CARD_SIZE
    name = clean_text(card.display_name)
    if not _drawable(name, NAME_SIZE, True):
        name = "Member"
    level = max(1, card.level)
    into, span = max(0, card.xp_into_level), max(0, card.xp_level_span)
    rarity = (card.avatar_rarity or "").strip().upper()[:12]
    ring = _rarity_colour(card.avatar_rarity)
    cx, cy = AVATAR_C
    outer = AVATAR_R + RING_GAP + RING_W
    xp_total = f"/ {_number(span)} XP"
    xp_width = _width(_number(into), CHIP_NUMBER, True) + 5 + _width(xp_total, CHIP_LABEL)
    streak_chip, accuracy_chip = _chips(card, COL_X1 - COL_X0 - xp_width - CHIP_GAP)
    accuracy_x = COL_X0 + streak_chip.width + CHIP_GAP

    # shapes, at SS× size
    shapes = _panel(width, height).copy()
    draw = ImageDraw.Draw(shapes)
    draw.ellipse(_s(cx - outer, cy - outer, cx + outer, cy + outer), fill=ring)
    inner = AVATAR_R + RING_GAP
    draw.ellipse(_s(cx - inner, cy - inner, cx + inner, cy + inner), fill=PANEL)
    avatar = _image(str(card.avatar), AVATAR_R * 2 * SS) if card.avatar else None
    if avatar is not None:
        _paste(shapes, avatar, (cx - AVATAR_R) * SS, (cy - AVATAR_R) * SS)
    else:
        r = AVATAR_R
        draw.ellipse(_s(cx - r, cy - r, cx + r, cy + r), fill=TRACK)
    pill_y = cy + outer - 4
    pill_w = _width(rarity, 13, True) + 24
    if rarity:
        draw.rounded_rectangle(
            _s(cx - pill_w / 2 - 3, pill_y - 15, cx + pill_w / 2 + 3, pill_y + 15),
            radius=15 * SS,
            fill=PANEL,
        )
        draw.rounded_rectangle(
            _s(cx - pill_w / 2, pill_y - 12, cx + pill_w / 2, pill_y + 12),
            radius=12 * SS,
            fill=ring,
        )
    _flame(draw, COL_X0, CHIP_BASE - 25, 21, 28, card.streak_current > 0)
    if accuracy_chip is not None:
        _target(draw, accuracy_x + 11, CHIP_BASE - 9, 11, GOOD)
    _bar(shapes, draw, *XP_BAR_BOX, card.progress, ACCENT)
    shown = card.badges[:MAX_BADGES]
    for i in range(MAX_BADGES):
        bx = COL_X0 + BADGE_SLOT * (i + 0.5)
        icon = _image(str(shown[i].image), BADGE_ICON * SS) if i < len(shown) else None
        if icon is not None:
            _paste(shapes, icon, (bx - BADGE_ICON / 2) * SS, BADGE_Y * SS)
        else:  # an empty slot (or an unreadable picture): a faint hexagon
            by = BADGE_Y + BADGE_ICON / 2
            draw.polygon(_hexagon(bx, by, BADGE_ICON / 2 - 1), fill=TRACK)
            draw.polygon(_hexagon(bx, by, BADGE_ICON / 2 - 5), fill=PANEL)

    # text, at the final size
    img = _finish(shapes)
    d = ImageDraw.Draw(img)
    if avatar is None:
        _text(d, cx, cy + 29, _initial(name), 80, INK, bold=True, align="center")
    if rarity:
        _text(d, cx, pill_y + 5, rarity, 13, NAVY, bold=True, align="center")

    # top row: the name; RANK #n and LEVEL n on the right, smaller when they crowd the name
    stats = [("LEVEL", _number(level), ACCENT, ACCENT)]
    if card.rank is not None and card.rank > 0:
        stats.append(("RANK", f"#{_number(card.rank)}", MUTED, INK))
    for size in STAT_SIZES:
        label_size = max(12, size * 3 // 8)
        block = sum(
            _width(label, label_size, True) + 8 + _width(value, size, True)
            for label, value, _, _ in stats
        ) + 28 * (len(stats) - 1)
        if COL_X1 - block - COL_X0 >= MIN_NAME_ROOM:
            break
    right: float = COL_X1
    for label, value, label_colour, value_colour in stats:
        right -= _text(d, right, TOP_BASE, value, size, value_colour, bold=True, align="right")
        right -= 8 + _text(
            d, right - 8, TOP_BASE, label, label_size, label_colour, bold=True, align="right"
        )
        right -= 28
    room = int(right + 28 - COL_X0 - 24)
    _text(d, COL_X0, TOP_BASE, name, NAME_SIZE, INK, bold=True, max_width=room)

    # middle row: streak and accuracy; XP into the level on the right
    lit = card.streak_current > 0
    for chip, x0 in ((streak_chip, COL_X0), (accuracy_chip, accuracy_x)):
        if chip is None:
            continue
        x = x0 + ICON_W
        colour = INK if chip is accuracy_chip or lit else MUTED
        x += _text(d, x, CHIP_BASE, chip.number, CHIP_NUMBER, colour, bold=True)
        _text(d, x + 6, CHIP_BASE, chip.label, CHIP_LABEL, MUTED)
    w = _text(d, COL_X1, CHIP_BASE, xp_total, CHIP_LABEL, MUTED, align="right")
    _text(d, COL_X1 - w - 5, CHIP_BASE, _number(into), CHIP_NUMBER, INK, bold=True, align="right")

    # under the bar: total XP; what the next level needs
    _text(d, COL_X0, UNDER_BASE, f"{_number(max(0, card.total_xp))} XP in total", SMALL, MUTED)
    to_next = f"{_number(max(0, span - into))} XP to level {_number(level + 1)}"
    _text(d, COL_X1, UNDER_BASE, to_next, SMALL, MUTED, align="right")

    # badge names
    for i, b in enumerate(shown):
        bx = COL_X0 + BADGE_SLOT * (i + 0.5)
        caption = clean_text(b.name)
        _text(
            d,
            bx,
            CAPTION_BASE,
            caption,
            CAPTION,
            MUTED,
            max_width=int(BADGE_SLOT) - 6,
            align="center",
        )
    if not shown:
        hint = "No badges yet: finish a quiz to earn your first"
        _text(d, (COL_X0 + COL_X1) / 2, CAPTION_BASE, hint, CAPTION, FAINT, align="center")
    return img


# --- the domain chart -----------------------------------------------------------------------

LABEL_X = 38
NUMBER_W = 46
TITLE_X = LABEL_X + NUMBER_W + 16
PERCENT_X = CHART_WIDTH - 38
TITLE_SIZE = 19
WEAKEST_LABEL = "WEAKEST"
TICKS = (0.25, 0.5, 0.75)


def chart_height(rows: int) -> int:
    """The chart's height for ``rows`` domains (its width is :data:`CHART_WIDTH`)."""
    return CHART_HEADER + max(1, min(rows, CHART_MAX_ROWS)) * CHART_ROW + CHART_FOOTER


def domain_bar_box(row: int) -> tuple[int, int, int, int]:
    """The bar (x0, y0, x1, y1) of the ``row``-th domain (0-based) on the chart."""
    y = CHART_HEADER + row * CHART_ROW
    return TITLE_X, y + 34, PERCENT_X, y + 50


def _domain_caption(d: DomainBar) -> str:
    parts = [f"{_number(d.answered)} answered"] if d.answered > 0 else []
    if d.weight:
        parts.append(f"{d.weight}% of the exam")
    return " · ".join(parts)


def render_domain_chart(chart: DomainChartData) -> bytes:
    """Accuracy per domain of one exam as PNG bytes (934 wide, :func:`chart_height` tall)."""
    with _FREETYPE:
        img = _draw_domain_chart(chart)
    return _encode(img)


def _draw_domain_chart(chart: DomainChartData) -> Image.Image:
    domains = chart.domains[:CHART_MAX_ROWS]
    width, height = CHART_WIDTH, chart_height(len(domains))
    weakest = weakest_index(domains)
    captions = [_domain_caption(d) for d in domains]
    caption_w = [_width(c, SMALL) for c in captions]

    # shapes, at SS× size: a row per domain, the weakest on a tinted band
    shapes = _panel(width, height).copy()
    draw = ImageDraw.Draw(shapes)
    for i, d in enumerate(domains):
        y = CHART_HEADER + i * CHART_ROW
        weak = i == weakest
        if weak:
            band = (24, y - 4, width - 24, y + CHART_ROW - 6)
            draw.rounded_rectangle(_s(*band), radius=12 * SS, fill=_mix(PANEL, WEAK, 0.12))
            draw.rounded_rectangle(_s(24, band[1], 29, band[3]), radius=3 * SS, fill=WEAK)
            px = TITLE_X + caption_w[i] + 10
            pw = _width(WEAKEST_LABEL, 11, True) + 16
            draw.rounded_rectangle(_s(px, y + 57, px + pw, y + 74), radius=8.5 * SS, fill=WEAK)
        draw.rounded_rectangle(
            _s(LABEL_X, y + 2, LABEL_X + NUMBER_W, y + 28),
            radius=8 * SS,
            fill=WEAK if weak else TRACK,
        )
        x0, y0, x1, y1 = domain_bar_box(i)
        track = TRACK if d.answered > 0 else UNSTARTED
        draw.rounded_rectangle(_s(x0, y0, x1, y1), radius=(y1 - y0) / 2 * SS, fill=track)
        for tick in TICKS:  # quarter marks, covered where the bar is filled
            tx = x0 + (x1 - x0) * tick
            draw.rectangle(_s(tx - 0.5, y0 + 4, tx + 0.5, y1 - 4), fill=PANEL)
        if d.answered > 0:
            colour = WEAK if weak else ACCENT
            _bar(shapes, draw, x0, y0, x1, y1, d.accuracy, colour, track=None)

    # text, at the final size
    img = _finish(shapes)
    t = ImageDraw.Draw(img)
    answered = sum(max(0, d.answered) for d in domains)
    correct = sum(max(0, min(d.correct, d.answered)) for d in domains)
    title = clean_text(chart.title, 80)
    title = title if _drawable(title, 28, True) else "Exam"
    _text(t, LABEL_X, 56, title, 28, INK, bold=True, max_width=width - 2 * LABEL_X - 220)
    _text(t, LABEL_X, 84, "Accuracy by domain", 16, MUTED)
    if answered:
        w = _text(t, PERCENT_X, 56, "overall", 16, MUTED, align="right")
        _text(
            t,
            PERCENT_X - w - 6,
            56,
            _percent(correct / answered),
            28,
            INK,
            bold=True,
            align="right",
        )
        summary = f"{_number(answered)} answered"
    else:
        summary = "No answers yet: start a quiz"
    _text(t, PERCENT_X, 84, summary, 16, MUTED, align="right")

    for i, d in enumerate(domains):
        y = CHART_HEADER + i * CHART_ROW
        weak = i == weakest
        number = clean_text(d.number, 6)
        _text(
            t,
            LABEL_X + NUMBER_W / 2,
            y + 20,
            number,
            14,
            NAVY if weak else INK,
            bold=True,
            align="center",
        )
        if d.answered > 0:
            pct = _percent(d.accuracy)
            pct_w = _text(
                t, PERCENT_X, y + 24, pct, 22, WEAK if weak else INK, bold=True, align="right"
            )
        else:
            pct_w = _text(t, PERCENT_X, y + 22, "not started", SMALL, FAINT, align="right")
        room = int(PERCENT_X - pct_w - 20 - TITLE_X)
        _text(
            t, TITLE_X, y + 22, clean_text(d.title, 100), TITLE_SIZE, INK, bold=True, max_width=room
        )
        _text(t, TITLE_X, y + 70, captions[i], SMALL, MUTED)
        if weak:
            _text(t, TITLE_X + caption_w[i] + 18, y + 69.5, WEAKEST_LABEL, 11, NAVY, bold=True)
    if not domains:
        _text(t, LABEL_X, CHART_HEADER + 30, "This exam has no domains to show.", 16, MUTED)
    return img
