"""Generate ``docs/schema.md`` from the models, the views and the search index.

Run ``python -m storage.schema_doc > docs/schema.md``. Meanings come from the
columns' ``comment=``; examples and units from the tables below. Generation fails
when a column has no comment or no example, or when the views documented in
:mod:`storage.views` differ from the views a migrated archive really has, so the
document cannot silently drift (a test regenerates it and compares).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Base
from storage.types import AwareDateTime
from storage.views import FTS_DOC, FTS_TABLE, VIEWS

#: Example values by "table.column", then by bare column name.
EXAMPLES: dict[str, str] = {
    "id": "42",
    "cont_id": "30012345",
    "run_id": "17",
    "raw_page_id": "1803",
    "url": "https://www.thepaper.cn/newsDetail_forward_30012345",
    "title": "国产大模型发布新版本",
    "summary": "新版本在推理能力上有明显提升。",
    "body_text": "澎湃新闻记者 朱轩\n国产大模型……",
    "paragraphs": '["澎湃新闻记者 朱轩", "国产大模型……"]',
    "content_hash": "9f86d081884c7d65…(64 hex)",
    "cleaner_version": "1",
    "content_type": "news",
    "version": "2",
    "message": "HTTP 503 from www.thepaper.cn",
    "updated_at": "2026-11-28 10:30:00+08",
    "crawl_runs.started_at": "2026-11-28 10:00:00+08",
    "crawl_runs.finished_at": "2026-11-28 10:12:31+08",
    "crawl_runs.status": "ok",
    "crawl_runs.pid": "41877",
    "crawl_runs.hostname": "archiver-1",
    "crawl_runs.command": "crawl",
    "crawl_runs.args": '{"channels": ["119908"], "full": false}',
    "crawl_runs.counters": '{"new": 12, "updated": 1, "unchanged": 230, "gone": 0, "failed": 2, "duration_s": 754.2}',
    "crawl_runs.coverage": '{"pages": 54, "failures": {"empty_article": 41}, "types": {"news": {"articles": 9, '
    '"fields": {"title": 9, "body": 9, "author": 8}}}, "layouts": {"nextjs": 13}, '
    '"builds": {"9Kq2xTzB3sW1pY7dR0vLm": 54}}',
    "crawl_runs.drift": '{"state": "alarm", "line": "layout drift: empty_article 0% → 76% of 54 pages …", '
    '"findings": [{"monitor": "extraction_failures", "subject": "empty_article", …}], '
    '"baseline": {"days": 30, "runs": 12}}',
    "run_locks.name": "crawl",
    "run_locks.holder": "archiver-1:41877",
    "run_locks.acquired_at": "2026-11-28 10:00:00+08",
    "run_locks.heartbeat_at": "2026-11-28 10:05:00+08",
    "tags.name": "人工智能",
    "failures.reason": "http_503",
    "failures.attempts": "3",
    "failures.first_failed_at": "2026-11-27 10:01:02+08",
    "failures.last_failed_at": "2026-11-28 10:03:04+08",
    "failures.next_retry_at": "2026-11-28 14:03:04+08",
    "failures.dead": "false",
    "list_cursors.source": "channel",
    "list_cursors.source_id": "119908",
    "list_cursors.newest_pub_time_ms": "1764296400000",
    "list_cursors.last_run_id": "17",
    "raw_pages.final_url": "https://www.thepaper.cn/newsDetail_forward_30012345",
    "raw_pages.status": "200",
    "raw_pages.headers": '{"Content-Type": "text/html; charset=utf-8"}',
    "raw_pages.fetched_at": "2026-11-28 10:01:02+08",
    "raw_pages.body": "(zstd frame)",
    "raw_pages.body_size": "183422",
    "raw_pages.compression": "zstd",
    "raw_pages.dictionary_id": "1",
    "raw_dictionaries.codec": "zstd",
    "raw_dictionaries.zstd_dict_id": "2834119203",
    "raw_dictionaries.data": "(112640 bytes)",
    "raw_dictionaries.samples": "2000",
    "raw_dictionaries.sample_bytes": "41873920",
    "raw_dictionaries.archive_pages": "8214",
    "raw_dictionaries.created_at": "2026-12-01 22:30:00+08",
    "raw_pages.sha256": "e3b0c442…(64 hex)",
    "raw_pages.kind": "article",
    "raw_pages.note": "/home/me/saved/30012345.html",
    "raw_pages.context": '{"channel_id": 119908, "list_item": {"contId": "30012345", "name": "…"}}',
    "articles.source_url": "https://m.thepaper.cn/newsDetail_forward_30012345",
    "articles.mirror_host": "NULL",
    "articles.layout": "nextjs",
    "articles.gone_reason": "NULL",
    "articles.external_url": "NULL",
    "articles.published_at": "2026-11-28 10:30:00+08",
    "articles.author": "朱轩",
    "articles.author_outlet": "人民日报",
    "articles.editor": "李跃群",
    "articles.source": "澎湃新闻",
    "articles.node_id": "25950",
    "articles.node_name": "科技湃",
    "articles.channel_id": "119908",
    "articles.channel_name": "科技",
    "articles.body_html": "<p>澎湃新闻记者 朱轩</p><p>国产大模型……</p>",
    "articles.images": '[{"src": "https://imagecloud.thepaper.cn/….jpg", "caption": "图片来源：网络"}]',
    "articles.keywords": '["人工智能", "芯片", "算力"]',
    "articles.keywords_basis": "3f0c9a51d2b7e48a6c15f0e9b2d4a7c8",
    "articles.word_count": "1520",
    "articles.encoding": "utf-8",
    "articles.encoding_reason": "header",
    "articles.repairs": '{"mojibake": 2}',
    "articles.repair_log": '[{"field": "body", "offset": 120, "rule": "mojibake", "before": "æ¾Žæ¹ƒ", "after": "澎湃", '
    '"by": "bytes"}, {"field": "body", "offset": 388, "rule": "gbk_tear", "before": "?;", '
    '"after": "模", "by": "model", "margin": 12.4}, {"field": "body", "offset": 402, "rule": "page_copy", '
    '"before": "\ufffd", "after": "床", "by": "page"}]',
    "articles.stripped": '{"ad": 1}',
    "articles.first_seen": "2026-11-28 10:31:00+08",
    "articles.last_seen": "2026-11-29 10:02:00+08",
    "article_tags.tag_id": "7",
    "article_tags.position": "0",
    "article_versions.valid_from": "2026-11-28 10:31:00+08",
    "article_versions.replaced_at": "2026-11-28 12:00:00+08",
}

#: Units by "table.column" (times get theirs from the type).
UNITS: dict[str, str] = {
    "raw_pages.body_size": "bytes",
    "raw_pages.body": "bytes (compressed)",
    "articles.word_count": "count",
    "failures.attempts": "count",
    "list_cursors.newest_pub_time_ms": "milliseconds since 1970-01-01 UTC",
    "crawl_runs.counters": "counts; duration_s in seconds",
    "article_tags.position": "0-based index",
}

TIME_UNIT = "instant; stored UTC (SQLite: naive UTC text), read as Asia/Shanghai (+08:00)"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "\\n")


def _type(col: sa.Column) -> str:
    lite = col.type.compile(dialect=sqlite.dialect())
    pg = col.type.compile(dialect=postgresql.dialect())
    return lite if lite == pg else f"{lite} / {pg}"


def _keys(table: sa.Table, col: sa.Column) -> str:
    marks = []
    if col.primary_key:
        marks.append("PK")
    for fk in col.foreign_keys:
        marks.append(f"→ {fk.target_fullname}")
    for c in table.constraints:
        if isinstance(c, sa.UniqueConstraint) and col.name in c.columns:
            marks.append("unique" if len(c.columns) == 1 else f"unique ({', '.join(c.columns.keys())})")
    return ", ".join(marks)


def column_row(table: sa.Table, col: sa.Column) -> list[str]:
    key = f"{table.name}.{col.name}"
    if not col.comment:
        raise ValueError(f"column {key} has no comment= (its meaning in docs/schema.md)")
    example = EXAMPLES.get(key, EXAMPLES.get(col.name))
    if example is None:
        raise ValueError(f"column {key} has no example in storage.schema_doc.EXAMPLES")
    unit = TIME_UNIT if isinstance(col.type, AwareDateTime) else UNITS.get(key, "")
    return [
        f"`{col.name}`",
        _type(col),
        "yes" if col.nullable else "no",
        _keys(table, col),
        unit,
        col.comment,
        f"`{example}`",
    ]


def table_section(table: sa.Table) -> str:
    head = ["column", "type (SQLite / PostgreSQL)", "null", "key", "units / time zone", "meaning", "example"]
    lines = [
        f"## `{table.name}`",
        "",
        table.comment or "",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in column_row(table, col)) + " |" for col in table.columns]
    indexes = sorted(cast(str, ix.name) for ix in table.indexes)  # cast: every index of the schema is named
    if indexes:
        lines += ["", "Indexes: " + ", ".join(f"`{n}`" for n in indexes)]
    return "\n".join(lines) + "\n"


def view_columns() -> dict[str, list[str]]:
    """Column names of each view in a freshly migrated SQLite archive."""
    from storage.db import make_engine, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'a.sqlite3'}")
        try:
            upgrade(engine)
            with engine.connect() as conn:
                return {v: list(conn.exec_driver_sql(f"SELECT * FROM {v} LIMIT 0").keys()) for v in VIEWS}
        finally:
            engine.dispose()


def view_section(name: str, real_columns: list[str]) -> str:
    desc, cols = VIEWS[name]
    documented = [c for c, _, _ in cols]
    if documented != real_columns:
        raise ValueError(f"view {name}: documented columns {documented} != real columns {real_columns}")
    lines = [f"## view `{name}`", "", desc, "", "| column | meaning | example |", "|---|---|---|"]
    lines += [f"| `{c}` | {_cell(m)} | `{_cell(e)}` |" for c, m, e in cols]
    return "\n".join(lines) + "\n"


def fts_section() -> str:
    desc, cols = FTS_DOC
    lines = [f"## search index `{FTS_TABLE}` (SQLite)", "", desc, "", "| column | meaning | example |", "|---|---|---|"]
    lines += [f"| `{c}` | {_cell(m)} | `{_cell(e)}` |" for c, m, e in cols]
    return "\n".join(lines) + "\n"


#: ``articles.repair_log``: what its ``by`` and ``rule`` values mean (cleaning/repair/log.py).
REPAIR_LOG_BY = [
    ("bytes", "the surviving bytes determine the new text (a UTF-8/GBK sequence read again, a swapped pair put back)"),
    ("model", "the word model chose among candidates the bytes left open, above its measured 99.5 % margin"),
    ("rule", "a fixed rule on the text (Traditional to Simplified, full-width punctuation, U+FFFD dropped ...)"),
    (
        "page",
        "the page's own other copy of the text (its JSON, its rendered body, the title element, og:title, description) "
        "is undamaged there and agrees on 5 characters each side: rule page_copy",
    ),
]
REPAIR_LOG_RULES = [
    ("page_copy", "page", "a damaged span (before: its U+FFFD or torn text) restored from the page's other copy"),
    ("undecodable_bytes", "rule", "U+FFFD for bytes UTF-8 could not read, dropped (after is empty)"),
    (
        "lone_surrogate",
        "rule",
        "a JSON escape of half a UTF-16 pair (no character), dropped; before is the escape as written "
        "(field page: offset in the page; a list item's: in the field)",
    ),
    ("replacement_dropped, dropped", "rule", "runs and lines of U+FFFD, private-use characters, dropped"),
    ("mojibake", "bytes, model", "UTF-8/GBK read as Latin-1/cp1252 read again"),
    ("gbk_tear", "bytes, model", "a mirror's torn GBK (a lost byte, swapped punctuation) repaired"),
    ("gb_lost_byte", "bytes, model", "one byte lost from a GB page, on the bytes (field page)"),
    ("t2s", "rule, model", "a Traditional repost of a thepaper.cn article back to Simplified"),
    ("fullwidth_punct, pinyin, mirror_host, copyright_sign", "rule", "the mirrors' other damage undone"),
]


def repair_log_section() -> str:
    lines = [
        "## `articles.repair_log` values",
        "",
        "`by`: what decided a change. A span that no bytes, no model choice above its margin and no "
        "undamaged copy of the page determine is left as it was and counted `unrepaired` in `repairs`.",
        "",
        "| by | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{b}` | {_cell(m)} |" for b, m in REPAIR_LOG_BY]
    lines += ["", "| rule | by | meaning |", "|---|---|---|"]
    lines += [f"| `{r}` | {b} | {_cell(m)} |" for r, b, m in REPAIR_LOG_RULES]
    return "\n".join(lines) + "\n"


def render() -> str:
    """The whole of ``docs/schema.md``."""
    from storage.db import head_revision

    parts = [
        "# Archive schema\n",
        "Generated by `python -m storage.schema_doc > docs/schema.md` from `storage/models/` "
        "(column comments), `storage/views.py` and `storage/schema_doc.py`; do not edit by hand. "
        f"Schema revision: `{head_revision()}`.\n",
        "Times: every time column is an instant stored in UTC — `timestamptz` on PostgreSQL, "
        "naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff` on SQLite — and read by the application as "
        "aware Asia/Shanghai (+08:00) datetimes. Convert in SQL with "
        "`datetime(col, '+8 hours')` (SQLite) or `col AT TIME ZONE 'Asia/Shanghai'` (PostgreSQL). "
        "JSON columns are `JSON` on both backends (`articles.keywords` is `jsonb` on PostgreSQL). Examples show times in +08 for readability.\n",
        "Analysts: prefer the read-only views `article_overview` and `daily_counts`; "
        "see `docs/analysis.md` for search SQL, pandas and DuckDB.\n",
    ]
    parts += [table_section(t) for t in sorted(Base.metadata.tables.values(), key=lambda t: t.name)]
    real = view_columns()
    parts += [view_section(name, real[name]) for name in VIEWS]
    parts.append(fts_section())
    parts.append(repair_log_section())
    return "\n".join(parts)


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
