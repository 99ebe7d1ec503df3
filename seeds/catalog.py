"""The catalogue of achievements (27) and avatars (18): the seed data itself.

Names are the stable keys: editing any other field and re-seeding updates the row in place.
Each non-default avatar names the achievement that unlocks it; the seeder writes both
``achievements.unlocks_avatar_id`` and ``avatars.required_achievement_id`` from this one link,
so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AchievementSeed:
    name: str
    category: str
    description: str
    criteria_type: str
    criteria_value: int
    xp_reward: int
    display_order: int
    is_hidden: bool = False
    exam_type: str | None = None


@dataclass(frozen=True, slots=True)
class AvatarSeed:
    slug: str
    name: str
    rarity: str
    description: str
    display_order: int
    unlocked_by: str | None = None  # achievement name; None for the common defaults

    @property
    def is_default(self) -> bool:
        return self.unlocked_by is None

    @property
    def image_path(self) -> str:
        return f"avatars/{self.slug}.png"


def _a(
    name: str,
    category: str,
    description: str,
    criteria: str,
    value: int,
    xp: int,
    order: int,
    *,
    hidden: bool = False,
    exam: str | None = None,
) -> AchievementSeed:
    return AchievementSeed(name, category, description, criteria, value, xp, order, hidden, exam)


ACHIEVEMENTS: tuple[AchievementSeed, ...] = (
    # Getting Started (3)
    _a("First Steps", "Getting Started", "Complete your first quiz.", "quiz_completed", 1, 25, 10),
    _a("Warming Up", "Getting Started", "Complete 5 quizzes.", "quiz_completed", 5, 50, 11),
    _a(
        "Dedicated Learner",
        "Getting Started",
        "Complete 25 quizzes.",
        "quiz_completed",
        25,
        150,
        12,
    ),
    # Accuracy (4)
    _a("Perfectionist", "Accuracy", "Score 100% on a quiz.", "perfect_quiz", 1, 75, 20),
    _a(
        "High Achiever",
        "Accuracy",
        "Score 90% or more on 5 quizzes.",
        "high_score_quiz",
        5,
        100,
        21,
    ),
    _a(
        "Sharpshooter",
        "Accuracy",
        "Score 90% or more on 20 quizzes.",
        "high_score_quiz",
        20,
        250,
        22,
    ),
    _a(
        "Flawless Streak",
        "Accuracy",
        "Score 100% on 10 quizzes.",
        "perfect_quiz",
        10,
        400,
        23,
        hidden=True,
    ),
    # Question Milestones (4)
    _a(
        "Getting the Hang of It",
        "Question Milestones",
        "Answer 50 questions correctly.",
        "correct_answers",
        50,
        50,
        30,
    ),
    _a(
        "Knowledge Builder",
        "Question Milestones",
        "Answer 250 questions correctly.",
        "correct_answers",
        250,
        150,
        31,
    ),
    _a(
        "Walking Encyclopedia",
        "Question Milestones",
        "Answer 1,000 questions correctly.",
        "correct_answers",
        1000,
        400,
        32,
    ),
    _a(
        "Living Legend",
        "Question Milestones",
        "Answer 5,000 questions correctly.",
        "correct_answers",
        5000,
        1000,
        33,
        hidden=True,
    ),
    # Study Streaks (4)
    _a("On a Roll", "Study Streaks", "Study 3 days in a row.", "study_streak", 3, 30, 40),
    _a("Week Warrior", "Study Streaks", "Study 7 days in a row.", "study_streak", 7, 100, 41),
    _a("Monthly Master", "Study Streaks", "Study 30 days in a row.", "study_streak", 30, 400, 42),
    _a(
        "Unstoppable",
        "Study Streaks",
        "Study 100 days in a row.",
        "study_streak",
        100,
        1500,
        43,
        hidden=True,
    ),
    # A+ Core 1 (2)
    _a(
        "Hardware Apprentice",
        "A+ Core 1",
        "Complete 5 A+ Core 1 quizzes.",
        "exam_specific",
        5,
        50,
        50,
        exam="a1101",
    ),
    _a(
        "Hardware Expert",
        "A+ Core 1",
        "Complete 25 A+ Core 1 quizzes.",
        "exam_specific",
        25,
        200,
        51,
        exam="a1101",
    ),
    # A+ Core 2 (2)
    _a(
        "Software Apprentice",
        "A+ Core 2",
        "Complete 5 A+ Core 2 quizzes.",
        "exam_specific",
        5,
        50,
        60,
        exam="a1102",
    ),
    _a(
        "Software Expert",
        "A+ Core 2",
        "Complete 25 A+ Core 2 quizzes.",
        "exam_specific",
        25,
        200,
        61,
        exam="a1102",
    ),
    # Network+ (2)
    _a(
        "Network Apprentice",
        "Network+",
        "Complete 5 Network+ quizzes.",
        "exam_specific",
        5,
        50,
        70,
        exam="network",
    ),
    _a(
        "Network Expert",
        "Network+",
        "Complete 25 Network+ quizzes.",
        "exam_specific",
        25,
        200,
        71,
        exam="network",
    ),
    # Security+ (2)
    _a(
        "Security Apprentice",
        "Security+",
        "Complete 5 Security+ quizzes.",
        "exam_specific",
        5,
        50,
        80,
        exam="security",
    ),
    _a(
        "Security Expert",
        "Security+",
        "Complete 25 Security+ quizzes.",
        "exam_specific",
        25,
        200,
        81,
        exam="security",
    ),
    # Levels (4)
    _a("Rising Star", "Levels", "Reach level 5.", "level_reached", 5, 50, 90),
    _a("Seasoned Pro", "Levels", "Reach level 10.", "level_reached", 10, 150, 91),
    _a("Elite Technician", "Levels", "Reach level 25.", "level_reached", 25, 500, 92),
    _a("Grandmaster", "Levels", "Reach level 50.", "level_reached", 50, 1500, 93, hidden=True),
)

AVATARS: tuple[AvatarSeed, ...] = (
    # common: every account starts with these three
    AvatarSeed("rookie-tech", "Rookie Tech", "common", "Everyone starts here.", 1),
    AvatarSeed("byte-bot", "Byte Bot", "common", "Everyone starts here.", 2),
    AvatarSeed("packet-owl", "Packet Owl", "common", "Everyone starts here.", 3),
    # rare: first milestones
    AvatarSeed("circuit-fox", "Circuit Fox", "rare", "Unlocked by Warming Up.", 10, "Warming Up"),
    AvatarSeed("ember-cat", "Ember Cat", "rare", "Unlocked by On a Roll.", 11, "On a Roll"),
    AvatarSeed(
        "router-raccoon",
        "Router Raccoon",
        "rare",
        "Unlocked by Getting the Hang of It.",
        12,
        "Getting the Hang of It",
    ),
    # epic: mid-tier
    AvatarSeed(
        "firewall-falcon",
        "Firewall Falcon",
        "epic",
        "Unlocked by Perfectionist.",
        20,
        "Perfectionist",
    ),
    AvatarSeed(
        "crypto-koala", "Crypto Koala", "epic", "Unlocked by High Achiever.", 21, "High Achiever"
    ),
    AvatarSeed(
        "subnet-shark", "Subnet Shark", "epic", "Unlocked by Week Warrior.", 22, "Week Warrior"
    ),
    AvatarSeed(
        "kernel-kraken", "Kernel Kraken", "epic", "Unlocked by Seasoned Pro.", 23, "Seasoned Pro"
    ),
    AvatarSeed(
        "cache-chameleon",
        "Cache Chameleon",
        "epic",
        "Unlocked by Knowledge Builder.",
        24,
        "Knowledge Builder",
    ),
    AvatarSeed(
        "daemon-dragonfly",
        "Daemon Dragonfly",
        "epic",
        "Unlocked by Dedicated Learner.",
        25,
        "Dedicated Learner",
    ),
    AvatarSeed(
        "proxy-panther", "Proxy Panther", "epic", "Unlocked by Sharpshooter.", 26, "Sharpshooter"
    ),
    # legendary: elite
    AvatarSeed(
        "quantum-phoenix",
        "Quantum Phoenix",
        "legendary",
        "Unlocked by a secret achievement.",
        30,
        "Flawless Streak",
    ),
    AvatarSeed(
        "zero-day-wolf",
        "Zero-Day Wolf",
        "legendary",
        "Unlocked by Monthly Master.",
        31,
        "Monthly Master",
    ),
    AvatarSeed(
        "root-lion",
        "Root Lion",
        "legendary",
        "Unlocked by Elite Technician.",
        32,
        "Elite Technician",
    ),
    AvatarSeed(
        "archive-titan",
        "Archive Titan",
        "legendary",
        "Unlocked by Walking Encyclopedia.",
        33,
        "Walking Encyclopedia",
    ),
    AvatarSeed(
        "grandmaster-griffin",
        "Grandmaster Griffin",
        "legendary",
        "Unlocked by a secret achievement.",
        34,
        "Grandmaster",
    ),
)


def badge_path(achievement_name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in achievement_name.lower()).strip("-")
    return f"badges/{slug}.png"
