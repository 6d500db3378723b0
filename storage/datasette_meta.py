"""Datasette metadata for a SQLite archive, generated from the schema's own documentation.

Titles and descriptions of every table, view and column come from where ``docs/schema.md``
comes from (:mod:`storage.schema_doc`): the models' ``comment=``, :data:`storage.views.VIEWS`
and :data:`storage.views.FTS_DOC` — never a second hand-written copy. Added here only what
Datasette needs to browse well:

* facets: column (栏目), content type and publication date on ``articles`` and
  ``article_overview``; tags on ``article_tags`` (its ``tag_id`` shows the tag's name, through
  the foreign key and ``tags``' label column); reason and state on ``failures``;
* full-text search: ``articles`` and ``article_overview`` search the trigram index
  ``articles_fts`` (whose rowid is ``cont_id``, not the table's rowid: ``fts_pk``);
* a canned query for words of any length (the trigram index finds only 3+ characters);
* internal tables hidden (``alembic_version``, ``raw_dictionaries``).

``python -m storage.datasette_meta > deploy/datasette/metadata.json`` writes the shipped file,
for the default archive name (``data/archive.sqlite3`` is the database ``archive``);
``thepaper-archive browse`` generates it for the file it opens. A test compares the shipped
file with the generator.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from storage.models import Base
from storage.views import FTS_DOC, FTS_TABLE, VIEWS

DEFAULT_DATABASE = "archive"
HIDDEN = ("alembic_version", "raw_dictionaries")

#: Per table or view: what Datasette shows first, how it sorts, what it facets on.
BROWSING: dict[str, dict[str, Any]] = {
    "articles": {"label_column": "title", "sort_desc": "published_at",
                 "facets": ["node_name", "content_type", {"date": "published_at"}],
                 "fts_table": FTS_TABLE, "fts_pk": "cont_id"},
    "article_overview": {"label_column": "title", "sort_desc": "published_at_utc",
                         "facets": ["node_name", "content_type", {"date": "published_date"}],
                         "fts_table": FTS_TABLE, "fts_pk": "cont_id"},
    "daily_counts": {"sort_desc": "day", "facets": ["node_name"]},
    "article_tags": {"facets": ["tag_id"]},
    "tags": {"label_column": "name", "sort": "name"},
    "failures": {"facets": ["reason", "dead"], "sort_desc": "last_failed_at"},
    "crawl_runs": {"facets": ["status", "command"], "sort_desc": "started_at"},
    "raw_pages": {"facets": ["kind", "status"], "sort_desc": "fetched_at"},
}

#: Canned queries (``:term`` is a named parameter Datasette asks for).
QUERIES: dict[str, dict[str, str]] = {
    "articles_containing": {
        "title": "Articles containing a word of any length",
        "description": "Title or body contains the word (LIKE: 1- and 2-character words too, which the "
                       "trigram search box cannot find: browse sends such searches here), newest first.",
        "sql": "SELECT cont_id, title, published_local, node_name, content_type, tags, url\n"
               "FROM article_overview\n"
               "WHERE title LIKE '%' || :term || '%'\n"
               "   OR cont_id IN (SELECT cont_id FROM articles WHERE body_text LIKE '%' || :term || '%')\n"
               "ORDER BY published_at_utc DESC LIMIT 200",
    },
}


def _title(name: str) -> str:
    return name.replace("_", " ")


def table_metadata() -> dict[str, dict[str, Any]]:
    """Every table and view: title, description, column descriptions, browsing settings."""
    out: dict[str, dict[str, Any]] = {}
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        out[table.name] = {"title": _title(table.name), "description": table.comment or "",
                           "columns": {c.name: c.comment or "" for c in table.columns}}
    for name, (desc, cols) in VIEWS.items():
        out[name] = {"title": f"{_title(name)} (view)", "description": desc,
                     "columns": {c: meaning for c, meaning, _ in cols}}
    desc, cols = FTS_DOC
    out[FTS_TABLE] = {"title": "full-text index", "description": desc,
                      "columns": {c: meaning for c, meaning, _ in cols}}
    for name in HIDDEN:
        out.setdefault(name, {})["hidden"] = True
    for name, extra in BROWSING.items():
        out[name].update(extra)
    return out


def build(database: str = DEFAULT_DATABASE) -> dict[str, Any]:
    """Datasette's metadata (``-m``) for the archive opened as ``database`` (the file's stem)."""
    return {
        "title": "thepaper.cn technology archive (澎湃新闻)",
        "description": "Articles of thepaper.cn's technology channel, cleaned, with every raw page archived. "
                       "Start from the view article_overview; the search box finds words of 3+ characters "
                       "(trigram index), the canned query articles_containing any word.",
        "source": "thepaper-archive",
        "source_url": "https://www.thepaper.cn/",
        "databases": {database: {"tables": table_metadata(), "queries": QUERIES}},
    }


def render(database: str = DEFAULT_DATABASE) -> str:
    return json.dumps(build(database), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
