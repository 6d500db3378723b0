#!/usr/bin/env bash
# The gates beside the tests: ruff's lint rules, ruff's format, mypy (their configuration is in
# pyproject.toml). mypy is strict on domain/ and gates the packages of $MYPY_PACKAGES (default:
# domain; add a package once `mypy PACKAGE` passes). Installs what it needs (the `lint` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# shellcheck disable=SC2086
.venv/bin/mypy ${MYPY_PACKAGES:-domain}
