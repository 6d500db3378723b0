"""Datasette: the shipped metadata is generated from the schema's documentation, and Datasette
serves the archive with it — a search, facets, the views, a canned query — both as
``datasette FILE -m deploy/datasette/metadata.json`` and through ``thepaper-archive browse``."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import pytest

from storage import datasette_meta
from storage.db import open_archive
from storage.models import Base
from storage.views import VIEWS
from tests.conftest import ROOT, cli_env, run_cli
from tests.test_analysis_data import ARTICLES, COLUMNS, expected_hits, fill_archive

SHIPPED = ROOT / "deploy" / "datasette" / "metadata.json"


def test_shipped_metadata_is_current():
    assert SHIPPED.read_text(encoding="utf-8") == datasette_meta.render()


def test_metadata_comes_from_the_schema_documentation():
    tables = datasette_meta.build("x")["databases"]["x"]["tables"]
    for table in Base.metadata.tables.values():
        assert tables[table.name]["description"] == table.comment
        assert tables[table.name]["columns"] == {c.name: c.comment for c in table.columns}
    for name, (desc, cols) in VIEWS.items():
        assert tables[name]["description"] == desc and list(tables[name]["columns"]) == [c for c, _, _ in cols]
    assert tables["articles"]["fts_table"] == "articles_fts" and tables["articles"]["fts_pk"] == "cont_id"
    assert tables["alembic_version"]["hidden"] is True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, **params) -> dict:
    query = urllib.parse.urlencode(list(params.items()), doseq=True)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{urllib.parse.quote(path)}?{query}", timeout=20) as r:
        return json.loads(r.read())


def _wait(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        try:
            _get(port, "/-/versions.json")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("Datasette did not start")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("browse") / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{path}", create=True)
    fill_archive(Session, datetime.now(timezone.utc))
    engine.dispose()
    return path


def _check_archive_served(port: int, db: str) -> None:
    # the search box (trigram index through fts_pk) with facets on column and content type
    page = _get(port, f"/{db}/articles.json", _search="人工智能", _facet=["node_name", "content_type"],
                _shape="objects", _col="title", _size="100")
    want = expected_hits(["人工智能"])
    assert {r["cont_id"] for r in page["rows"]} == set(want)
    by_id = {r[0]: r for r in ARTICLES}
    columns = {}
    for cid in want:
        name = COLUMNS.get(by_id[cid][3], "")
        columns[name] = columns.get(name, 0) + 1
    got = {f["value"]: f["count"] for f in page["facet_results"]["node_name"]["results"]}
    assert got == {k: v for k, v in columns.items()}
    assert {f["value"] for f in page["facet_results"]["content_type"]["results"]} <= {"news", "pph", "video", "gone"}
    # default facets from the metadata: the date facet on the view, tag names on article_tags
    view = _get(port, f"/{db}/article_overview.json", _shape="objects", _size="0")
    assert {"node_name", "content_type", "published_date"} <= set(view["facet_results"])
    days = sum(f["count"] for f in view["facet_results"]["published_date"]["results"])
    assert days == len(ARTICLES)
    tags = _get(port, f"/{db}/article_tags.json", _size="0")["facet_results"]["tag_id"]["results"]
    assert {t["label"]: t["count"] for t in tags}["人工智能"] == sum("人工智能" in r[6] for r in ARTICLES)
    # the views are listed with their documented descriptions; the canned query finds 1-character words
    meta = _get(port, "/-/metadata.json")
    assert meta["databases"][db]["tables"]["daily_counts"]["description"] == VIEWS["daily_counts"][0]
    listing = _get(port, f"/{db}.json")
    assert {"article_overview", "daily_counts"} <= {v["name"] for v in listing["views"]}
    canned = _get(port, f"/{db}/articles_containing.json", term="光", _shape="objects")
    assert {r["cont_id"] for r in canned["rows"]} == set(expected_hits(["光"]))


def test_datasette_with_the_shipped_metadata(archive):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(archive), "-m", str(SHIPPED),
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(proc, port)
        _check_archive_served(port, "archive")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_browse_serves_the_archive_and_stops_with_it(archive, tmp_path):
    named = tmp_path / "tech_news.sqlite3"  # another name: browse writes the metadata for it
    named.write_bytes(archive.read_bytes())
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "browse", "--db", str(named), "--port", str(port)],
                            cwd=ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(proc, port)
        _check_archive_served(port, "tech_news")
    finally:
        proc.send_signal(signal.SIGTERM)  # `kill %1`: a server stopped on request exits 0, with no error line
        code = proc.wait(timeout=30)
    assert code == 0
    assert "error" not in proc.stderr.read().decode()
    with pytest.raises(OSError):  # Datasette ended with it
        _get(port, "/-/versions.json")


@pytest.mark.parametrize("db,line", [
    ("postgresql://nobody@127.0.0.1:1/none", "thepaper-archive: error: browse needs a SQLite archive (Datasette "
     "reads SQLite only); for PostgreSQL, export --format parquet or use the database's own tools"),
    ("{tmp}/missing.sqlite3", "thepaper-archive: error: no archive at {tmp}/missing.sqlite3 (crawl or import "
     "first, or check --db)"),
])
def test_browse_errors_are_one_line(tmp_path, db, line):
    proc = run_cli("browse", "--db", db.format(tmp=tmp_path))
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [line.format(tmp=tmp_path)]


def test_browse_metadata_only_names_the_file(archive):
    proc = run_cli("browse", "--db", str(archive), "--metadata-only", check=True)
    assert json.loads(proc.stdout) == datasette_meta.build("archive")
