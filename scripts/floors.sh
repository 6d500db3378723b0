#!/usr/bin/env bash
# The dependency floors are true: in a virtualenv of its own, every dependency of pyproject.toml
# pinned at its floor (">=X" installed as "==X"; what they depend on as pip resolves it), a smoke
# test: import every module, `thepaper-archive clean` of a saved page, a small crawl of the mock
# into SQLite, then stats, search and export of it. .ci/run calls it after the tests (a few minutes,
# most of it pip). Usage: scripts/floors.sh   (FLOORS_VENV=DIR chooses the virtualenv, default
# .venv-floors; it is made anew when pyproject.toml is newer than it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
venv="${FLOORS_VENV:-.venv-floors}"
say() { echo "floors: $*" >&2; }

# The floors, from the [project] dependencies: "name>=X" -> "name==X".
constraints="$venv/floors.txt"
if [ ! -x "$venv/bin/python" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
    rm -rf "$venv"
    "$PY" -m venv "$venv"
    "$venv/bin/python" - <<'EOF' > "$venv/floors.txt"
import re, tomllib
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    name, floor = re.fullmatch(r"([A-Za-z0-9_.\-]+(?:\[[a-z,]+\])?)\s*>=\s*([0-9][^,;\s]*)", dep).groups()
    print(f"{name}=={floor}")
EOF
    say "installing $(wc -l < "$constraints") dependencies at their floors into $venv"
    "$venv/bin/python" -m pip install -qq --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install -qq -r "$constraints"
    "$venv/bin/python" -m pip install -qq --no-deps -e . 2>/dev/null
    touch "$venv/.installed"
fi
# pip must have kept every floor (a floor that cannot be installed beside the others is not one).
"$venv/bin/python" - "$constraints" <<'EOF'
import re, sys
from importlib.metadata import version
bad = []
for line in open(sys.argv[1]):
    name, floor = re.fullmatch(r"([^\[=]+)(?:\[[^\]]*\])?==(\S+)\s*", line).groups()
    same = lambda v: re.sub(r"(\.0)+$", "", v)  # 5 == 5.0.0
    if same(version(name)) != same(floor):
        bad.append(f"{name} {version(name)} installed, floor {floor}")
sys.exit("floors: " + "; ".join(bad) if bad else 0)
EOF
say "$(tr '\n' ' ' < "$constraints")"

tmp=$(mktemp -d)
mock_pid=""
cleanup() { [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cli="$venv/bin/thepaper-archive"

say "import every module"
"$venv/bin/python" - <<'EOF'
import importlib, pkgutil
count = 0
for top in ("domain", "cleaning", "storage", "jobs", "pipelines", "crawler", "mocksite"):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        # migrations run under Alembic; Datasette's plugins load inside Datasette (the browse extra)
        if ".migrations" in info.name or info.name.endswith("__main__") or ".datasette_plugins" in info.name:
            continue
        importlib.import_module(info.name)
        count += 1
print(f"floors: {count} modules imported")
EOF

say "clean a saved page"
"$cli" clean tests/data/samples/m_thepaper_2017_newsDetail_forward_1787647.html --json > "$tmp/clean.json"
"$venv/bin/python" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["title"] and r["paragraphs"], r' "$tmp/clean.json"

say "crawl the mock into SQLite"
"$cli" mock --port 0 --articles 30 > "$tmp/mock.out" 2> "$tmp/mock.err" &
mock_pid=$!
for _ in $(seq 1 300); do  # the mock prints its address once it listens
    base=$(sed -n 's/^mock thepaper.cn .* at \(http[^ ]*\).*/\1/p' "$tmp/mock.out")
    [ -n "$base" ] && break
    kill -0 "$mock_pid" 2>/dev/null || { say "the mock did not start"; exit 1; }
    sleep 0.1
done
[ -n "$base" ] || { say "the mock did not say its address"; exit 1; }
"$cli" crawl --base-url "$base" --db "$tmp/a.db" --max-articles 20 -q
"$cli" stats --db "$tmp/a.db" --json > "$tmp/stats.json"
"$cli" search --db "$tmp/a.db" --json 芯片 > /dev/null
"$cli" export --db "$tmp/a.db" --format jsonl -o "$tmp/a.jsonl"
"$cli" export --db "$tmp/a.db" --format parquet -o "$tmp/a.parquet"
"$cli" export --db "$tmp/a.db" --format xlsx -o "$tmp/a.xlsx"
"$cli" export --db "$tmp/a.db" --format warc -o "$tmp/a.warc.gz"
"$cli" import --warc "$tmp/a.warc.gz" --db "$tmp/b.db" -q
n=$(wc -l < "$tmp/a.jsonl")
[ "$n" -ge 10 ] || { say "the crawl stored $n articles, expected at least 10"; exit 1; }
say "ok: $n articles crawled, cleaned, searched and exported under the floors"
