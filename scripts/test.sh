#!/usr/bin/env bash
# One command, fresh machine: create the environment, install, make sure PostgreSQL is up,
# lint, type-check, check migrations against the models, and run every test on PostgreSQL
# and SQLite. A skipped test fails the run: a skipped suite is not a passing one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# exact versions from the lock (requirements/README.md), then the project itself
"$VENV/bin/python" -m pip install -q -r requirements/dev.lock
"$VENV/bin/python" -m pip install -q --no-deps -e .

PGHOST_ADDR="${PGHOST_ADDR:-127.0.0.1}"
pg_up() { "$VENV/bin/python" - <<'PYEOF'
import socket, sys
s = socket.socket(); s.settimeout(2)
try:
    s.connect(("127.0.0.1", 5432))
except OSError:
    sys.exit(1)
PYEOF
}
if ! pg_up; then
  echo "PostgreSQL is not answering on ${PGHOST_ADDR}:5432; starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start: the database tests need it" >&2; exit 1; }
fi

"$VENV/bin/ruff" check .
"$VENV/bin/mypy"
"$VENV/bin/lint-imports"  # the architecture contracts (pyproject.toml)

# alembic check: a freshly upgraded database must match the models exactly.
tmpdb="$(mktemp -d)/alembic-check.sqlite3"
DATABASE_URL="sqlite+aiosqlite:///$tmpdb" "$VENV/bin/alembic" -c alembic.ini upgrade head >/dev/null
DATABASE_URL="sqlite+aiosqlite:///$tmpdb" "$VENV/bin/alembic" -c alembic.ini check

report="$(mktemp)"
set +e
"$VENV/bin/python" -m pytest -q --junitxml="$report" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
"$VENV/bin/python" - "$report" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
tests = sum(int(s.get("tests", 0)) for s in suites)
if tests == 0 or skipped:
    sys.exit(f"{skipped} of {tests} tests were skipped: every test must run")
PYEOF
