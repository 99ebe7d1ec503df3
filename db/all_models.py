"""Import every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

from db import models, models_boards, models_progression, models_quiz

__all__ = ["models", "models_boards", "models_progression", "models_quiz"]
