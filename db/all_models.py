"""Import every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

from db import models
from db.leaderboards import models as models_boards
from db.mockexam import models as models_mockexam
from db.progression import models as models_progression
from db.quiz import models as models_quiz
from db.review import models as models_review

__all__ = [
    "models",
    "models_boards",
    "models_mockexam",
    "models_progression",
    "models_quiz",
    "models_review",
]
