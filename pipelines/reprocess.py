"""Re-run decoding, repair and extraction over the raw archive with the current code.

No network: every input comes from ``raw_pages``. For each selected article the
raw page it was cleaned from is cleaned again; raw article pages that never
became an article (their cleaning failed) are tried again too. Records change
only where the cleaner's output changed (``save_article`` compares the content
hash and the cleaner version); otherwise the run is a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crawler.urls import canonical_url
from pipelines.record import CleaningError
from pipelines.stages import clean_page
from storage import repository
from storage.models import Article, RawPage

_PAGE_KINDS = ("article", "import", "file", "mirror")


def _clean_url(raw: RawPage) -> str | None:
    context = raw.context or {}
    if context.get("url"):
        return context["url"]
    if raw.kind == "article" and raw.cont_id is not None:
        return canonical_url(raw.cont_id)
    return raw.final_url or raw.url


def _select_ids(session: Session, *, since: datetime | None, cont_ids: Iterable[int] | None) -> list[int]:
    stmt = sa.select(Article.raw_page_id).where(Article.raw_page_id.is_not(None))
    if since is not None:
        stmt = stmt.where(Article.published_at >= since)
    if cont_ids:
        stmt = stmt.where(Article.cont_id.in_(list(cont_ids)))
    ids = set(session.scalars(stmt))
    # Raw article pages whose cleaning failed: the latest page of each cont_id without an article.
    orphan = (sa.select(sa.func.max(RawPage.id))
              .where(RawPage.kind.in_(_PAGE_KINDS), RawPage.cont_id.is_not(None),
                     ~sa.exists().where(Article.cont_id == RawPage.cont_id))
              .group_by(RawPage.cont_id))
    if cont_ids:
        orphan = orphan.where(RawPage.cont_id.in_(list(cont_ids)))
    if since is not None:
        orphan = orphan.where(RawPage.fetched_at >= since)
    ids.update(i for i in session.scalars(orphan) if i is not None)
    return sorted(ids)


def reprocess_archive(Session, *, since: datetime | None = None, cont_ids: Iterable[int] | None = None,
                      batch: int = 200, progress: Callable[[Counter], None] | None = None) -> Counter:
    """Clean the selected raw pages again and update the records; return outcome counts
    (``new``, ``updated``, ``unchanged``, ``kept_original``, ``failed``)."""
    counts: Counter = Counter()
    with Session() as session:
        raw_ids = _select_ids(session, since=since, cont_ids=cont_ids)
    for start in range(0, len(raw_ids), batch):
        chunk = raw_ids[start:start + batch]
        with Session() as session:
            raws = session.scalars(sa.select(RawPage).where(RawPage.id.in_(chunk))).all()
            # Load the chunk's articles in one query: save_article then finds them in the
            # session's identity map instead of one SELECT per article.
            ids = [r.cont_id for r in raws if r.cont_id is not None]
            if ids:
                session.scalars(sa.select(Article).where(Article.cont_id.in_(ids))).all()
            now = datetime.now(timezone.utc)
            for raw in raws:
                context = raw.context or {}
                try:
                    record = clean_page(raw.raw_bytes(), url=_clean_url(raw), headers=raw.headers,
                                        status=raw.status or 200, list_item=context.get("list_item"),
                                        cont_id=raw.cont_id, source_url=raw.final_url or raw.url)
                except CleaningError as exc:
                    counts["failed"] += 1
                    counts[f"failed/{exc.reason}"] += 1
                    continue
                outcome = repository.save_article(session, record, raw_page_id=raw.id, now=now, seen=False)
                if outcome in ("new", "updated"):
                    repository.resolve_failure(session, raw.url, cont_id=record.cont_id)
                counts[outcome] += 1
            session.commit()
        if progress is not None:
            progress(counts)
    return counts
