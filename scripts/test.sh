#!/usr/bin/env bash
# What CI runs (.ci/run) and the README's test command: install what the tests
# need (at the versions of constraints.txt), lint, and run the tests: SQLite
# always, PostgreSQL too (a real server that scripts/postgres.sh installs and
# starts on 127.0.0.1). Arguments go to pytest.
#
# The run fails if ruff finds a problem or a test fails; pytest's exit 5 (no
# test collected) fails it too. The tests run even when the lint fails, so one
# run tells both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

lint=0
bash scripts/lint.sh --check || lint=$?

eval "$(bash scripts/postgres.sh start)"
export BEACON_TEST_POSTGRES_URL

tests=0
.venv/bin/python -m pytest "$@" || tests=$?

if [ "$tests" -eq 5 ]; then
  echo "test.sh: pytest collected no test: that is a failure, not a pass" >&2
fi
if [ "$lint" -ne 0 ]; then
  echo "test.sh: the lint failed (see ruff's findings before the tests); 'bash scripts/lint.sh' fixes what it can" >&2
fi
if [ "$tests" -ne 0 ]; then
  exit "$tests"
fi
exit "$lint"
