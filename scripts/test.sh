#!/usr/bin/env bash
# Set up (as scripts/demo.sh does, plus the test tools), lint, type-check, start the production servers
# (PostgreSQL and a Chroma server on loopback, scripts/services.sh), then run the whole test suite with
# the real engines and models; the servers are stopped when this script ends, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export OMP_THREAD_LIMIT=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check src tests training
.venv/bin/mypy

# Servers someone already runs (both variables set) are used as they are. Under CI (CI set) a server that
# does not start fails the run, and tests_support_servers.py fails a test that finds none: CI never passes
# by skipping them. A developer's run without them goes on, and their tests are skipped.
if [ -n "${JINNANG_TEST_DATABASE_URL:-}" ] && [ -n "${JINNANG_TEST_CHROMA_PORT:-}" ]; then
  echo "test: using the servers of JINNANG_TEST_DATABASE_URL and JINNANG_TEST_CHROMA_PORT" >&2
elif services=$(bash scripts/services.sh start); then
  eval "$services"
  trap 'bash scripts/services.sh stop "$JINNANG_SERVICES_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
elif [ -n "${CI:-}" ]; then
  echo "test: PostgreSQL and the Chroma server did not start; CI does not run without them" >&2
  exit 1
else
  echo "test: PostgreSQL and the Chroma server did not start; the tests that need them are skipped" >&2
fi
.venv/bin/python -m pytest -q "$@"
# the storage and API tests once more, every test's database on PostgreSQL (tests/conftest.py); the
# whole suite above already ran the PostgreSQL, queue and Chroma-server tests against the servers
if [ $# -eq 0 ] && [ -n "${JINNANG_TEST_DATABASE_URL:-}" ]; then
  JINNANG_TEST_BACKEND=postgresql .venv/bin/python -m pytest -q -p no:cacheprovider -m "not slow" \
    tests/core tests/api tests/rules
fi
