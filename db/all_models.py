"""Import every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

import db.models  # noqa: F401
import db.models_boards  # noqa: F401
import db.models_progression  # noqa: F401
import db.models_quiz  # noqa: F401
