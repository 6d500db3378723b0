"""Analysis objects: read-only views and full-text search indexes.

* Views ``article_overview`` (one row per article, tags joined, Asia/Shanghai dates)
  and ``daily_counts`` (articles per Asia/Shanghai day per column), on both backends.
* SQLite: FTS5 table ``articles_fts`` (trigram tokenizer, external content = ``articles``,
  rowid = ``cont_id``) kept in step by triggers on insert, delete and text updates.
* PostgreSQL: ``pg_trgm`` GIN indexes on ``articles.title`` and ``articles.body_text``
  (they follow every write by themselves).

The SQL is frozen here on purpose (a migration must not change when code does).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_OVERVIEW = """
CREATE VIEW article_overview AS
SELECT a.cont_id, a.url, a.title, a.summary, a.content_type, a.layout,
       a.node_id, a.node_name, a.channel_id, a.channel_name,
       a.published_at AS published_at_utc,
       datetime(a.published_at, '+8 hours') AS published_local,
       date(a.published_at, '+8 hours') AS published_date,
       a.author, a.author_outlet, a.editor, a.source, a.word_count, a.version, a.mirror_host,
       COALESCE((SELECT group_concat(name, ';') FROM (
            SELECT t.name AS name FROM article_tags at JOIN tags t ON t.id = at.tag_id
            WHERE at.cont_id = a.cont_id ORDER BY at.position)), '') AS tags,
       (SELECT count(*) FROM article_tags at WHERE at.cont_id = a.cont_id) AS tag_count,
       a.first_seen AS first_seen_utc, a.last_seen AS last_seen_utc, a.updated_at AS updated_at_utc
FROM articles a
"""

_PG_OVERVIEW = """
CREATE VIEW article_overview AS
SELECT a.cont_id, a.url, a.title, a.summary, a.content_type, a.layout,
       a.node_id, a.node_name, a.channel_id, a.channel_name,
       a.published_at AS published_at_utc,
       (a.published_at AT TIME ZONE 'Asia/Shanghai') AS published_local,
       (a.published_at AT TIME ZONE 'Asia/Shanghai')::date AS published_date,
       a.author, a.author_outlet, a.editor, a.source, a.word_count, a.version, a.mirror_host,
       COALESCE((SELECT string_agg(t.name, ';' ORDER BY at.position)
                 FROM article_tags at JOIN tags t ON t.id = at.tag_id
                 WHERE at.cont_id = a.cont_id), '') AS tags,
       (SELECT count(*) FROM article_tags at WHERE at.cont_id = a.cont_id) AS tag_count,
       a.first_seen AS first_seen_utc, a.last_seen AS last_seen_utc, a.updated_at AS updated_at_utc
FROM articles a
"""

_DAILY = """
CREATE VIEW daily_counts AS
SELECT published_date AS day, node_id, node_name,
       count(*) AS articles,
       sum(CASE WHEN content_type = 'gone' THEN 1 ELSE 0 END) AS gone,
       COALESCE(sum(word_count), 0) AS words
FROM article_overview
WHERE published_date IS NOT NULL
GROUP BY published_date, node_id, node_name
"""

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, body_text, content='articles', content_rowid='cont_id', tokenize='trigram')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body_text) VALUES (new.cont_id, new.title, new.body_text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body_text) "
    "VALUES ('delete', old.cont_id, old.title, old.body_text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF cont_id, title, body_text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body_text) "
    "VALUES ('delete', old.cont_id, old.title, old.body_text); "
    "INSERT INTO articles_fts(rowid, title, body_text) VALUES (new.cont_id, new.title, new.body_text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

_PG_TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_articles_title_trgm ON articles USING gin (title gin_trgm_ops)",
    "CREATE INDEX ix_articles_body_text_trgm ON articles USING gin (body_text gin_trgm_ops)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for stmt in _SQLITE_FTS:
            op.execute(stmt)
        op.execute(_SQLITE_OVERVIEW)
    elif dialect == "postgresql":
        for stmt in _PG_TRGM:
            op.execute(stmt)
        op.execute(_PG_OVERVIEW)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no analysis objects for {dialect}")
    op.execute(_DAILY)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS daily_counts")
    op.execute("DROP VIEW IF EXISTS article_overview")
    if dialect == "sqlite":
        for name in ("articles_fts_au", "articles_fts_ad", "articles_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_body_text_trgm")
        op.execute("DROP INDEX IF EXISTS ix_articles_title_trgm")
