"""Every fenced snippet of docs/analysis.md runs as written, against a small archive the test
builds in ``./data/archive.sqlite3`` of a scratch directory.

How a snippet is run, by its fence and, for SQL, its first line:

* ```` ```sh ````: bash ``-e`` in the scratch directory, ``thepaper-archive`` and ``datasette``
  on the PATH. A line with the comment ``# until Ctrl-C`` starts a server (it must name its
  ``--port``): it runs in the background, the next lines run once it answers, and it is
  stopped (SIGTERM) at the end of the snippet.
* ```` ```python ````: the interpreter of the tests, in the scratch directory.
* ```` ```sql ```` whose first line is ``-- SQLite``: the scratch archive, read-only;
  ``-- DuckDB``: DuckDB in the scratch directory; ``-- PostgreSQL``: a PostgreSQL archive
  with the same articles; ``-- PostgreSQL, as the database owner``: in a transaction that is
  rolled back, with the example database and role names replaced (needs CREATEROLE).

A snippet of any other kind fails :func:`test_every_snippet_is_of_a_kind_that_runs`: new
snippets are run too, or the test says how to label them.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage.articles import save_article
from storage.db import open_archive
from tests.conftest import BACKENDS, ROOT, cli_env, fresh_db_url
from tests.test_analysis_data import ARTICLES, fill_archive, make_record

DOC = ROOT / "docs" / "analysis.md"
FENCE = re.compile(r"^```([A-Za-z]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
SERVER_MARK = "# until Ctrl-C"
SQL_KINDS = ("-- SQLite", "-- DuckDB", "-- PostgreSQL, as the database owner", "-- PostgreSQL")
#: The article the page's examples name (schema.md's example id too).
EXAMPLE_ID = 30012345


@dataclass(frozen=True)
class Snippet:
    lang: str
    code: str
    line: int

    @property
    def kind(self) -> str | None:
        if self.lang in ("sh", "python"):
            return self.lang
        if self.lang == "sql":
            first = self.code.splitlines()[0].strip() if self.code.strip() else ""
            return next((k for k in SQL_KINDS if first.startswith(k)), None)
        return None

    def __str__(self) -> str:
        return f"docs/analysis.md:{self.line} ({self.lang})"


def snippets() -> list[Snippet]:
    text = DOC.read_text(encoding="utf-8")
    return [Snippet(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def test_every_snippet_is_of_a_kind_that_runs():
    found = snippets()
    assert len(found) >= 10
    bad = [str(s) for s in found if s.kind is None]
    assert not bad, (
        f"snippets this test cannot run: {bad}; use ```sh, ```python, or ```sql whose first line is one of {SQL_KINDS}"
    )


def _fill(url: str, now: datetime) -> None:
    engine, Session = open_archive(url, create=True)
    try:
        fill_archive(Session, now)
        with Session() as s:
            rec = make_record(
                (
                    EXAMPLE_ID,
                    0,
                    7,
                    25950,
                    "国产大模型发布新版本：人工智能芯片需求上升",
                    ["新版本在推理能力上有明显提升。", "芯片供应仍然紧张。"],
                    ["人工智能", "大模型"],
                    "news",
                ),
                now,
            )
            rec.repair_log = [
                {
                    "field": "body",
                    "offset": 5,
                    "rule": "gbk_tear",
                    "before": "?;",
                    "after": "模",
                    "by": "model",
                    "margin": 12.4,
                }
            ]
            save_article(s, rec, raw_page_id=None, now=now - timedelta(minutes=5))
            s.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("analysis_docs")
    (work / "data").mkdir()
    _fill(f"sqlite:///{work / 'data' / 'archive.sqlite3'}", datetime.now(timezone.utc).replace(microsecond=0))
    return work


def _env() -> dict[str, str]:
    env = cli_env()
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


_SH_PRELUDE = """set -e
_servers=""
_stop() { for p in $_servers; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap _stop EXIT
_answers() {  # wait until the server started last answers on port $1
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || { echo "the server of line $3 ended" >&2; return 1; }
    if python -c "import sys, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{sys.argv[1]}/', timeout=2)" \\
         "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "the server of line $3 does not answer on port $1" >&2; return 1
}
"""


def shell_script(snippet: Snippet) -> str:
    """The snippet as bash runs it: servers in the background, waited for (module doc)."""
    out = [_SH_PRELUDE]
    for i, line in enumerate(snippet.code.splitlines(), snippet.line + 1):
        if SERVER_MARK in line:
            command = line[: line.index(SERVER_MARK)].rstrip()
            port = re.search(r"--port[ =](\d+)", command)
            assert port, f"docs/analysis.md:{i}: a server line must name its --port"
            out += [f"{command} &", '_servers="$_servers $!"', f"_answers {port.group(1)} $! {i}"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _statements(code: str) -> list[str]:
    """The SQL statements of a snippet (comments dropped; the page's SQL has no ';' in strings)."""
    body = "\n".join(ln for ln in code.splitlines() if not ln.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _run_duckdb(snippet: Snippet, work: Path) -> None:
    import duckdb

    cwd = os.getcwd()
    os.chdir(work)  # DuckDB reads 'articles.parquet' from the working directory
    try:
        con = duckdb.connect()
        for stmt in _statements(snippet.code):
            assert con.execute(stmt).fetchall(), f"{snippet}: no rows from {stmt[:60]!r}"
    finally:
        os.chdir(cwd)


def test_shell_python_and_duckdb_snippets_run_in_order(workdir):
    """In page order: later snippets read the files earlier ones export."""
    failures = []
    for snippet in snippets():
        if snippet.kind in ("sh", "python"):
            if snippet.kind == "sh":
                cmd = ["bash", "-c", shell_script(snippet)]
            else:
                script = workdir / f"snippet_{snippet.line}.py"
                script.write_text(snippet.code, encoding="utf-8")
                cmd = [sys.executable, str(script)]
            proc = subprocess.run(cmd, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                failures.append(f"{snippet}: exit {proc.returncode}\n{proc.stderr[-1500:]}")
        elif snippet.kind == "-- DuckDB":
            try:
                _run_duckdb(snippet, workdir)
            except Exception as exc:  # noqa: BLE001 - report every snippet
                failures.append(f"{snippet}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)
    # what the snippets wrote is what they promise
    assert (workdir / "articles.xlsx").read_bytes()[:2] == b"PK"
    assert (workdir / "articles.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert (workdir / "report.html").stat().st_size > 0


def test_sqlite_snippets_run(workdir):
    db = workdir / "data" / "archive.sqlite3"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ran = 0
        for snippet in (s for s in snippets() if s.kind == "-- SQLite"):
            for stmt in _statements(snippet.code):
                assert con.execute(stmt).fetchall(), f"{snippet}: no rows from {stmt[:60]!r}"
                ran += 1
    finally:
        con.close()
    assert ran >= 3


@pytest.fixture(scope="module")
def pg_archive(tmp_path_factory):
    if "postgresql" not in BACKENDS:
        pytest.skip("THEPAPER_TEST_PG_URL is not set")
    url = fresh_db_url("postgresql", tmp_path_factory.mktemp("pg"), "analysis_docs")
    _fill(url, datetime.now(timezone.utc).replace(microsecond=0))
    return url


def _pg_connect(url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database)


def test_postgresql_snippets_run(pg_archive):
    ran = 0
    with _pg_connect(pg_archive) as con:
        for snippet in (s for s in snippets() if s.kind == "-- PostgreSQL"):
            for stmt in _statements(snippet.code):
                assert con.execute(stmt).fetchall(), f"{snippet}: no rows from {stmt[:60]!r}"
                ran += 1
    assert ran >= 2


def test_postgresql_owner_snippet_runs(pg_archive):
    """The read-only role, created for real and rolled back (needs a role that may create roles)."""
    with _pg_connect(pg_archive) as con:
        may = con.execute("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        assert may, "the test's PostgreSQL role may not create roles (scripts/pg-test-server.sh grants it)"
        dbname = con.execute("SELECT current_database()").fetchone()[0]
        role = f"analyst_{uuid.uuid4().hex[:8]}"
        try:
            for snippet in (s for s in snippets() if s.kind == "-- PostgreSQL, as the database owner"):
                for stmt in _statements(snippet.code):
                    stmt = re.sub(r"\bDATABASE thepaper\b", f'DATABASE "{dbname}"', stmt)
                    con.execute(re.sub(r"\banalyst\b", role, stmt))
        finally:
            con.rollback()


def test_search_examples_agree_with_the_command(workdir):
    """The page's claims about search: Traditional words find the Simplified articles, and the
    combined SQL finds what the command finds."""
    import json

    from tests.conftest import run_cli

    db = str(workdir / "data" / "archive.sqlite3")
    typed = json.loads(run_cli("search", "--db", db, "人工智慧 晶片", "--json", "--limit", "100", check=True).stdout)
    simple = json.loads(run_cli("search", "--db", db, "人工智能 芯片", "--json", "--limit", "100", check=True).stdout)
    assert {h["cont_id"] for h in typed} == {h["cont_id"] for h in simple} and len(simple) >= 2
    combined = next(
        s
        for s in snippets()
        if s.kind == "-- SQLite" and "LIKE '%芯片%'" in s.code and "MATCH" in s.code and "a.title LIKE" in s.code
    )
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = {r[0] for r in con.execute(_statements(combined.code)[0])}
    finally:
        con.close()
    assert rows == {h["cont_id"] for h in simple}
    assert len(ARTICLES) + 1 == con_count(db)


def con_count(db: str) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()
