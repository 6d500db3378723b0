"""Looking things up for people: one article with its history (``show``), and the failures
(``failures``). Reads only; every value is plain data (times aware, Asia/Shanghai).

* :func:`article_detail` — the stored article, its tags, its previous versions, the raw pages
  that belong to it (fetch time, status, the charset the response declared, the encoding its
  text was decoded with when the article or a version was cleaned from it) and its open
  failures. None when the archive has no such article.
* :func:`list_failures` — failures, open (still retried) or dead (given up), with their
  reason, attempts and next retry; :func:`failure_reasons` counts them by reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Article, ArticleVersion, Failure, RawPage
from storage.types import SHANGHAI

#: Article fields shown, in order (the body comes separately).
ARTICLE_FIELDS = (
    "cont_id",
    "url",
    "title",
    "summary",
    "content_type",
    "gone_reason",
    "published_at",
    "author",
    "author_outlet",
    "editor",
    "source",
    "node_id",
    "node_name",
    "channel_id",
    "channel_name",
    "layout",
    "source_url",
    "mirror_host",
    "external_url",
    "word_count",
    "encoding",
    "encoding_reason",
    "repairs",
    "stripped",
    "cleaner_version",
    "version",
    "content_hash",
    "raw_page_id",
    "first_seen",
    "last_seen",
    "updated_at",
)
FAILURE_STATES = ("all", "open", "dead")

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def declared_charset(headers: dict[str, str] | None) -> str | None:
    """The charset named by a response's ``Content-Type`` header (any case of the name), else None."""
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            m = _CHARSET.search(value or "")
            return m.group(1).lower() if m else None
    return None


def _raw_pages(session: Session, article: Article, versions: list[ArticleVersion]) -> list[dict[str, Any]]:
    decoded = {article.raw_page_id: article.encoding} if article.raw_page_id else {}
    linked = {article.raw_page_id, *(v.raw_page_id for v in versions)} - {None}
    rows = session.execute(
        sa.select(
            RawPage.id,
            RawPage.url,
            RawPage.final_url,
            RawPage.status,
            RawPage.fetched_at,
            RawPage.kind,
            RawPage.headers,
            RawPage.body_size,
            RawPage.compression,
            RawPage.sha256,
            RawPage.run_id,
        )
        .where(sa.or_(RawPage.cont_id == article.cont_id, RawPage.id.in_(sorted(linked))))
        .order_by(RawPage.fetched_at, RawPage.id)
    )
    out = []
    for r in rows:
        out.append(
            {
                "id": r.id,
                "url": r.url,
                "final_url": r.final_url,
                "status": r.status,
                "fetched_at": r.fetched_at,
                "kind": r.kind,
                "declared_charset": declared_charset(r.headers),
                "decoded_as": decoded.get(r.id),
                "cleaned_into": _cleaned_into(r.id, article, versions),
                "body_size": r.body_size,
                "compression": r.compression,
                "sha256": r.sha256,
                "run_id": r.run_id,
            }
        )
    return out


def _cleaned_into(page_id: int, article: Article, versions: list[ArticleVersion]) -> list[int]:
    """Versions of the article whose text came from this page (the current one included)."""
    out = [v.version for v in versions if v.raw_page_id == page_id]
    if article.raw_page_id == page_id:
        out.append(article.version)
    return out


def article_detail(session: Session, cont_id: int) -> dict[str, Any] | None:
    """Everything the archive holds about article ``cont_id`` (module doc), or None."""
    article = session.get(Article, cont_id)
    if article is None:
        return None
    versions = list(
        session.scalars(
            sa.select(ArticleVersion).where(ArticleVersion.cont_id == cont_id).order_by(ArticleVersion.version)
        )
    )
    out: dict[str, Any] = {f: getattr(article, f) for f in ARTICLE_FIELDS}
    out["tags"] = article.tag_names
    out["repair_log"] = list(article.repair_log or [])
    out["body_text"] = article.body_text
    out["images"] = list(article.images or [])
    out["versions"] = [
        {
            "version": v.version,
            "title": v.title,
            "content_type": v.content_type,
            "content_hash": v.content_hash,
            "cleaner_version": v.cleaner_version,
            "valid_from": v.valid_from,
            "replaced_at": v.replaced_at,
            "raw_page_id": v.raw_page_id,
            "words": len(v.body_text or ""),
        }
        for v in versions
    ]
    out["raw_pages"] = _raw_pages(session, article, versions)
    out["failures"] = list_failures(session, cont_id=cont_id, url=article.url)
    return out


def list_failures(
    session: Session,
    state: str = "all",
    *,
    reason: str | None = None,
    limit: int | None = None,
    cont_id: int | None = None,
    url: str | None = None,
) -> list[dict[str, Any]]:
    """Failures in ``state`` (all, open, dead), the next retry first, dead ones by their last attempt;
    only of ``reason``, or of an article (``cont_id`` or ``url``), when given."""
    if state not in FAILURE_STATES:
        raise ValueError(f"unknown failure state {state!r} (known: {', '.join(FAILURE_STATES)})")
    stmt = sa.select(Failure)
    if state != "all":
        stmt = stmt.where(Failure.dead.is_(state == "dead"))
    if reason:
        stmt = stmt.where(Failure.reason == reason)
    if cont_id is not None or url is not None:
        stmt = stmt.where(sa.or_(Failure.cont_id == cont_id, Failure.url == url))
    stmt = stmt.order_by(
        Failure.dead, Failure.next_retry_at.asc().nulls_last(), Failure.last_failed_at.desc(), Failure.id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        {
            "id": f.id,
            "url": f.url,
            "cont_id": f.cont_id,
            "reason": f.reason,
            "message": f.message,
            "attempts": f.attempts,
            "dead": bool(f.dead),
            "first_failed_at": f.first_failed_at,
            "last_failed_at": f.last_failed_at,
            "next_retry_at": f.next_retry_at,
            "run_id": f.run_id,
        }
        for f in session.scalars(stmt)
    ]


def failure_reasons(session: Session, state: str = "all") -> dict[str, int]:
    """Failures in ``state`` counted by reason, most first."""
    stmt = sa.select(Failure.reason, sa.func.count()).group_by(Failure.reason)
    if state != "all":
        stmt = stmt.where(Failure.dead.is_(state == "dead"))
    return dict(sorted(((r, int(n)) for r, n in session.execute(stmt)), key=lambda x: (-x[1], x[0])))


def plain(value: Any) -> Any:
    """``value`` for JSON: times as ISO 8601 in Asia/Shanghai, containers walked."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
