"""The analysis objects that revision 0003 adds beside the model tables.

Documentation of the read-only views (``docs/schema.md`` is generated from it) and
of the search index, plus :func:`include_name`: a filter for Alembic's
``compare_metadata`` that ignores these objects (they are not model tables).
"""

from __future__ import annotations

import re

#: View name -> (description, [(column, meaning, example)]) in column order.
VIEWS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "article_overview": (
        "One row per article with its tags joined and its publication time in Asia/Shanghai. "
        "Read-only; the easiest starting point for SQL, pandas or DuckDB.",
        [
            ("cont_id", "article id (articles.cont_id)", "30012345"),
            ("url", "canonical article URL", "https://www.thepaper.cn/newsDetail_forward_30012345"),
            ("title", "headline", "国产大模型发布新版本"),
            ("summary", "summary; empty when none", "新版本在推理能力上有明显提升。"),
            ("content_type", "news, pph, video, live, external, paywalled or gone", "news"),
            ("layout", "page layout the text came from", "nextjs"),
            ("node_id", "column (栏目) id", "25950"),
            ("node_name", "column (栏目) name", "科技湃"),
            ("channel_id", "channel (频道) id", "119908"),
            ("channel_name", "channel (频道) name", "科技"),
            (
                "published_at_utc",
                "publication instant: timestamptz on PostgreSQL; naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite",
                "2026-11-28 02:30:00.000000",
            ),
            (
                "published_local",
                "publication wall-clock time in Asia/Shanghai (no zone attached)",
                "2026-11-28 10:30:00",
            ),
            (
                "published_date",
                "publication date in Asia/Shanghai (date on PostgreSQL, 'YYYY-MM-DD' on SQLite)",
                "2026-11-28",
            ),
            ("author", "reporter or writer name(s)", "朱轩"),
            ("author_outlet", "original outlet of a repost", "人民日报"),
            ("editor", "responsible editor", "李跃群"),
            ("source", "source line", "澎湃新闻"),
            ("word_count", "CJK characters plus Latin/number words of the body", "1520"),
            ("version", "text version number (1 = never changed)", "1"),
            ("mirror_host", "spam mirror the text came from; NULL for the site itself", "NULL"),
            ("tags", "tag names in page order joined by ';' (empty string when none)", "人工智能;大模型"),
            ("tag_count", "number of tags", "2"),
            ("first_seen_utc", "when the archive first stored the article (UTC)", "2026-11-28 03:00:12.000000"),
            ("last_seen_utc", "when a crawl last saw it (UTC)", "2026-11-29 03:00:40.000000"),
            ("updated_at_utc", "when its text or metadata last changed (UTC)", "2026-11-28 03:00:12.000000"),
        ],
    ),
    "daily_counts": (
        "Articles per publication day (Asia/Shanghai) per column; articles without a "
        "publication time are left out. Read-only.",
        [
            ("day", "publication date in Asia/Shanghai (date on PostgreSQL, 'YYYY-MM-DD' on SQLite)", "2026-11-28"),
            ("node_id", "column (栏目) id; NULL when unknown", "25950"),
            ("node_name", "column (栏目) name; empty when unknown", "科技湃"),
            ("articles", "articles published that day in that column (count, gone ones included)", "14"),
            ("gone", "how many of them are gone from the site now (count)", "1"),
            ("words", "sum of their word_count", "18250"),
        ],
    ),
}

#: The SQLite full-text table (virtual; not a model) and its columns.
FTS_TABLE = "articles_fts"
FTS_DOC = (
    "SQLite only: FTS5 full-text index of articles (tokenizer trigram, external content "
    "table articles, rowid = articles.cont_id). New articles are indexed in bulk by the statement "
    "after the insert that adds them, in the same transaction (storage.fulltext, revision "
    "0004_fts_deferred); triggers articles_fts_ad/au follow deletes and changes of title or "
    "body_text. Query it with MATCH for terms of "
    "3+ characters; shorter terms need LIKE (see docs/analysis.md). On PostgreSQL the same job "
    "is done by the pg_trgm GIN indexes ix_articles_title_trgm and ix_articles_body_text_trgm.",
    [
        ("rowid", "the article's cont_id", "30012345"),
        ("title", "indexed copy of articles.title (read from articles)", "国产大模型发布新版本"),
        ("body_text", "indexed copy of articles.body_text (read from articles)", "澎湃新闻记者 ……"),
    ],
)

#: Names of the objects above that are not model tables or model indexes.
_EXTRA = re.compile(r"^(articles_fts(_\w+)?|ix_articles_(title|body_text)_trgm|article_overview|daily_counts)$")


def include_name(name: str | None, type_: str, parent_names=None) -> bool:
    """``include_name`` hook for Alembic autogenerate/``compare_metadata``: False for the
    search index tables, trigram indexes and views added by revision 0003."""
    return not (name and _EXTRA.match(name))
