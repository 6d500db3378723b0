"""The archive schema: SQLAlchemy 2.0 typed models, portable to SQLite and PostgreSQL.

Every column carries a ``comment`` (``docs/schema.md`` is generated from them).
Times are :class:`~storage.types.AwareDateTime` (UTC in the database, aware
Asia/Shanghai in Python). Only the write modules of ``storage`` (``raw``, ``articles``, ``failures``, ``runs``, ``batch``) write these tables.
The Alembic revisions in ``storage/migrations/versions`` must match this module
exactly (a test compares them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from domain.record import paragraphs_of
from domain.secrets import mask_value
from storage.codec import decode
from storage.render import body_html
from storage.types import AwareDateTime

#: JSON, as jsonb on PostgreSQL (json has no equality, so its default could not be compared).
KeywordsJSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: Surrogate keys: BIGINT on PostgreSQL; INTEGER on SQLite so that it aliases the rowid.
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``degraded``: the run ended, but the layout-drift alarm fired (its coverage fell, or its
#: extraction failures rose, clearly beyond the trailing figures; see ``crawl_runs.drift``).
RUN_STATUSES = ("running", "ok", "partial", "failed", "aborted", "degraded")
RAW_KINDS = ("article", "list", "import", "mirror", "file")
CURSOR_SOURCES = ("channel", "node")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _text(comment: str, *, nullable: bool = False, default: str | None = "") -> Any:
    """A free-text column; non-null ones default to the empty string."""
    if nullable:
        return mapped_column(sa.Text, nullable=True, comment=comment)
    return mapped_column(sa.Text, nullable=False, default=default, server_default=sa.text("''"), comment=comment)


class Article(Base):
    """One article per thepaper.cn ``cont_id``: the current clean version."""

    __tablename__ = "articles"
    __table_args__ = (
        sa.Index("ix_articles_published_at", "published_at"),
        sa.Index("ix_articles_node_id", "node_id"),
        sa.Index("ix_articles_channel_id", "channel_id"),
        sa.Index("ix_articles_content_type", "content_type"),
        {"comment": "One row per article (cont_id): its current clean text and metadata."},
    )

    cont_id: Mapped[int] = mapped_column(
        sa.BigInteger,
        primary_key=True,
        autoincrement=False,
        comment="thepaper.cn article id (the number in newsDetail_forward_<id>)",
    )
    url: Mapped[str] = mapped_column(
        sa.Text, nullable=False, comment="canonical URL https://www.thepaper.cn/newsDetail_forward_<cont_id>"
    )
    source_url: Mapped[str | None] = _text(
        "URL the stored text was actually fetched from (mirror, m., share form)", nullable=True
    )
    mirror_host: Mapped[str | None] = mapped_column(
        sa.String(255), nullable=True, comment="host of the spam mirror the text came from; NULL for the site itself"
    )
    layout: Mapped[str] = mapped_column(
        sa.String(32),
        nullable=False,
        default="unknown",
        comment="page layout the text was extracted from: nextjs, desktop_old, mobile_2017, api_json, text_dump, unknown",
    )
    content_type: Mapped[str] = mapped_column(
        sa.String(16),
        nullable=False,
        default="news",
        comment="news, pph (澎湃号), video, live, external, paywalled or gone",
    )
    gone_reason: Mapped[str | None] = mapped_column(
        sa.String(32), nullable=True, comment="why a gone article is gone: http_404, content_null, offline_notice"
    )
    external_url: Mapped[str | None] = _text("target of an external-link item (content_type external)", nullable=True)
    title: Mapped[str] = _text("headline, clean text")
    summary: Mapped[str] = _text("standfirst / summary, clean text; empty when the site gives none")
    published_at: Mapped[datetime | None] = mapped_column(
        AwareDateTime, nullable=True, comment="publication time (UTC stored, read as Asia/Shanghai)"
    )
    author: Mapped[str] = _text("reporter or writer name(s)")
    author_outlet: Mapped[str] = _text("original outlet of a repost (e.g. 人民日报)")
    editor: Mapped[str] = _text("responsible editor (责任编辑)")
    source: Mapped[str] = _text("source line, e.g. 澎湃新闻 or 澎湃新闻·澎湃号·湃客")
    node_id: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True, comment="column (栏目, node) id")
    node_name: Mapped[str] = _text("column (栏目, node) name")
    channel_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, nullable=True, comment="channel (频道) id, e.g. 119908 科技"
    )
    channel_name: Mapped[str] = _text("channel (频道) name")
    body_text: Mapped[str] = _text("clean body text, paragraphs joined by newlines")
    images: Mapped[list[dict]] = mapped_column(
        sa.JSON, nullable=False, default=list, comment="JSON list of {src, caption} objects, in body order"
    )
    keywords: Mapped[list[str]] = mapped_column(
        KeywordsJSON,
        nullable=False,
        default=list,
        server_default=sa.text("'[]'"),
        comment="JSON list of the article's keywords, best first: jieba TF-IDF of title, summary and body "
        "with a stop-word list (pipelines/keywords.py); empty for gone articles and for rows cleaned "
        "before cleaner version 3 until reprocess",
    )
    word_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="CJK characters plus Latin/number words of the body"
    )
    content_hash: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="sha256 hex of title NUL body_text (changes when the text changes)"
    )
    encoding: Mapped[str] = mapped_column(
        sa.String(32),
        nullable=False,
        default="",
        server_default=sa.text("''"),
        comment="character encoding the raw page was decoded with",
    )
    encoding_reason: Mapped[str] = _text("why that encoding was chosen (header, meta, detection...)")
    repairs: Mapped[dict[str, int]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object: text repairs applied, kind -> count"
    )
    repair_log: Mapped[list[dict]] = mapped_column(
        KeywordsJSON,
        nullable=False,
        default=list,
        server_default=sa.text("'[]'"),
        comment="JSON list: every repair of the text explained, one object per change: field (body, title, "
        "summary...), offset (characters into that field's stored text; for body, into body_text), "
        "rule, before, after, by (bytes: the surviving bytes decided; model: the word model chose "
        "among candidates the bytes left open, above its measured 99.5 % margin; rule: a fixed rule), "
        "margin (model only); empty for rows cleaned before cleaner version 4 until reprocess",
    )
    stripped: Mapped[dict[str, int]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object: boilerplate removed, kind -> count"
    )
    cleaner_version: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, comment="version of the cleaner that produced this text"
    )
    version: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=1,
        comment="1 for the first stored text, +1 on each change (history in article_versions)",
    )
    raw_page_id: Mapped[int | None] = mapped_column(
        BigID,
        sa.ForeignKey("raw_pages.id", ondelete="SET NULL"),
        nullable=True,
        comment="raw_pages row this record was cleaned from",
    )
    first_seen: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="when the archive first stored this article"
    )
    last_seen: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="when a crawl last saw this article (changed or not)"
    )
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="when the stored text or metadata last changed"
    )

    tags: Mapped[list[Tag]] = relationship(
        secondary="article_tags", order_by="ArticleTag.position", lazy="selectin", viewonly=True
    )
    tag_links: Mapped[list[ArticleTag]] = relationship(
        back_populates="article", order_by="ArticleTag.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan"
    )
    raw_page: Mapped[RawPage | None] = relationship(foreign_keys=[raw_page_id])

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    @property
    def paragraphs(self) -> list[str]:
        """The clean body as paragraphs: the lines of ``body_text`` (not stored since revision 0008)."""
        return paragraphs_of(self.body_text)

    @property
    def body_html(self) -> str:
        """Cleaned HTML of the body, generated from the paragraphs and ``images`` when read
        (:func:`storage.render.body_html`; not stored since revision 0008): an escaped ``<p>``
        per paragraph, ``<p class="caption">`` for image captions; never the site's HTML."""
        return body_html(self.paragraphs, self.images or [])


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        sa.UniqueConstraint("name"),
        {"comment": "Distinct tag (关键词) names."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, comment="tag text as shown on the site")


class ArticleTag(Base):
    __tablename__ = "article_tags"
    __table_args__ = (
        sa.Index("ix_article_tags_tag_id", "tag_id"),
        {"comment": "Tags of each article, in page order; replaced when the article is updated."},
    )

    cont_id: Mapped[int] = mapped_column(
        sa.BigInteger,
        sa.ForeignKey("articles.cont_id", ondelete="CASCADE"),
        primary_key=True,
        comment="article (articles.cont_id)",
    )
    tag_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, comment="tag (tags.id)"
    )
    position: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="0-based order of the tag on the page"
    )

    article: Mapped[Article] = relationship(back_populates="tag_links")
    tag: Mapped[Tag] = relationship(lazy="joined")


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    __table_args__ = (
        sa.UniqueConstraint("cont_id", "version"),
        {"comment": "Previous versions of articles, kept whenever the stored text changes."},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, comment="surrogate key")
    cont_id: Mapped[int] = mapped_column(
        sa.BigInteger,
        sa.ForeignKey("articles.cont_id", ondelete="CASCADE"),
        nullable=False,
        comment="article (articles.cont_id)",
    )
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, comment="the version number this text had")
    title: Mapped[str] = _text("headline of that version")
    summary: Mapped[str] = _text("summary of that version")
    body_text: Mapped[str] = _text("body text of that version")
    paragraphs: Mapped[list[str]] = mapped_column(
        sa.JSON, nullable=False, default=list, comment="JSON list of paragraphs of that version"
    )
    content_hash: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="sha256 hex of that version's title NUL body_text"
    )
    cleaner_version: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, comment="cleaner version that produced that text"
    )
    content_type: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="news", comment="content type of that version"
    )
    valid_from: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="when that version became the stored one"
    )
    replaced_at: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="when a newer version replaced it"
    )
    raw_page_id: Mapped[int | None] = mapped_column(
        BigID,
        sa.ForeignKey("raw_pages.id", ondelete="SET NULL"),
        nullable=True,
        comment="raw_pages row that version was cleaned from",
    )

    article: Mapped[Article] = relationship(back_populates="versions")


class RawPage(Base):
    __tablename__ = "raw_pages"
    __table_args__ = (
        sa.Index("ix_raw_pages_cont_id", "cont_id"),
        sa.Index("ix_raw_pages_kind", "kind"),
        sa.Index("ix_raw_pages_run_id", "run_id"),
        sa.Index("ix_raw_pages_sha256", "sha256"),
        {
            "comment": "Every fetched or imported page, byte for byte (compressed: zstd with a trained dictionary, "
            "or zlib in older rows)."
        },
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, comment="surrogate key")
    url: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="URL requested (or file:// path of an import)")
    final_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="URL after redirects")
    cont_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, nullable=True, comment="article id the page belongs to, when known"
    )
    status: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, comment="HTTP status code")
    headers: Mapped[dict[str, str]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object of response headers (name -> value)"
    )
    fetched_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the response arrived")
    body: Mapped[bytes] = mapped_column(
        sa.LargeBinary, nullable=False, comment="response body, compressed as named in compression"
    )
    body_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, comment="uncompressed body size in bytes")
    compression: Mapped[str] = mapped_column(
        sa.String(16),
        nullable=False,
        default="zstd",
        comment="codec of body: zstd (with the dictionary in dictionary_id, "
        "or none when it is NULL), zlib (rows written before 0005), none",
    )
    dictionary_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("raw_dictionaries.id"),
        nullable=True,
        comment="raw_dictionaries row of the zstd dictionary body was compressed with; NULL for none",
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, comment="sha256 hex of the uncompressed body")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, comment="article, list, import, mirror or file")
    run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="crawl run that fetched it (NULL for imports outside a run)",
    )
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="free note, e.g. the local file path")
    context: Mapped[dict | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="how the page was reached: JSON with the URL it is cleaned under (url), the list API item "
        "(list_item) and channel_id, so that reprocessing sees what the crawl saw; the request "
        "(request: method, url, headers, body); for WARC imports the file, record id and offset (warc)",
    )

    dictionary: Mapped[RawDictionary | None] = relationship()

    def raw_bytes(self) -> bytes:
        """The body exactly as received."""
        # cast: a page with a dictionary id has its dictionary
        data = cast(RawDictionary, self.dictionary).data if self.dictionary_id is not None else None
        return raw_body_bytes(self.body, self.compression, data, page_id=self.id)


def raw_body_bytes(
    body: bytes, compression: str | None, dictionary: bytes | None = None, *, page_id: int | None = None
) -> bytes:
    """A ``raw_pages.body`` exactly as received, given its ``compression`` (and, for zstd, the
    bytes of its dictionary); :class:`storage.codec.CodecError` when it cannot be decoded."""
    return decode(body, compression, dictionary, page_id=page_id)


class RawDictionary(Base):
    __tablename__ = "raw_dictionaries"
    __table_args__ = (
        {
            "comment": "zstd dictionaries trained on the archive's own pages; raw_pages rows name "
            "the one they were compressed with. Never deleted while a row uses it."
        },
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    codec: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="zstd", comment="codec the dictionary is for: zstd"
    )
    zstd_dict_id: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, comment="the id zstd writes into the frames made with it"
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, comment="the dictionary itself")
    samples: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, comment="raw pages it was trained on")
    sample_bytes: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, comment="uncompressed bytes of those pages"
    )
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when it was trained")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (
        sa.Index("ix_crawl_runs_started_at", "started_at"),
        {"comment": "One row per crawl/import/reprocess run, with its counters."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    started_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the run started")
    finished_at: Mapped[datetime | None] = mapped_column(
        AwareDateTime, nullable=True, comment="when it ended; NULL while running or after a crash"
    )
    status: Mapped[str] = mapped_column(
        sa.String(16),
        nullable=False,
        default="running",
        comment="running, ok, partial, failed, aborted or degraded (the layout-drift alarm fired)",
    )
    pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, comment="process id of the run")
    hostname: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, comment="host the run ran on")
    command: Mapped[str] = mapped_column(sa.String(32), nullable=False, comment="command: crawl, import, reprocess...")
    args: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object of the run's arguments"
    )
    counters: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON,
        nullable=False,
        default=dict,
        comment="JSON object: new, updated, unchanged, gone, failed, pages, list_pages, duration_s...",
    )
    message: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="closing message or error")
    coverage: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="JSON object: field coverage of the run: article pages judged, extraction failures by "
        "reason, per content type the articles and how many have each field, layouts and "
        "front-end builds seen; NULL for runs that fetched no article page or predate it",
    )
    drift: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="JSON object: the layout-drift check of the run against the trailing coverage: state "
        "(alarm, ok, too_few, no_baseline), the alarm line, the findings, the baseline used",
    )

    @validates("args", "message")
    def _masked(self, key, value):
        """No password of a URL (the archive's, Redis's, a proxy's) is stored in a run row."""
        return mask_value(value)


class Failure(Base):
    __tablename__ = "failures"
    __table_args__ = (
        sa.UniqueConstraint("url"),
        sa.Index("ix_failures_cont_id", "cont_id"),
        sa.Index("ix_failures_next_retry_at", "next_retry_at"),
        {"comment": "URLs that could not be stored, one row per URL; deleted when it later succeeds."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    url: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="URL that failed")
    cont_id: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True, comment="article id, when known")
    reason: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="short stable code, e.g. http_503, timeout, empty_article"
    )
    message: Mapped[str] = _text("what exactly went wrong on the last attempt")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, comment="attempts so far")
    first_failed_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="first failed attempt")
    last_failed_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="latest failed attempt")
    next_retry_at: Mapped[datetime | None] = mapped_column(
        AwareDateTime, nullable=True, comment="earliest time of the next retry; NULL when dead"
    )
    dead: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, comment="true once attempts reached the cap: no more retries"
    )
    run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="run of the latest attempt",
    )

    @validates("message")
    def _masked(self, key, value):
        return mask_value(value)  # an error may quote a URL with its password


class ListCursor(Base):
    __tablename__ = "list_cursors"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        {"comment": "Incremental crawl state: newest publication time seen per list."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, comment="channel or node")
    source_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, comment="channel or node id")
    newest_pub_time_ms: Mapped[int | None] = mapped_column(
        sa.BigInteger, nullable=True, comment="newest pubTimeLong (ms since epoch) seen on this list"
    )
    last_run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="run that last advanced the cursor",
    )
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the cursor last changed")


class RunLock(Base):
    __tablename__ = "run_locks"
    __table_args__ = ({"comment": "Single-run locks; a stale or dead holder's lock is taken over."},)

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True, comment="lock name, e.g. crawl")
    holder: Mapped[str] = mapped_column(sa.String(255), nullable=False, comment="hostname:pid of the holder")
    acquired_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when it was taken")
    heartbeat_at: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="last sign of life of the holder"
    )
