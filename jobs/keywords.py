"""``reprocess --keywords-only``: the keywords of stored articles, from their stored text.

A crawl with ``--no-keywords`` (``THEPAPER_KEYWORDS = False``) stores its articles without
keywords; this computes them afterwards from the columns the cleaner wrote (title, summary,
``body_text`` whose lines are the paragraphs), with the function the cleaning chain uses
(:func:`cleaning.document.record_keywords`): the same words a crawl with keywords stores. No raw
page is read and nothing else of an article changes; a row whose keywords change gets a new
``updated_at`` (its metadata changed). Gone articles have none, nor have the records a crawl
stores from a list item alone (no raw page: an external link, an article it did not fetch).

Chunks of :data:`CHUNK` articles, one transaction each (an interrupted run keeps what it
committed and the next run finishes the rest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import cast

import sqlalchemy as sa

from cleaning.document import record_basis, record_keywords
from domain.record import ArticleRecord, paragraphs_of
from storage.models import Article

#: Articles read, computed and written per transaction.
CHUNK = 500


def fill_keywords(
    Session,
    *,
    since: datetime | None = None,
    cont_ids: Iterable[int] | None = None,
    everything: bool = False,
    progress: Callable[[Counter, int, int], None] | None = None,
) -> Counter:
    """Compute the keywords of the selected articles (published at or after ``since``, or with
    these ``cont_ids``): of those without any, or of ``everything``. Returns the counts
    ``updated`` (keywords written) and ``unchanged``."""
    # as the crawl: the articles cleaned from a page (a list item alone gives none), gone ones aside
    where = [Article.content_type != "gone", Article.raw_page_id.is_not(None)]
    if since is not None:
        where.append(Article.published_at >= since)
    if cont_ids is not None:
        where.append(Article.cont_id.in_(list(cont_ids)))
    with Session() as session:
        ids = list(session.scalars(sa.select(Article.cont_id).where(*where).order_by(Article.cont_id)))
    counts: Counter = Counter()
    columns = (
        Article.cont_id,
        Article.content_type,
        Article.title,
        Article.summary,
        Article.body_text,
        Article.keywords,
        Article.keywords_basis,
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with Session() as session:
            rows = session.execute(sa.select(*columns).where(Article.cont_id.in_(chunk))).all()
            now = datetime.now(timezone.utc)
            changes, bases = [], []
            for row in rows:
                if row.keywords and not everything:
                    counts["unchanged"] += 1
                    continue
                paragraphs = paragraphs_of(row.body_text)
                words = record_keywords(row.content_type, row.title, row.summary or "", paragraphs)
                # what they were computed from, as a crawl with keywords stores it
                basis = record_basis(ArticleRecord(title=row.title, summary=row.summary or "", paragraphs=paragraphs))
                if list(row.keywords or []) != words:
                    changes.append({"row_id": row.cont_id, "keywords": words, "basis": basis, "updated_at": now})
                    continue
                counts["unchanged"] += 1
                if row.keywords_basis != basis:  # the same words: only their basis is written
                    bases.append({"row_id": row.cont_id, "basis": basis})
            table = cast(sa.Table, Article.__table__)
            if changes:
                session.execute(
                    sa.update(table)
                    .where(table.c.cont_id == sa.bindparam("row_id"))
                    .values(
                        keywords=sa.bindparam("keywords"),
                        keywords_basis=sa.bindparam("basis"),
                        updated_at=sa.bindparam("updated_at"),
                    ),
                    changes,
                )
                counts["updated"] += len(changes)
            if bases:
                session.execute(
                    sa.update(table)
                    .where(table.c.cont_id == sa.bindparam("row_id"))
                    .values(keywords_basis=sa.bindparam("basis")),
                    bases,
                )
            session.commit()
        if progress is not None:
            progress(counts, min(start + CHUNK, len(ids)), len(ids))
    return counts
