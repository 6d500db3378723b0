"""The archive schema: SQLAlchemy 2.0 typed models, portable to SQLite and PostgreSQL.

Every column carries a ``comment`` (``docs/schema.md`` is generated from them).
Times are :class:`~storage.types.AwareDateTime` (UTC in the database, aware
Asia/Shanghai in Python). Only the write modules of ``storage`` (``raw``, ``articles``, ``failures``, ``runs``, ``batch``) write these tables.
The Alembic revisions in ``storage/migrations/versions`` must match this module
exactly (a test compares them). The tables are defined in :mod:`.articles`, :mod:`.raw` and
:mod:`.runs`, on the base of :mod:`.base`; the names are importable from here.
"""

from __future__ import annotations

from .articles import Article, ArticleTag, ArticleVersion, Tag
from .base import (
    CURSOR_SOURCES,
    NAMING_CONVENTION,
    RAW_KINDS,
    RUN_STATUSES,
    Base,
    BigID,
    KeywordsJSON,
)
from .raw import RawDictionary, RawPage, raw_body_bytes
from .runs import CrawlRun, Failure, ListCursor, RunLock

__all__ = [
    "CURSOR_SOURCES",
    "NAMING_CONVENTION",
    "RAW_KINDS",
    "RUN_STATUSES",
    "Article",
    "ArticleTag",
    "ArticleVersion",
    "Base",
    "BigID",
    "CrawlRun",
    "Failure",
    "KeywordsJSON",
    "ListCursor",
    "RawDictionary",
    "RawPage",
    "RunLock",
    "Tag",
    "raw_body_bytes",
]
