#!/usr/bin/env bash
# What CI runs (.ci/run) and the README's test command: install what the tests
# need (at the versions of constraints.txt), lint, and run the tests: SQLite
# always, PostgreSQL too (a real server that scripts/postgres.sh installs and
# starts on 127.0.0.1). Arguments go to pytest.
#
# The suite runs on every core (pytest-xdist, -n auto; BEACON_TEST_WORKERS=1
# runs it in one process), each test stealing work as the others finish so one
# long simulation does not hold up the rest. Every test is isolated on its own
# database, ports and temporary folder, so the order does not matter. The
# slowest tests are listed at the end so a creeping suite is seen early.
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

workers="${BEACON_TEST_WORKERS:-auto}"
parallel=()
if [ "$workers" != "1" ]; then
  parallel=(-n "$workers" --dist worksteal)
fi

tests=0
.venv/bin/python -m pytest "${parallel[@]}" --durations=15 "$@" || tests=$?

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
