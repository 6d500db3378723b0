"""Initial schema: articles, tags, versions, raw page archive, runs, failures, cursors, locks.

Revision ID: 0001
Revises:
Create Date: 2025-11-29

Written by hand to match ``storage/models.py`` at this revision; later schema
changes get their own revisions (never edit this one once released).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'crawl_runs',
        sa.Column('id', sa.Integer(), comment='surrogate key'),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False, comment='when the run started'),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True, comment='when it ended; NULL while running or after a crash'),
        sa.Column('status', sa.String(16), nullable=False, comment='running, ok, partial, failed or aborted'),
        sa.Column('pid', sa.Integer(), nullable=True, comment='process id of the run'),
        sa.Column('hostname', sa.String(255), nullable=True, comment='host the run ran on'),
        sa.Column('command', sa.String(32), nullable=False, comment='command: crawl, import, reprocess...'),
        sa.Column('args', sa.JSON(), nullable=False, comment="JSON object of the run's arguments"),
        sa.Column('counters', sa.JSON(), nullable=False, comment='JSON object: new, updated, unchanged, gone, failed, pages, list_pages, duration_s...'),
        sa.Column('message', sa.Text(), nullable=True, comment='closing message or error'),
        sa.PrimaryKeyConstraint('id', name='pk_crawl_runs'),
        comment='One row per crawl/import/reprocess run, with its counters.',
    )
    op.create_index('ix_crawl_runs_started_at', 'crawl_runs', ['started_at'])

    op.create_table(
        'run_locks',
        sa.Column('name', sa.String(64), comment='lock name, e.g. crawl'),
        sa.Column('holder', sa.String(255), nullable=False, comment='hostname:pid of the holder'),
        sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False, comment='when it was taken'),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False, comment='last sign of life of the holder'),
        sa.PrimaryKeyConstraint('name', name='pk_run_locks'),
        comment="Single-run locks; a stale or dead holder's lock is taken over.",
    )

    op.create_table(
        'tags',
        sa.Column('id', sa.Integer(), comment='surrogate key'),
        sa.Column('name', sa.String(200), nullable=False, comment='tag text as shown on the site'),
        sa.PrimaryKeyConstraint('id', name='pk_tags'),
        sa.UniqueConstraint('name', name='uq_tags_name'),
        comment='Distinct tag (关键词) names.',
    )

    op.create_table(
        'failures',
        sa.Column('id', sa.Integer(), comment='surrogate key'),
        sa.Column('url', sa.Text(), nullable=False, comment='URL that failed'),
        sa.Column('cont_id', sa.BigInteger(), nullable=True, comment='article id, when known'),
        sa.Column('reason', sa.String(64), nullable=False, comment='short stable code, e.g. http_503, timeout, empty_article'),
        sa.Column('message', sa.Text(), nullable=False, server_default=sa.text("''"), comment='what exactly went wrong on the last attempt'),
        sa.Column('attempts', sa.Integer(), nullable=False, comment='attempts so far'),
        sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False, comment='first failed attempt'),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False, comment='latest failed attempt'),
        sa.Column('next_retry_at', sa.DateTime(timezone=True), nullable=True, comment='earliest time of the next retry; NULL when dead'),
        sa.Column('dead', sa.Boolean(), nullable=False, comment='true once attempts reached the cap: no more retries'),
        sa.Column('run_id', sa.Integer(), sa.ForeignKey('crawl_runs.id', ondelete='SET NULL', name='fk_failures_run_id_crawl_runs'), nullable=True, comment='run of the latest attempt'),
        sa.UniqueConstraint('url', name='uq_failures_url'),
        sa.PrimaryKeyConstraint('id', name='pk_failures'),
        comment='URLs that could not be stored, one row per URL; deleted when it later succeeds.',
    )
    op.create_index('ix_failures_cont_id', 'failures', ['cont_id'])
    op.create_index('ix_failures_next_retry_at', 'failures', ['next_retry_at'])

    op.create_table(
        'list_cursors',
        sa.Column('id', sa.Integer(), comment='surrogate key'),
        sa.Column('source', sa.String(16), nullable=False, comment='channel or node'),
        sa.Column('source_id', sa.BigInteger(), nullable=False, comment='channel or node id'),
        sa.Column('newest_pub_time_ms', sa.BigInteger(), nullable=True, comment='newest pubTimeLong (ms since epoch) seen on this list'),
        sa.Column('last_run_id', sa.Integer(), sa.ForeignKey('crawl_runs.id', ondelete='SET NULL', name='fk_list_cursors_last_run_id_crawl_runs'), nullable=True, comment='run that last advanced the cursor'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, comment='when the cursor last changed'),
        sa.UniqueConstraint('source', 'source_id', name='uq_list_cursors_source_source_id'),
        sa.PrimaryKeyConstraint('id', name='pk_list_cursors'),
        comment='Incremental crawl state: newest publication time seen per list.',
    )

    op.create_table(
        'raw_pages',
        sa.Column('id', BigID, comment='surrogate key'),
        sa.Column('url', sa.Text(), nullable=False, comment='URL requested (or file:// path of an import)'),
        sa.Column('final_url', sa.Text(), nullable=True, comment='URL after redirects'),
        sa.Column('cont_id', sa.BigInteger(), nullable=True, comment='article id the page belongs to, when known'),
        sa.Column('status', sa.Integer(), nullable=True, comment='HTTP status code'),
        sa.Column('headers', sa.JSON(), nullable=False, comment='JSON object of response headers (name -> value)'),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False, comment='when the response arrived'),
        sa.Column('body', sa.LargeBinary(), nullable=False, comment='response body, compressed as named in compression'),
        sa.Column('body_size', sa.BigInteger(), nullable=False, comment='uncompressed body size in bytes'),
        sa.Column('compression', sa.String(16), nullable=False, comment='compression of body: zlib'),
        sa.Column('sha256', sa.String(64), nullable=False, comment='sha256 hex of the uncompressed body'),
        sa.Column('kind', sa.String(16), nullable=False, comment='article, list, import, mirror or file'),
        sa.Column('run_id', sa.Integer(), sa.ForeignKey('crawl_runs.id', ondelete='SET NULL', name='fk_raw_pages_run_id_crawl_runs'), nullable=True, comment='crawl run that fetched it (NULL for imports outside a run)'),
        sa.Column('note', sa.Text(), nullable=True, comment='free note, e.g. the local file path'),
        sa.PrimaryKeyConstraint('id', name='pk_raw_pages'),
        comment='Every fetched or imported page, byte for byte (zlib-compressed).',
    )
    op.create_index('ix_raw_pages_cont_id', 'raw_pages', ['cont_id'])
    op.create_index('ix_raw_pages_kind', 'raw_pages', ['kind'])
    op.create_index('ix_raw_pages_run_id', 'raw_pages', ['run_id'])
    op.create_index('ix_raw_pages_sha256', 'raw_pages', ['sha256'])

    op.create_table(
        'articles',
        sa.Column('cont_id', sa.BigInteger(), autoincrement=False, comment='thepaper.cn article id (the number in newsDetail_forward_<id>)'),
        sa.Column('url', sa.Text(), nullable=False, comment='canonical URL https://www.thepaper.cn/newsDetail_forward_<cont_id>'),
        sa.Column('source_url', sa.Text(), nullable=True, comment='URL the stored text was actually fetched from (mirror, m., share form)'),
        sa.Column('mirror_host', sa.String(255), nullable=True, comment='host of the spam mirror the text came from; NULL for the site itself'),
        sa.Column('layout', sa.String(32), nullable=False, comment='page layout the text was extracted from: nextjs, desktop_old, mobile_2017, api_json, text_dump, unknown'),
        sa.Column('content_type', sa.String(16), nullable=False, comment='news, pph (澎湃号), video, live, external, paywalled or gone'),
        sa.Column('gone_reason', sa.String(32), nullable=True, comment='why a gone article is gone: http_404, content_null, offline_notice'),
        sa.Column('external_url', sa.Text(), nullable=True, comment='target of an external-link item (content_type external)'),
        sa.Column('title', sa.Text(), nullable=False, server_default=sa.text("''"), comment='headline, clean text'),
        sa.Column('summary', sa.Text(), nullable=False, server_default=sa.text("''"), comment='standfirst / summary, clean text; empty when the site gives none'),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True, comment='publication time (UTC stored, read as Asia/Shanghai)'),
        sa.Column('author', sa.Text(), nullable=False, server_default=sa.text("''"), comment='reporter or writer name(s)'),
        sa.Column('author_outlet', sa.Text(), nullable=False, server_default=sa.text("''"), comment='original outlet of a repost (e.g. 人民日报)'),
        sa.Column('editor', sa.Text(), nullable=False, server_default=sa.text("''"), comment='responsible editor (责任编辑)'),
        sa.Column('source', sa.Text(), nullable=False, server_default=sa.text("''"), comment='source line, e.g. 澎湃新闻 or 澎湃新闻·澎湃号·湃客'),
        sa.Column('node_id', sa.BigInteger(), nullable=True, comment='column (栏目, node) id'),
        sa.Column('node_name', sa.Text(), nullable=False, server_default=sa.text("''"), comment='column (栏目, node) name'),
        sa.Column('channel_id', sa.BigInteger(), nullable=True, comment='channel (频道) id, e.g. 119908 科技'),
        sa.Column('channel_name', sa.Text(), nullable=False, server_default=sa.text("''"), comment='channel (频道) name'),
        sa.Column('body_text', sa.Text(), nullable=False, server_default=sa.text("''"), comment='clean body text, paragraphs joined by newlines'),
        sa.Column('paragraphs', sa.JSON(), nullable=False, comment='clean body as a JSON list of paragraph strings'),
        sa.Column('body_html', sa.Text(), nullable=False, server_default=sa.text("''"), comment='cleaned HTML generated from paragraphs and image captions (<p> per paragraph, escaped); never raw site HTML'),
        sa.Column('images', sa.JSON(), nullable=False, comment='JSON list of {src, caption} objects, in body order'),
        sa.Column('word_count', sa.Integer(), nullable=False, comment='CJK characters plus Latin/number words of the body'),
        sa.Column('content_hash', sa.String(64), nullable=False, comment='sha256 hex of title NUL body_text (changes when the text changes)'),
        sa.Column('encoding', sa.String(32), nullable=False, server_default=sa.text("''"), comment='character encoding the raw page was decoded with'),
        sa.Column('encoding_reason', sa.Text(), nullable=False, server_default=sa.text("''"), comment='why that encoding was chosen (header, meta, detection...)'),
        sa.Column('repairs', sa.JSON(), nullable=False, comment='JSON object: text repairs applied, kind -> count'),
        sa.Column('stripped', sa.JSON(), nullable=False, comment='JSON object: boilerplate removed, kind -> count'),
        sa.Column('cleaner_version', sa.String(32), nullable=False, comment='version of the cleaner that produced this text'),
        sa.Column('version', sa.Integer(), nullable=False, comment='1 for the first stored text, +1 on each change (history in article_versions)'),
        sa.Column('raw_page_id', BigID, sa.ForeignKey('raw_pages.id', ondelete='SET NULL', name='fk_articles_raw_page_id_raw_pages'), nullable=True, comment='raw_pages row this record was cleaned from'),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False, comment='when the archive first stored this article'),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False, comment='when a crawl last saw this article (changed or not)'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, comment='when the stored text or metadata last changed'),
        sa.PrimaryKeyConstraint('cont_id', name='pk_articles'),
        comment='One row per article (cont_id): its current clean text and metadata.',
    )
    op.create_index('ix_articles_channel_id', 'articles', ['channel_id'])
    op.create_index('ix_articles_content_type', 'articles', ['content_type'])
    op.create_index('ix_articles_node_id', 'articles', ['node_id'])
    op.create_index('ix_articles_published_at', 'articles', ['published_at'])

    op.create_table(
        'article_tags',
        sa.Column('cont_id', sa.BigInteger(), sa.ForeignKey('articles.cont_id', ondelete='CASCADE', name='fk_article_tags_cont_id_articles'), comment='article (articles.cont_id)'),
        sa.Column('tag_id', sa.Integer(), sa.ForeignKey('tags.id', ondelete='CASCADE', name='fk_article_tags_tag_id_tags'), comment='tag (tags.id)'),
        sa.Column('position', sa.Integer(), nullable=False, comment='0-based order of the tag on the page'),
        sa.PrimaryKeyConstraint('cont_id', 'tag_id', name='pk_article_tags'),
        comment='Tags of each article, in page order; replaced when the article is updated.',
    )
    op.create_index('ix_article_tags_tag_id', 'article_tags', ['tag_id'])

    op.create_table(
        'article_versions',
        sa.Column('id', BigID, comment='surrogate key'),
        sa.Column('cont_id', sa.BigInteger(), sa.ForeignKey('articles.cont_id', ondelete='CASCADE', name='fk_article_versions_cont_id_articles'), nullable=False, comment='article (articles.cont_id)'),
        sa.Column('version', sa.Integer(), nullable=False, comment='the version number this text had'),
        sa.Column('title', sa.Text(), nullable=False, server_default=sa.text("''"), comment='headline of that version'),
        sa.Column('summary', sa.Text(), nullable=False, server_default=sa.text("''"), comment='summary of that version'),
        sa.Column('body_text', sa.Text(), nullable=False, server_default=sa.text("''"), comment='body text of that version'),
        sa.Column('paragraphs', sa.JSON(), nullable=False, comment='JSON list of paragraphs of that version'),
        sa.Column('content_hash', sa.String(64), nullable=False, comment="sha256 hex of that version's title NUL body_text"),
        sa.Column('cleaner_version', sa.String(32), nullable=False, comment='cleaner version that produced that text'),
        sa.Column('content_type', sa.String(16), nullable=False, comment='content type of that version'),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment='when that version became the stored one'),
        sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False, comment='when a newer version replaced it'),
        sa.Column('raw_page_id', BigID, sa.ForeignKey('raw_pages.id', ondelete='SET NULL', name='fk_article_versions_raw_page_id_raw_pages'), nullable=True, comment='raw_pages row that version was cleaned from'),
        sa.PrimaryKeyConstraint('id', name='pk_article_versions'),
        sa.UniqueConstraint('cont_id', 'version', name='uq_article_versions_cont_id_version'),
        comment='Previous versions of articles, kept whenever the stored text changes.',
    )


def downgrade() -> None:
    for table in ("article_versions", "article_tags", "articles", "raw_pages", "list_cursors",
                  "failures", "tags", "run_locks", "crawl_runs"):
        op.drop_table(table)
