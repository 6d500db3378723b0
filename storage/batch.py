"""The crawl's unit of storage: fetched things, each a raw page with its article or failure.

:func:`save_batch` stores a list of :class:`BatchEntry` in the caller's transaction
exactly as archiving, saving and recording each entry in turn would
(:func:`storage.raw.archive_raw`, :func:`storage.articles.save_article` with
:func:`storage.failures.resolve_failure`, :func:`storage.failures.record_failure`),
but in a few statements: raw pages in one, articles through the one batch path
:func:`storage.articles.save_articles`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session

from domain.record import ArticleRecord
from storage.articles import save_articles
from storage.coverage import StoredSummary, summarize
from storage.failures import record_failure, resolve_failures
from storage.raw import archive_raw_many
from storage.types import require_aware


@dataclass
class BatchEntry:
    """One fetched thing to store: its raw page (:func:`storage.raw.raw_page_row` values) and the
    article record, or the failure (``url``, ``cont_id``, ``reason``, ``message``), that
    came of it. A stored record resolves the failures of ``url`` and of its cont_id."""

    raw: dict | None = None
    record: ArticleRecord | None = None
    failure: Mapping | None = None
    url: str | None = None
    raw_page_id: int | None = None  # set by save_batch
    outcome: str | None = None  # set by save_batch: an article outcome, "failed", or None (raw page only)
    stored: StoredSummary | None = None  # set by save_batch: what the counters need of the record stored
    kept: tuple[str, ...] = ()  # set by save_batch: stored fields the record would have emptied, kept


def save_batch(
    session: Session,
    entries: list[BatchEntry],
    *,
    run_id: int | None,
    now: datetime,
    max_attempts: int = 5,
    backoff_base_s: float = 3600,
) -> list[BatchEntry]:
    """Store many entries in the session's transaction (nothing is committed); see the module doc.

    Records are saved together, except that a failure of the same URL or article
    waits for the records before it and holds back the records after it, so that the
    failures table ends as it would one entry at a time."""
    require_aware(now)
    raws = [e for e in entries if e.raw is not None]
    # cast: ``raws`` holds the entries with a raw page
    for entry, raw_id in zip(raws, archive_raw_many(session, [cast(dict, e.raw) for e in raws])):
        entry.raw_page_id = raw_id
    pending: list[BatchEntry] = []
    keys: set = set()  # URLs and cont_ids the pending records resolve

    def flush_records() -> None:
        kept: list[tuple[str, ...]] = []
        # cast: ``pending`` holds entries with a record, and a stored record has its cont_id
        outcomes = save_articles(
            session,
            [(cast(ArticleRecord, e.record), e.raw_page_id) for e in pending],
            now=now,
            captured=[e.raw["fetched_at"] if e.raw is not None else None for e in pending],
            blanked=kept,
        )
        for e, outcome, names in zip(pending, outcomes, kept):
            e.outcome, e.stored, e.kept = outcome, summarize(e.record), names
        resolving = [e for e in pending if e.url is not None]
        if resolving:
            resolve_failures(
                session,
                [cast(str, e.url) for e in resolving],
                [int(cast(int, cast(ArticleRecord, e.record).cont_id)) for e in resolving],
            )
        pending.clear()
        keys.clear()

    for e in entries:
        if e.record is not None:
            pending.append(e)
            if e.url is not None:
                keys.update((e.url, int(cast(int, e.record.cont_id))))
        elif e.failure is not None:
            f = e.failure
            if f["url"] in keys or (f.get("cont_id") is not None and int(f["cont_id"]) in keys):
                flush_records()
            record_failure(
                session,
                url=f["url"],
                cont_id=f.get("cont_id"),
                reason=f["reason"],
                message=f.get("message") or "",
                run_id=run_id,
                now=now,
                max_attempts=max_attempts,
                backoff_base_s=backoff_base_s,
            )
            e.outcome = "failed"
    if pending:
        flush_records()
    session.flush()
    return entries
