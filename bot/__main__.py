"""``python -m bot`` is ``certquest``."""

from bot.cli import main

raise SystemExit(main())
