"""Original avatar and badge art, drawn with Pillow from the catalogue.

The pictures are generated, not downloaded: ``python -m seeds.art`` rewrites every PNG under
``seeds/avatars`` and ``seeds/badges`` deterministically (same catalogue, same pixels).
One palette for the whole set: a dark navy ground, and one accent colour per rarity tier
(avatars) or per category (badges). Shapes are drawn at :data:`SUPERSAMPLE` times the size
and scaled down, which smooths their edges (``ImageDraw`` itself does not anti-alias).
"""

from __future__ import annotations

import hashlib
import logging
import math
from pathlib import Path

from PIL import Image, ImageDraw

from seeds.catalog import ACHIEVEMENTS, AVATARS, AchievementSeed, AvatarSeed, badge_path

log = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent
NAVY = (18, 24, 38)
NAVY_LIGHT = (34, 45, 68)
INK = (236, 240, 246)
SUPERSAMPLE = 4
RARITY_COLOURS: dict[str, tuple[int, int, int]] = {
    "common": (138, 155, 168),
    "rare": (59, 163, 245),
    "epic": (164, 94, 229),
    "legendary": (245, 181, 59),
}
CATEGORY_COLOURS: dict[str, tuple[int, int, int]] = {
    "Getting Started": (88, 196, 140),
    "Accuracy": (239, 96, 96),
    "Question Milestones": (59, 163, 245),
    "Study Streaks": (255, 140, 50),
    "A+ Core 1": (120, 200, 230),
    "A+ Core 2": (110, 140, 240),
    "Network+": (70, 200, 190),
    "Security+": (200, 90, 160),
    "Levels": (245, 181, 59),
}


def asset_path(relative: str) -> Path:
    """The file behind a stored ``image_url``/``badge_icon_url`` (paths relative to seeds/)."""
    return SEEDS_DIR / relative


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _smooth(img: Image.Image, size: int) -> Image.Image:
    return img.resize((size, size), Image.Resampling.LANCZOS)


def draw_avatar(seed: AvatarSeed, size: int = 256) -> Image.Image:
    """A round creature face: ears, eyes and markings chosen from the name's hash."""
    return _smooth(_draw_avatar(seed, size * SUPERSAMPLE), size)


def _draw_avatar(seed: AvatarSeed, size: int) -> Image.Image:
    h = _digest(seed.slug)
    accent = RARITY_COLOURS[seed.rarity]
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 256
    # ring in the rarity colour, navy disc with a soft radial shade
    d.ellipse((4 * s, 4 * s, 252 * s, 252 * s), fill=accent)
    for i in range(12):
        r = 116 - i * 3
        d.ellipse(
            ((128 - r) * s, (128 - r) * s, (128 + r) * s, (128 + r) * s),
            fill=_mix(NAVY, NAVY_LIGHT, i / 11),
        )
    face = _mix(accent, INK, 0.35 + (h[0] % 40) / 100)
    # ears: pointed, round or antenna
    ear = h[1] % 3
    if ear == 0:
        d.polygon([(70 * s, 110 * s), (82 * s, 48 * s), (112 * s, 92 * s)], fill=face)
        d.polygon([(186 * s, 110 * s), (174 * s, 48 * s), (144 * s, 92 * s)], fill=face)
    elif ear == 1:
        d.ellipse((58 * s, 56 * s, 104 * s, 102 * s), fill=face)
        d.ellipse((152 * s, 56 * s, 198 * s, 102 * s), fill=face)
    else:
        d.line((100 * s, 84 * s, 84 * s, 44 * s), fill=face, width=max(1, round(6 * s)))
        d.line((156 * s, 84 * s, 172 * s, 44 * s), fill=face, width=max(1, round(6 * s)))
        d.ellipse((74 * s, 34 * s, 94 * s, 54 * s), fill=accent)
        d.ellipse((162 * s, 34 * s, 182 * s, 54 * s), fill=accent)
    # head
    d.ellipse((62 * s, 76 * s, 194 * s, 204 * s), fill=face)
    # markings: a circuit line across the forehead
    mark = _mix(accent, NAVY, 0.35)
    y = (96 + h[2] % 12) * s
    d.line((84 * s, y, 172 * s, y), fill=mark, width=max(1, round(4 * s)))
    for x in (84, 128, 172):
        d.ellipse(((x - 5) * s, y - 5 * s, (x + 5) * s, y + 5 * s), fill=mark)
    # eyes: round, visor or pixel
    eye = h[3] % 3
    if eye == 0:
        for cx in (104, 152):
            d.ellipse(((cx - 13) * s, 122 * s, (cx + 13) * s, 148 * s), fill=NAVY)
            d.ellipse(((cx - 4) * s, 127 * s, (cx + 4) * s, 135 * s), fill=INK)
    elif eye == 1:
        d.rounded_rectangle((86 * s, 122 * s, 170 * s, 146 * s), radius=12 * s, fill=NAVY)
        d.rounded_rectangle((96 * s, 128 * s, 160 * s, 136 * s), radius=4 * s, fill=accent)
    else:
        for cx in (104, 152):
            d.rectangle(((cx - 10) * s, 124 * s, (cx + 10) * s, 144 * s), fill=NAVY)
            d.rectangle(((cx - 3) * s, 128 * s, (cx + 3) * s, 134 * s), fill=INK)
    # mouth
    d.arc(
        (108 * s, 150 * s, 148 * s, 182 * s),
        start=20,
        end=160,
        fill=NAVY,
        width=max(1, round(5 * s)),
    )
    # rarity pips at the bottom of the ring
    pips = {"common": 1, "rare": 2, "epic": 3, "legendary": 4}[seed.rarity]
    for i in range(pips):
        px = 128 + (i - (pips - 1) / 2) * 18
        d.ellipse(((px - 6) * s, 226 * s, (px + 6) * s, 238 * s), fill=INK)
    return img


def _hexagon(r: float, s: float) -> list[tuple[float, float]]:
    """A pointy-top hexagon of radius ``r`` around the badge's centre (64, 64), scaled."""
    return [
        ((64 + r * math.sin(math.pi / 3 * k)) * s, (64 - r * math.cos(math.pi / 3 * k)) * s)
        for k in range(6)
    ]


def draw_badge(seed: AchievementSeed, size: int = 128) -> Image.Image:
    """A hexagonal badge in the category colour with a tier mark for the target size."""
    return _smooth(_draw_badge(seed, size * SUPERSAMPLE), size)


def _draw_badge(seed: AchievementSeed, size: int) -> Image.Image:
    accent = CATEGORY_COLOURS[seed.category]
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 128
    d.polygon(_hexagon(61, s), fill=accent)
    # navy inside with the avatars' soft radial shade
    for i in range(8):
        d.polygon(_hexagon(50 - i * 2.5, s), fill=_mix(NAVY, NAVY_LIGHT, i / 7))
    # tier: more chevrons for harder achievements (by order within the category), centred
    same = [a for a in ACHIEVEMENTS if a.category == seed.category]
    tier = sorted(same, key=lambda a: a.criteria_value).index(seed) + 1
    step = 13
    centre = 58 if seed.is_hidden else 64
    top = centre - ((tier - 1) * step + 12) / 2 + 4  # apex of the first chevron
    for i in range(tier):
        y = top + i * step
        d.line(
            (44 * s, (y + 12) * s, 64 * s, y * s, 84 * s, (y + 12) * s),
            fill=accent,
            width=max(1, round(6 * s)),
            joint="curve",
        )
    if seed.is_hidden:  # a four-point sparkle: the secret ones
        cy, r, w = centre + ((tier - 1) * step + 12) / 2 + 14, 9, 2.5
        d.polygon(
            [
                (64 * s, (cy - r) * s),
                ((64 + w) * s, (cy - w) * s),
                ((64 + r) * s, cy * s),
                ((64 + w) * s, (cy + w) * s),
                (64 * s, (cy + r) * s),
                ((64 - w) * s, (cy + w) * s),
                ((64 - r) * s, cy * s),
                ((64 - w) * s, (cy - w) * s),
            ],
            fill=INK,
        )
    return img


def write_all(root: Path = SEEDS_DIR) -> int:
    count = 0
    for avatar in AVATARS:
        out = root / avatar.image_path
        out.parent.mkdir(parents=True, exist_ok=True)
        draw_avatar(avatar).save(out, optimize=True)
        count += 1
    for achievement in ACHIEVEMENTS:
        out = root / badge_path(achievement.name)
        out.parent.mkdir(parents=True, exist_ok=True)
        draw_badge(achievement).save(out, optimize=True)
        count += 1
    return count


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    log.info("wrote images", extra={"images": write_all()})
