#!/usr/bin/env bash
# The development venv: .venv with the project (editable) and its dev extra, at
# the exact versions of constraints.txt (what the suite was last run against).
# scripts/test.sh and scripts/lint.sh call it; it is quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# pip's own exit status counts (pipefail); only its warning about this machine's
# unused local package index is filtered out.
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]" 2>&1 \
  | { grep -v "^WARNING: Location" || true; }
.venv/bin/python -c "import bot, telegram, slack_bolt, sqlmodel" # fail fast if the install did not work
