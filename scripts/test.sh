#!/usr/bin/env bash
# Install everything the tests need and run them: SQLite always, PostgreSQL too
# (a real server that scripts/postgres.sh installs and starts on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import bot, telegram, slack_bolt, sqlmodel" # fail fast if the install did not work

eval "$(bash scripts/postgres.sh start)"
export BEACON_TEST_POSTGRES_URL

exec .venv/bin/python -m pytest "$@"
