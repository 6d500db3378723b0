"""The article tables: articles, their tags and their earlier versions (see :mod:`storage.models`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.record import paragraphs_of
from storage.render import body_html
from storage.types import AwareDateTime

from .base import BigID, Base, KeywordsJSON, _text
from .raw import RawPage


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
    keywords_basis: Mapped[str | None] = mapped_column(
        sa.String(32),
        nullable=True,
        comment="what keywords were computed from: a digest of the keyword code, title, summary and "
        "content_hash (domain.record.keywords_basis); reprocess takes the stored keywords where the "
        "text it cleans has the same basis; NULL when none were computed (crawl --no-keywords, a list "
        "item alone, a gone article) and for rows stored before revision 0011",
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
