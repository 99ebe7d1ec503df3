#!/usr/bin/env bash
# One command, fresh machine: create the environment, install, and start the bot.
# On the default SQLite database the schema is created and seeded on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/certquest" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements/runtime.lock  # exact versions
  "$VENV/bin/python" -m pip install -q --no-deps -e .
fi
exec "$VENV/bin/certquest" run "$@"
