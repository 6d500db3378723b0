#!/usr/bin/env bash
# The whole test suite: install what it needs (virtualenv, Python packages), then
# run pytest. Extra arguments go to pytest (e.g. -k mock, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
