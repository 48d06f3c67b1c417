#!/usr/bin/env bash
# Rebuild constraints.txt from scratch: a fresh venv, the project and its dev
# extra installed unpinned (so the newest versions pyproject.toml allows),
# nothing else run, then `pip freeze --exclude-editable`.
#
# Then run `bash scripts/test.sh` (it installs from the new file) and commit
# constraints.txt only if the suite passes: the file is the versions the suite
# was last run against. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 \
  | { grep -v "^WARNING: Location" || true; }

{
  echo "# The exact version of every distribution the test suite was last run against,"
  echo "# runtime and dev: what 'pip install -e .[dev]' brought into a fresh venv."
  echo "# Made by scripts/refresh-constraints.sh (a fresh venv, installed unpinned,"
  echo "# nothing else run, 'pip freeze --exclude-editable') on $(date -u +%Y-%m-%d)"
  echo "# with $("$tmp/venv/bin/python" --version) and pip $("$tmp/venv/bin/python" -m pip --version | cut -d' ' -f2)."
  echo "# Used by the README's run command (pip install -c constraints.txt -e .) and by"
  echo "# scripts/test.sh; rerun the script to move to newer versions, then the tests."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check
} >"$tmp/constraints.txt"
mv "$tmp/constraints.txt" constraints.txt
echo "refresh-constraints.sh: wrote constraints.txt ($(grep -vc '^#' constraints.txt) distributions); now run bash scripts/test.sh" >&2
