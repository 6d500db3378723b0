#!/usr/bin/env bash
# The gates beside the tests: ruff's lint rules and mypy (their configuration is in pyproject.toml),
# and ruff's format check. mypy is strict on domain/ and cleaning/ and gates the packages of
# $MYPY_PACKAGES (default: every package of the project).
# Installs what it needs (the `lint` extra).
#   scripts/lint.sh            ruff check, mypy, ruff format --check
#   scripts/lint.sh --no-format   the same without the format check (while editing; CI runs all three)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
.venv/bin/python -m pip install -q -e ".[lint]" >/dev/null
.venv/bin/ruff check .
# shellcheck disable=SC2086
.venv/bin/mypy ${MYPY_PACKAGES:-domain cleaning storage jobs pipelines crawler mocksite}
if [ "${1:-}" != "--no-format" ]; then
    .venv/bin/ruff format --check .
fi
