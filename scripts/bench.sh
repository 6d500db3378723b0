#!/usr/bin/env bash
# The benchmark, from a fresh clone: install what it needs (the virtualenv with the test extras,
# which bring trafilatura, and Debian's redis-server for the scale-out figures), then run
# `python -m bench.run`. Extra arguments go to it (--quick, --sizes 2000,20000, --scaleout 0 ...).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
if ! command -v redis-server >/dev/null 2>&1; then
    echo "bench: installing redis-server from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq redis-server >&2
fi
exec .venv/bin/python -m bench.run "$@"
