#!/usr/bin/env bash
# The main job: install if needed, then crawl thepaper.cn's technology lists into
# the default SQLite archive (./data/archive.sqlite3). Extra arguments go to
# `thepaper-archive crawl` (e.g. --max-articles 50, --db URL, --base-url URL).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh all   # the analysis and browse extras too: all that the README documents
exec .venv/bin/thepaper-archive crawl "$@"
