"""Datasette metadata for a SQLite archive, generated from the schema's own documentation.

Titles and descriptions of every table, view and column come from where ``docs/schema.md``
comes from (:mod:`storage.schema_doc`): the models' ``comment=``, :data:`storage.views.VIEWS`
and :data:`storage.views.FTS_DOC` — never a second hand-written copy. Added here only what
Datasette needs to browse well:

* facets: column (栏目), content type and publication date on ``articles`` and
  ``article_overview``; tags on ``article_tags`` (its ``tag_id`` shows the tag's name, through
  the foreign key and ``tags``' label column); reason and state on ``failures``;
* the search box of ``articles`` and ``article_overview`` and a facet of their tags by name,
  both given by the archive's plugin (``crawler/datasette_plugins``, which ``browse`` loads):
  the search box answers as ``thepaper-archive search`` (words of any length), not through
  Datasette's own ``fts_table`` search, which the trigram index answers with no rows for words
  of 1-2 characters;
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
#: The archive's Datasette plugin (crawler/datasette_plugins/thepaper_archive.py) acts on the
#: tables that name it here: the search box and the facet of tags by name.
PLUGIN = "thepaper-archive"
HIDDEN = ("alembic_version", "raw_dictionaries")

#: Per table or view: what Datasette shows first, how it sorts, what it facets on.
BROWSING: dict[str, dict[str, Any]] = {
    "articles": {
        "label_column": "title",
        "sort_desc": "published_at",
        "facets": ["node_name", "content_type", {"date": "published_at"}, {"tags": "cont_id"}],
        "plugins": {PLUGIN: {"key": "cont_id"}},
    },
    "article_overview": {
        "label_column": "title",
        "sort_desc": "published_at_utc",
        "facets": ["node_name", "content_type", {"date": "published_date"}, {"tags": "cont_id"}],
        "plugins": {PLUGIN: {"key": "cont_id"}},
    },
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
        out[table.name] = {
            "title": _title(table.name),
            "description": table.comment or "",
            "columns": {c.name: c.comment or "" for c in table.columns},
        }
    for name, (desc, cols) in VIEWS.items():
        out[name] = {
            "title": f"{_title(name)} (view)",
            "description": desc,
            "columns": {c: meaning for c, meaning, _ in cols},
        }
    desc, cols = FTS_DOC
    out[FTS_TABLE] = {
        "title": "full-text index",
        "description": desc,
        "columns": {c: meaning for c, meaning, _ in cols},
    }
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
        "Start from the view article_overview; its search box finds what thepaper-archive search "
        "finds (every word, of any length) and its tags facet counts tags by name, with the "
        "plugin in crawler/datasette_plugins (thepaper-archive browse loads it).",
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
