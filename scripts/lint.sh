#!/usr/bin/env bash
# ruff, configured in pyproject.toml ([tool.ruff*]), over the whole tree.
#
#   bash scripts/lint.sh --check   what scripts/test.sh (and so CI) runs first: `ruff check .` and
#                                  `ruff format --check .`; changes nothing, exits 1 on any finding
#   bash scripts/lint.sh           applies the fixes, then reports what is left for a hand:
#                                  1. `ruff check --fix .`  safe fixes only (import order, pyupgrade,
#                                     unused imports, stale noqa); unsafe ones are left to a person
#                                  2. `ruff format .`       reformats every file
#                                  3. `ruff check .` and `ruff format --check .` what is left (exit 1 if any)
#                                  Review the result with `git diff` and run the tests before committing.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/ruff ] || bash scripts/install.sh
ruff=.venv/bin/ruff

case "${1:-fix}" in
  --check)
    status=0
    "$ruff" check --output-format=concise . || status=1
    "$ruff" format --check --output-format=concise . || status=1  # `.venv/bin/ruff format --diff FILE` shows the change
    if [ "$status" -ne 0 ]; then
      echo "lint.sh: ruff found the problems above; 'bash scripts/lint.sh' fixes and formats what it can" >&2
    fi
    exit "$status"
    ;;
  fix)
    "$ruff" check --fix --exit-zero --output-format=concise .
    "$ruff" format .
    echo "lint.sh: what is left for a hand (none if nothing follows):" >&2
    status=0
    "$ruff" check --output-format=full . || status=1
    "$ruff" format --check . >/dev/null || status=1
    exit "$status"
    ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
