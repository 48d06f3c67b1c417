#!/usr/bin/env bash
# What CI runs (.ci/run) and the README's test command: install what the tests
# need (at the versions of constraints.txt) and run the tests: SQLite always,
# PostgreSQL too (a real server that scripts/postgres.sh installs and starts
# on 127.0.0.1). Arguments go to pytest.
#
# The run fails if a test fails; pytest's exit 5 (no test collected) fails it too.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

eval "$(bash scripts/postgres.sh start)"
export BEACON_TEST_POSTGRES_URL

tests=0
.venv/bin/python -m pytest "$@" || tests=$?

if [ "$tests" -eq 5 ]; then
  echo "test.sh: pytest collected no test: that is a failure, not a pass" >&2
fi
exit "$tests"
