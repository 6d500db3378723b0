"""The export's formats and columns, and the most terms a trend compares: names and limits
only, so that the command line can show them without importing the database layer
(:mod:`storage.export` and :mod:`storage.trends` use them)."""

from __future__ import annotations

FORMATS = ("jsonl", "csv", "parquet", "xlsx")
#: Formats written to a binary stream (the others to a UTF-8 text stream).
BINARY_FORMATS = frozenset({"parquet", "xlsx"})

#: Exportable columns, in default order: name -> kind (int, str, time, list).
COLUMNS: dict[str, str] = {
    "cont_id": "int",
    "url": "str",
    "title": "str",
    "summary": "str",
    "content_type": "str",
    "published_at": "time",
    "author": "str",
    "author_outlet": "str",
    "editor": "str",
    "source": "str",
    "node_id": "int",
    "node_name": "str",
    "channel_id": "int",
    "channel_name": "str",
    "tags": "list",
    "word_count": "int",
    "body_text": "str",
    "layout": "str",
    "mirror_host": "str",
    "source_url": "str",
    "gone_reason": "str",
    "external_url": "str",
    "content_hash": "str",
    "cleaner_version": "str",
    "version": "int",
    "first_seen": "time",
    "last_seen": "time",
    "updated_at": "time",
}
#: Columns exported only when named in ``--columns``: name -> kind (json: a list of objects in
#: JSON Lines, its JSON text in CSV, Parquet and xlsx). ``repair_log``: every repair of the text
#: explained (docs/schema.md, articles.repair_log).
OPTIONAL_COLUMNS: dict[str, str] = {"repair_log": "json"}
KINDS: dict[str, str] = {**COLUMNS, **OPTIONAL_COLUMNS}

#: The most terms one trend compares (:mod:`storage.trends`).
MAX_TERMS = 20
