"""Cleaning the captures of ``import --warc`` in worker processes (:class:`jobs.cleanpool.CleanerPool`).

The command's process reads the WARC file and builds each capture's raw page as before
(:func:`jobs.warc_in.capture_entry`, with ``clean=defer``: the cleaning is left as a
:class:`Deferred`); a batch's deferred pages go to a worker (:func:`clean_captures`, the
same :func:`cleaning.page.clean_page` call), and the batch is stored, in the order read,
when its records are back (:func:`settle`). The archive, the counts and the failures are
those of the import that cleans in its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from cleaning.page import clean_page, load_chain
from domain.record import ArticleRecord, CleaningError
from jobs.cleanpool import CleanerPool, in_order

#: What a worker sends back of one page: (record, None, None) or (None, failure reason, message).
Outcome = tuple["ArticleRecord | None", "str | None", "str | None"]


@dataclass
class Deferred:
    """A page to clean later: the arguments of :func:`cleaning.page.clean_page`."""

    body: bytes
    kwargs: dict[str, Any]


def defer(body: bytes, **kwargs: Any) -> Deferred:
    """Stands in for :func:`cleaning.page.clean_page`: the call kept, not made."""
    return Deferred(body, kwargs)


def clean_one(page: Deferred) -> Outcome:
    try:
        return clean_page(page.body, **page.kwargs), None, None
    except CleaningError as exc:
        return None, exc.reason, str(exc)


def clean_captures(pages: list[Deferred]) -> list[Outcome]:
    """A worker's task: every page of a batch cleaned (a cleaning failure is an outcome)."""
    return [clean_one(p) for p in pages]


def capture_cleaner() -> Callable[[list[Deferred]], list[Outcome]]:
    """The pool's ``make_work``: nothing to open, the pages come with the task."""
    return clean_captures


def settle(entries: list, outcomes: Iterable[Outcome]) -> list:
    """The entries whose record was :class:`Deferred`, given the record or failure that came of it
    (the failure as :func:`jobs.warc_in.capture_entry` writes it)."""
    waiting = [e for e in entries if isinstance(e.record, Deferred)]
    for entry, (record, reason, message) in zip(waiting, outcomes, strict=True):
        if record is None:
            cont_id = entry.record.kwargs.get("cont_id")
            entry.record = None
            entry.failure = {"url": entry.url, "cont_id": cont_id, "reason": reason, "message": message}
        else:
            entry.record = record
    return entries


def pending(entries: list) -> list[Deferred]:
    return [e.record for e in entries if isinstance(e.record, Deferred)]


def cleaned_batches(batches: Iterable[list], jobs: int) -> Generator[list, None, None]:
    """The batches (lists of entries with deferred records), in order, cleaned by ``jobs`` worker
    processes, two batches a worker ahead of the one handed back. ``batches`` is read only as
    far as the workers need (it reads the WARC file)."""
    with CleanerPool(jobs, capture_cleaner, name="import-clean", preload=load_chain) as pool:
        for entries, outcomes in in_order(pool, batches, 2 * jobs, pending):
            yield settle(entries, outcomes)


def in_batches(
    groups: Iterable[list], size: int, *, stop: list, until: type[BaseException]
) -> Generator[list, None, None]:
    """The entries of ``groups`` (each capture's: a list page's are several; None left out) in
    lists of at least ``size``, closed after the group that fills one, the last one shorter; an
    ``until`` error while reading ends them after the entries read before it and is put in ``stop``."""
    out: list = []
    try:
        for group in groups:
            out.extend(entry for entry in group if entry is not None)
            if len(out) >= size:
                yield out
                out = []
    except until as exc:
        stop.append(exc)
    if out:
        yield out
