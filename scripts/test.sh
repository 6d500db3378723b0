#!/usr/bin/env bash
# The whole test suite: install what it needs (virtualenv, Python packages, and
# Debian's PostgreSQL server, started locally, Chromium and a CJK font, redis-server and wget), then run pytest. Every database
# test runs on SQLite and on PostgreSQL. Extra arguments go to pytest (-k, -x ...).
# --quick (first): the fast subset, on SQLite only, with nothing installed from Debian: no PostgreSQL,
# no Chromium, no large crawls, no end-to-end runs (the markers of pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
if [ "${1:-}" = "--quick" ]; then
    shift
    unset THEPAPER_TEST_PG_URL
    exec .venv/bin/python -m pytest -p no:cacheprovider -n "${THEPAPER_TEST_WORKERS:-2}" \
        -m "not pg and not chromium and not large and not slow" "$@"
fi
# Debian's Chromium renders the HTML report in a test, with a CJK font for its Chinese labels.
if ! command -v chromium >/dev/null 2>&1; then
    echo "test: installing chromium from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq chromium >&2
fi
if [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    echo "test: installing a CJK font (fonts-wqy-zenhei) from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq fonts-wqy-zenhei >&2
fi
# Debian's redis-server: tests/test_distributed.py starts a private instance.
if ! command -v redis-server >/dev/null 2>&1; then
    echo "test: installing redis-server from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq redis-server >&2
fi
# Debian's wget: tests/test_warc.py imports a WARC that wget --warc-file wrote (an independent writer).
if ! command -v wget >/dev/null 2>&1; then
    echo "test: installing wget from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq wget >&2
fi
if [ -z "${THEPAPER_TEST_PG_URL:-}" ]; then
    THEPAPER_TEST_PG_URL=$(scripts/pg-test-server.sh)
    export THEPAPER_TEST_PG_URL
fi
# Two worker processes (pytest-xdist; each has a PostgreSQL database of its own, see tests/conftest.py):
# the suite takes about half as long on two cores. THEPAPER_TEST_WORKERS=0 runs it in one process.
exec .venv/bin/python -m pytest -p no:cacheprovider -n "${THEPAPER_TEST_WORKERS:-2}" "$@"
