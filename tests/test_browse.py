"""Datasette: the shipped metadata is generated from the schema's documentation, and Datasette
serves the archive with it — a search, facets, the views, a canned query — both as
``datasette FILE -m deploy/datasette/metadata.json`` and through ``thepaper-archive browse``."""

from __future__ import annotations

import functools
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
    # the search box and the tags facet come from the archive's plugin, not Datasette's fts_table search
    for name in ("articles", "article_overview"):
        assert "fts_table" not in tables[name] and tables[name]["plugins"] == {"thepaper-archive": {"key": "cont_id"}}
        assert {"tags": "cont_id"} in tables[name]["facets"]
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


#: What is typed in the search box: words of 1, 2 and 3+ characters, mixed, upper case, Traditional
#: (晶片 is 芯片), and words no article holds.
SEARCH_BOX = ["光", "芯片", "人工智能", "人工智能 光", "大模型 教育", "AI", "晶片", "量子", "光 量子计算"]


def _search_box(port: int, db: str, table: str, query: str) -> set[int]:
    col = "title" if table == "articles" else "cont_id"  # a table's rows always carry their key, a view's do not
    page = _get(port, f"/{db}/{table}.json", _search=query, _shape="objects", _col=col, _size="max")
    assert not page.get("next")
    return {r["cont_id"] for r in page["rows"]}


@functools.cache
def _typed_search(archive, query: str) -> set[int]:
    """``thepaper-archive search`` as typed: what the search box must find."""
    typed = run_cli("search", "--db", str(archive), "--json", "--limit", "1000", query, check=True)
    return {h["cont_id"] for h in json.loads(typed.stdout)}


def _check_search_box(port: int, db: str, archive) -> None:
    """The search box of both article tables finds what ``thepaper-archive search`` finds."""
    for query in SEARCH_BOX:
        want = _typed_search(archive, query)
        assert _search_box(port, db, "articles", query) == want, query
        assert _search_box(port, db, "article_overview", query) == want, query
    assert set(expected_hits(["光"])) and set(expected_hits(["芯片"]))  # the 1-2 character words are found
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{db}/article_overview?_search=%E5%85%89", timeout=20) as r:
        html = r.read().decode()
    assert 'name="_search" value="光"' in html and "search finds &#34;光&#34;" in html


def _check_tags_facet(port: int, db: str) -> None:
    """The article view has a facet of tags by name; choosing one (and then another) filters."""
    page = _get(port, f"/{db}/article_overview.json", _shape="objects", _size="0")
    tags = {t["label"]: t["count"] for t in page["facet_results"]["tags"]["results"]}
    want = {}
    for row in ARTICLES:
        for tag in row[6]:
            want[tag] = want.get(tag, 0) + 1
    assert tags == want
    chosen = _get(port, f"/{db}/article_overview.json", _tag="人工智能", _shape="objects", _col="cont_id", _size="max")
    assert {r["cont_id"] for r in chosen["rows"]} == {r[0] for r in ARTICLES if "人工智能" in r[6]}
    assert [t for t in chosen["facet_results"]["tags"]["results"] if t["selected"]][0]["label"] == "人工智能"
    both = _get(port, f"/{db}/articles.json", _tag=["人工智能", "芯片"], _shape="objects", _col="title", _size="max")
    assert {r["cont_id"] for r in both["rows"]} == {r[0] for r in ARTICLES if {"人工智能", "芯片"} <= set(r[6])}


def _check_archive_served(port: int, db: str) -> None:
    # the search box with facets on column and content type
    page = _get(
        port,
        f"/{db}/articles.json",
        _search="人工智能",
        _facet=["node_name", "content_type"],
        _shape="objects",
        _col="title",
        _size="100",
    )
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
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(archive),
            "-m",
            str(SHIPPED),
            "--plugins-dir",
            "crawler/datasette_plugins",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(proc, port)
        _check_archive_served(port, "archive")
        _check_search_box(port, "archive", archive)
    finally:
        proc.terminate()
        proc.wait(timeout=600)


def test_browse_serves_the_archive_and_stops_with_it(archive, tmp_path):
    named = tmp_path / "tech_news.sqlite3"  # another name: browse writes the metadata for it
    named.write_bytes(archive.read_bytes())
    before = named.read_bytes()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "browse", "--db", str(named), "--port", str(port)],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(proc, port)
        _check_archive_served(port, "tech_news")
        _check_search_box(port, "tech_news", archive)  # a copy of it
        _check_tags_facet(port, "tech_news")
        # opened immutable: Datasette says so, and the file is left as it was, nothing in a journal
        # (the read-only check of the archive before Datasette may leave an empty -wal and its -shm)
        assert [d["is_mutable"] for d in _get(port, "/-/databases.json")] == [False]
        assert named.read_bytes() == before
        wal = tmp_path / "tech_news.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        proc.send_signal(signal.SIGTERM)  # `kill %1`: a server stopped on request exits 0, with no error line
        code = proc.wait(timeout=600)
    assert code == 0
    assert "error" not in proc.stderr.read().decode()
    with pytest.raises(OSError):  # Datasette ended with it
        _get(port, "/-/versions.json")


@pytest.mark.parametrize(
    "db,line",
    [
        (
            "postgresql://nobody@127.0.0.1:1/none",
            "thepaper-archive: error: browse needs a SQLite archive (Datasette "
            "reads SQLite only); for PostgreSQL, export --format parquet or use the database's own tools",
        ),
        (
            "{tmp}/missing.sqlite3",
            "thepaper-archive: error: no archive at {tmp}/missing.sqlite3 (crawl or import first, or check --db)",
        ),
    ],
)
def test_browse_errors_are_one_line(tmp_path, db, line):
    proc = run_cli("browse", "--db", db.format(tmp=tmp_path))
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [line.format(tmp=tmp_path)]


def test_browse_metadata_only_names_the_file(archive):
    proc = run_cli("browse", "--db", str(archive), "--metadata-only", check=True)
    assert json.loads(proc.stdout) == datasette_meta.build("archive")
