"""docs/schema.md cannot drift; the analysis objects of revision 0003 exist on each
backend, are filtered out of model comparisons, and the views are read-only SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import schema_doc
from storage.db import open_archive, upgrade
from storage.models import Base
from storage.views import VIEWS, include_name
from tests.test_analysis_data import db_url  # noqa: F401
from tests.conftest import downgrade

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_doc_is_current():
    proc = subprocess.run(
        [sys.executable, "-m", "storage.schema_doc"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert proc.stdout == committed, "docs/schema.md is stale: run python -m storage.schema_doc > docs/schema.md"


def test_schema_doc_covers_every_table_column_and_view():
    text = schema_doc.render()
    for table in Base.metadata.tables.values():
        assert f"## `{table.name}`" in text
        for col in table.columns:
            assert col.comment and col.comment.replace("|", "\\|") in text
    for view, (_, cols) in VIEWS.items():
        assert f"## view `{view}`" in text
        for name, _, _ in cols:
            assert f"| `{name}` |" in text
    assert "articles_fts" in text


def test_schema_doc_refuses_a_column_without_example(monkeypatch):
    monkeypatch.delitem(schema_doc.EXAMPLES, "articles.word_count")
    with pytest.raises(ValueError, match="articles.word_count"):
        schema_doc.render()


def test_schema_doc_refuses_undocumented_view_columns(monkeypatch):
    desc, cols = VIEWS["daily_counts"]
    monkeypatch.setitem(VIEWS, "daily_counts", (desc, cols[:-1]))
    with pytest.raises(ValueError, match="daily_counts"):
        schema_doc.render()


def test_models_match_migrations_apart_from_analysis_objects(db_url):  # noqa: F811
    engine, _ = open_archive(db_url, create=True)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            assert compare_metadata(ctx, Base.metadata) == []
            unfiltered = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        names = {d[1].name for d in unfiltered if d[0] in ("remove_table", "remove_index")}
        expected = (
            {"articles_fts"}
            if engine.dialect.name == "sqlite"
            else {"ix_articles_title_trgm", "ix_articles_body_text_trgm"}
        )
        assert expected <= names
        views = set(sa.inspect(engine).get_view_names())
        assert views == set(VIEWS)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "name,kept",
    [
        ("articles", True),
        ("articles_fts", False),
        ("articles_fts_data", False),
        ("ix_articles_title_trgm", False),
        ("daily_counts", False),
        ("article_overview", False),
        ("ix_articles_published_at", True),
        ("tags", True),
        ("articles_fts2x", True),
    ],
)
def test_include_name(name, kept):
    assert include_name(name, "table") is kept


def test_downgrade_removes_and_upgrade_restores(db_url):  # noqa: F811
    engine, _ = open_archive(db_url, create=True)
    try:
        downgrade(engine, "0002")
        assert not set(sa.inspect(engine).get_view_names())
        upgrade(engine)
        assert set(sa.inspect(engine).get_view_names()) == set(VIEWS)
    finally:
        engine.dispose()


def test_existing_articles_are_indexed_by_the_upgrade(db_url):  # noqa: F811
    """An archive filled before revision 0003 finds its old articles after upgrading."""
    from datetime import datetime, timezone

    import json

    from domain.record import ArticleRecord
    from storage.db import make_engine, session_factory
    from storage.search import search

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0002")
        Session = session_factory(engine)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        with engine.begin() as conn:  # the columns revision 0002 has (today's models have more)
            for i, word in enumerate(["石墨烯材料", "光"]):
                rec = ArticleRecord(cont_id=50 + i, title=word, paragraphs=[word + "。"])
                conn.execute(
                    sa.text(
                        "INSERT INTO articles (cont_id, url, layout, content_type, title, body_text, paragraphs, images, "
                        "word_count, content_hash, repairs, stripped, cleaner_version, version, first_seen, last_seen, "
                        "updated_at) VALUES (:c, :u, 'unknown', 'news', :t, :b, :p, '[]', 1, :h, '{}', '{}', '1', 1, "
                        ":now, :now, :now)"
                    ),
                    {
                        "c": rec.cont_id,
                        "u": f"https://www.thepaper.cn/newsDetail_forward_{rec.cont_id}",
                        "t": rec.title,
                        "b": rec.body_text,
                        "p": json.dumps(rec.paragraphs),
                        "h": rec.content_hash,
                        "now": now,
                    },
                )
        upgrade(engine)
        with Session() as s:
            assert [h.cont_id for h in search(s, "石墨烯")] == [50]
            assert [h.cont_id for h in search(s, "光")] == [51]
    finally:
        engine.dispose()
