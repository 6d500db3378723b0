#!/usr/bin/env bash
# Create ./.venv and install thepaper-archive into it (idempotent).
# Usage: scripts/bootstrap.sh [extra]   e.g. "test" installs the test dependencies too.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "bootstrap: installing python3 from Debian's packages" >&2
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
fi
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "bootstrap: Python 3.11 or newer is needed ($("$PY" --version 2>&1) found)" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PY" -m venv .venv 2>/dev/null; then
        echo "bootstrap: installing python3-venv from Debian's packages" >&2
        rm -rf .venv
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PY" -m venv .venv
    fi
fi
stamp=".venv/.installed-${extra:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    if [ -n "$extra" ]; then
        .venv/bin/python -m pip install -q -e ".[$extra]"
    else
        .venv/bin/python -m pip install -q -e .
    fi
    touch "$stamp"
fi
# The dictionaries' memory-mapped tables (cleaning/vocab.py), built once here rather than by the
# first crawl, reprocess or test process that needs them (a no-op when they are up to date).
.venv/bin/python -m cleaning.vocab >/dev/null
# The project's own modules compiled to bytecode once, so that every process (a crawl's worker,
# reprocess's cleaners, each test's commands) reads them compiled even where
# PYTHONDONTWRITEBYTECODE is set; an edited module is compiled again in memory until the next
# bootstrap (Python checks each file's timestamp).
.venv/bin/python -m compileall -q -j 0 crawler cleaning domain jobs mocksite pipelines storage bench >/dev/null
