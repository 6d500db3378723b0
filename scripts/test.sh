#!/usr/bin/env bash
# The whole test suite: install what it needs (virtualenv, Python packages, and
# Debian's PostgreSQL server, started locally), then run pytest. Every database
# test runs on SQLite and on PostgreSQL. Extra arguments go to pytest (-k, -x ...).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
if [ -z "${THEPAPER_TEST_PG_URL:-}" ]; then
    THEPAPER_TEST_PG_URL=$(scripts/pg-test-server.sh)
    export THEPAPER_TEST_PG_URL
fi
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
