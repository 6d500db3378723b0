"""Re-run decoding, repair and extraction over the raw archive with the current code.

No network: every input comes from ``raw_pages``. For each selected article the
raw page it was cleaned from is cleaned again; raw article pages that never
became an article (their cleaning failed) are tried again too. Records change
only where the cleaner's output changed (``save_articles`` compares every stored
field and tag, as ``save_article`` does); otherwise the run is a no-op.

The pages go in chunks of ``batch`` raw page ids (200: one transaction and a few
statements each). With ``jobs`` > 1, worker processes read the chunks' raw pages
(each with an engine of its own: the bodies never pass through this process) and
clean them (:func:`cleaning.page.clean_page`, a pure function) while this
process writes the results, chunk after chunk in order: one writer, the same
transactions and the same archive as with ``jobs=1``, which reads and cleans in
this process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from datetime import datetime, timezone
from functools import partial
from operator import itemgetter
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.urls import canonical_url
from domain.record import ArticleRecord, CleaningError
from cleaning.document import with_known_keywords
from cleaning.page import clean_page, load_chain
from jobs.cleanpool import CleanerPool, die_with_parent, in_order  # noqa: F401 - die_with_parent: re-exported
from storage.articles import save_articles
from storage.failures import resolve_failures
from storage.dictionaries import dictionary_bytes
from storage.models import Article, RawPage, raw_body_bytes

_PAGE_KINDS = ("article", "import", "file", "mirror")
_RAW = cast(sa.Table, RawPage.__table__)  # cast: a mapped class's table is a Table
#: The raw pages of a piece (``ids``: an expanding IN), as plain Core rows. One statement, built
#: once (SQLAlchemy keeps its compiled form and cache key): a select of the ORM's columns built for
#: every piece made a cleaner's whole read of a piece 61-64 µs a page against 49-51 now (medians
#: of 191 pieces of 50 pages each, taking turns, the 20,000-article mock archive).
_READ_RAW = (
    sa.select(
        *(
            _RAW.c[name]
            for name in (
                "id",
                "url",
                "final_url",
                "status",
                "headers",
                "context",
                "cont_id",
                "kind",
                "body",
                "compression",
                "dictionary_id",
                "fetched_at",
            )
        )
    )
    .where(_RAW.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_RAW.c.id)
)

_ARTICLES = cast(sa.Table, Article.__table__)
#: The keywords of the stored articles of a piece's pages that have a basis (``ids``: their
#: cont_ids): a record whose text has that basis takes them (:func:`with_known_keywords`).
_READ_KNOWN = sa.select(_ARTICLES.c.cont_id, _ARTICLES.c.keywords_basis, _ARTICLES.c.keywords).where(
    _ARTICLES.c.cont_id.in_(sa.bindparam("ids", expanding=True)), _ARTICLES.c.keywords_basis.is_not(None)
)

#: One page to clean: (raw page id, body as stored, compression, URL to clean under,
#: headers, status, list item, cont_id, source URL).
CleanJob = tuple
#: What came of it: (raw page id, record, None) or (raw page id, None, failure reason).
Cleaned = tuple[int, "ArticleRecord | None", "str | None"]


def _clean_url(raw) -> str | None:
    context = raw.context or {}
    if context.get("url"):
        return context["url"]
    if raw.kind == "article" and raw.cont_id is not None:
        return canonical_url(raw.cont_id)
    return raw.final_url or raw.url


def _fetched_since(session: Session, when: datetime, cont_ids: Iterable[int] | None) -> set[int]:
    """The latest article page of each article fetched at or after ``when``, whether its
    cleaning made the stored record or failed (a drifted run's pages: what recovery re-cleans)."""
    stmt = (
        sa.select(sa.func.max(RawPage.id))
        .where(RawPage.kind.in_(_PAGE_KINDS), RawPage.cont_id.is_not(None), RawPage.fetched_at >= when)
        .group_by(RawPage.cont_id)
    )
    if cont_ids:
        stmt = stmt.where(RawPage.cont_id.in_(list(cont_ids)))
    return {i for i in session.scalars(stmt) if i is not None}


def _select_ids(
    session: Session, *, since: datetime | None, cont_ids: Iterable[int] | None, fetched_since: datetime | None = None
) -> list[int]:
    if fetched_since is not None:
        return sorted(_fetched_since(session, fetched_since, cont_ids))
    stmt = sa.select(Article.raw_page_id).where(Article.raw_page_id.is_not(None))
    if since is not None:
        stmt = stmt.where(Article.published_at >= since)
    if cont_ids:
        stmt = stmt.where(Article.cont_id.in_(list(cont_ids)))
    ids = cast("set[int]", set(session.scalars(stmt)))  # cast: the query keeps raw_page_id IS NOT NULL
    # Raw article pages whose cleaning failed: the latest page of each cont_id without an article.
    orphan = (
        sa.select(sa.func.max(RawPage.id))
        .where(
            RawPage.kind.in_(_PAGE_KINDS),
            RawPage.cont_id.is_not(None),
            ~sa.exists().where(Article.cont_id == RawPage.cont_id),
        )
        .group_by(RawPage.cont_id)
    )
    if cont_ids:
        orphan = orphan.where(RawPage.cont_id.in_(list(cont_ids)))
    if since is not None:
        orphan = orphan.where(RawPage.fetched_at >= since)
    ids.update(i for i in session.scalars(orphan) if i is not None)
    return sorted(ids)


def _read_chunk(Session, ids: list[int]) -> tuple[dict[int, tuple], list[CleanJob]]:
    """The URL and fetch time of the chunk's raw pages (by id) and the cleaning jobs made of
    them (plain rows, no ORM). Bodies compressed with a dictionary are decoded here."""
    with Session() as session:
        rows = session.execute(_READ_RAW, {"ids": list(ids)}).all()
        dicts = dictionary_bytes(session, {r.dictionary_id for r in rows})

    def stored(r) -> tuple[bytes, str]:
        if r.dictionary_id is None:
            return bytes(r.body), r.compression
        return raw_body_bytes(r.body, r.compression, dicts[r.dictionary_id], page_id=r.id), "none"

    jobs = [
        (
            r.id,
            *stored(r),
            _clean_url(r),
            r.headers,
            r.status or 200,
            (r.context or {}).get("list_item"),
            r.cont_id,
            r.final_url or r.url,
        )
        for r in rows
    ]
    return {r.id: (r.url, r.fetched_at) for r in rows}, jobs


def known_keywords(Session, jobs: list[CleanJob]) -> dict[int, tuple[str | None, list[str]]]:
    """``{cont_id: (keywords_basis, keywords)}`` of the stored articles of the jobs' pages that
    have a basis: what :func:`clean_jobs` may take instead of computing keywords."""
    # a CleanJob ends with the page's cont_id and source URL
    ids = sorted({cont_id for *_, cont_id, _source_url in jobs if cont_id is not None})
    if not ids:
        return {}
    with Session() as session:
        return {r.cont_id: (r.keywords_basis, r.keywords) for r in session.execute(_READ_KNOWN, {"ids": ids})}


def clean_jobs(jobs: list[CleanJob], known: Mapping[int, tuple[str | None, list[str]]] | None = None) -> list[Cleaned]:
    """Clean each page of a chunk (pure: no database); a cleaning failure is a result, not an error.
    With ``known`` (:func:`known_keywords`), a record whose text has a stored article's keyword
    basis takes that article's keywords instead of computing them (the same words)."""
    out: list[Cleaned] = []
    for raw_id, body, compression, url, headers, status, list_item, cont_id, source_url in jobs:
        try:
            record = clean_page(
                raw_body_bytes(body, compression, page_id=raw_id),
                url=url,
                headers=headers,
                status=status,
                list_item=list_item,
                cont_id=cont_id,
                source_url=source_url,
                keywords=known is None,
            )
        except CleaningError as exc:
            out.append((raw_id, None, exc.reason))
            continue
        if known is not None and record.content_type != "gone":
            with_known_keywords(record, known)
        out.append((raw_id, record, None))
    return out


def _store_chunk(
    session: Session, pages: dict[int, tuple], cleaned: list[Cleaned], counts: Counter, *, now: datetime
) -> None:
    """Save the chunk's records (only what changed is written) and count the outcomes;
    ``pages``: the raw pages' URL and fetch time by id."""
    urls = {raw_id: url for raw_id, (url, _) in pages.items()}
    fetched = {raw_id: at for raw_id, (_, at) in pages.items()}
    items: list[tuple[ArticleRecord, int]] = []
    for raw_id, record, reason in cleaned:
        if record is None:
            counts["failed"] += 1
            counts[f"failed/{reason}"] += 1
        else:
            items.append((record, raw_id))
    outcomes = save_articles(session, items, now=now, seen=False, captured=[fetched[raw_id] for _, raw_id in items])
    # cast: a stored article has its cont_id
    stored = [
        (urls[raw_id], cast(int, record.cont_id))
        for (record, raw_id), outcome in zip(items, outcomes)
        if outcome in ("new", "updated")
    ]
    if stored:
        resolve_failures(session, [u for u, _ in stored], [c for _, c in stored])
    counts.update(outcomes)


# --------------------------------------------------------------------------- worker processes
def chunk_cleaner(db_url: str) -> Callable[[list[int]], tuple[dict[int, tuple], list[Cleaned]]]:
    """In a worker: read and clean a chunk of raw page ids, with an engine of the worker's own
    (the bodies never go through the writing process)."""
    from storage.db import make_engine, session_factory

    Session = session_factory(make_engine(db_url))

    def work(ids: list[int]) -> tuple[dict[int, tuple], list[Cleaned]]:
        pages, jobs = _read_chunk(Session, ids)
        return pages, clean_jobs(jobs, known_keywords(Session, jobs))

    return work


#: A chunk goes to the workers in this many pieces (200 pages: 50 a task): the workers end
#: within a piece of each other, not a chunk (the last chunk no longer leaves one of them idle).
PIECES = 4


def _pieces(chunks: list[list[int]]) -> Iterator[tuple[bool, list[int]]]:
    """``(last piece of its chunk, ids)`` of each piece of each chunk, in order."""
    for ids in chunks:
        size = -(-len(ids) // PIECES)
        for start in range(0, len(ids), size):
            yield start + size >= len(ids), ids[start : start + size]


def _cleaned_chunks(Session, chunks: list[list[int]], jobs: int) -> Generator[tuple[dict, list[Cleaned]], None, None]:
    """``(raw pages' URL and fetch time by id, cleaned)`` of each chunk, in order; read and cleaned here
    (``jobs`` 1) or by worker processes in pieces (:data:`PIECES`), with up to two chunks a worker
    handed out ahead, and put together again: the same chunks, the same order."""
    if jobs <= 1:
        for ids in chunks:
            pages, todo = _read_chunk(Session, ids)
            yield pages, clean_jobs(todo, known_keywords(Session, todo))
        return
    db_url = Session.kw["bind"].url.render_as_string(hide_password=False)
    with CleanerPool(jobs, partial(chunk_cleaner, db_url), name="reprocess-clean", preload=load_chain) as pool:
        urls: dict[int, tuple] = {}
        done: list[Cleaned] = []
        for (last, _), (piece_pages, piece_cleaned) in in_order(
            pool, _pieces(chunks), 2 * jobs * PIECES, itemgetter(1)
        ):
            urls.update(piece_pages)
            done.extend(piece_cleaned)
            if last:
                yield urls, done
                urls, done = {}, []


def reprocess_archive(
    Session,
    *,
    since: datetime | None = None,
    cont_ids: Iterable[int] | None = None,
    fetched_since: datetime | None = None,
    batch: int = 200,
    jobs: int = 1,
    progress: Callable[[Counter, int, int], None] | None = None,
) -> Counter:
    """Clean the selected raw pages again and update the records; return outcome counts
    (``new``, ``updated``, ``unchanged``, ``kept_original``, ``failed`` and ``failed/<reason>``).

    ``since``: articles published since then (and failed pages fetched since then);
    ``fetched_since``: instead, the latest page of every article fetched since then, stored or
    failed (the recovery after a layout drift: the drifted run's pages, whatever became of them).

    ``jobs`` processes clean (1: this process alone); this process writes, one
    transaction per chunk of ``batch`` pages, and calls ``progress(counts, done, total)``
    after each (raw pages done so far, raw pages selected)."""
    counts: Counter = Counter()
    with Session() as session:
        raw_ids = _select_ids(session, since=since, cont_ids=cont_ids, fetched_since=fetched_since)
    chunks = [raw_ids[start : start + batch] for start in range(0, len(raw_ids), batch)]
    done = 0
    # closing(): an error or Ctrl-C here stops the workers at once, not when the traceback is freed
    with closing(_cleaned_chunks(Session, chunks, min(jobs, len(chunks)))) as cleaned_chunks:
        for pages, cleaned in cleaned_chunks:
            with Session() as session:
                _store_chunk(session, pages, cleaned, counts, now=datetime.now(timezone.utc))
                session.commit()
            done += len(cleaned)
            if progress is not None:
                progress(counts, done, len(raw_ids))
    return counts
