"""``db compact``: re-encode raw pages with the archive's newest zstd dictionary, in resumable batches.

Old rows (``zlib``, zstd without a dictionary or with an older one) are rewritten
batch after batch, one transaction each, in id order. Each body is decoded with its
own codec, checked against the row's ``sha256``, encoded, and decoded again before
it replaces the stored one: a row either keeps its old bytes or gets new ones that
read back the same, and a run killed at any point (SIGKILL included) leaves every
page readable; the next run goes on with the rows still to do. A batch's bodies are encoded on
:data:`THREADS` of zstd's own threads (:func:`storage.codec.encode_many`: the same frames as one
thread's), on a thread of their own while the next batch is read and checked and the one before
checked and written. Without a dictionary, or
when the archive has outgrown its newest one (:func:`storage.dictionaries.outgrown`), one is trained first
(:func:`storage.dictionaries.train_dictionary`).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, NamedTuple, cast

import sqlalchemy as sa

from storage.codec import DEFAULT_LEVEL, CodecError, Encoder, decode
from storage.dictionaries import archive_size, dictionary_bytes, newest_dictionary, outgrown, train_dictionary
from storage.models import RawPage

BATCH = 200
#: zstd threads a batch is encoded on: the cores, at most two (a crawl's close re-encodes while the
#: crawl's other process and the site wait; bench/README.md, issue 26, session 9).
THREADS = max(1, min(2, os.cpu_count() or 1))


def _target(Session, *, retrain: bool, level: int, counts: Counter) -> tuple[Encoder, str | None]:
    """The encoder rows are re-encoded with: the newest dictionary, trained first when
    there is none, when the archive has :func:`outgrown` it, or with ``retrain``; zstd
    without one when the archive is too small to train on (then also why)."""
    with Session() as session:
        row = newest_dictionary(session)
        note = None
        pages, _ = archive_size(session)
        if row is None or retrain or outgrown(row, pages):
            try:
                row = train_dictionary(session, now=datetime.now(timezone.utc))
                session.commit()
                counts["dictionary_trained"] = 1
            except CodecError as exc:
                session.rollback()
                note = str(exc)
        if row is None:
            return Encoder(level=level), note
        return Encoder(row.id, bytes(row.data), level), note


def _todo(encoder: Encoder):
    """Rows whose body is not yet encoded by ``encoder``."""
    if encoder.dictionary_id is None:
        return sa.or_(RawPage.compression != "zstd", RawPage.dictionary_id.is_not(None))
    return sa.or_(
        RawPage.compression != "zstd", RawPage.dictionary_id.is_(None), RawPage.dictionary_id != encoder.dictionary_id
    )


def compact_archive(
    Session,
    *,
    batch: int = BATCH,
    level: int = DEFAULT_LEVEL,
    retrain: bool = False,
    progress: Callable[[Counter], None] | None = None,
    threads: int = THREADS,
) -> tuple[Counter, str | None]:
    """Re-encode every raw page not yet on the newest dictionary. Returns counts of
    ``pages``, ``bytes_before``, ``bytes_after``, ``damaged`` (bodies that do not decode
    to their sha256: left as they are), ``dictionary_trained`` and ``dictionary_id``, and
    why no dictionary could be trained (None when one was, or was there)."""
    counts: Counter = Counter()
    encoder, note = _target(Session, retrain=retrain, level=level, counts=counts)
    counts["dictionary_id"] = encoder.dictionary_id or 0
    # A batch is encoded on a thread of its own (zstd's threads, without the interpreter) while
    # this one reads and checks the next batch, and checks and writes the one before: the reading
    # and writing no longer wait for the encoding, nor the encoding for them.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="thepaper-compact") as pool:

        def encode(todo: _Batch) -> Future:
            return pool.submit(encoder.columns_many, [body for _, body in todo.good], threads)

        todo = _read(Session, encoder, 0, batch, counts)
        encoding = encode(todo) if todo is not None else None
        while todo is not None and encoding is not None:
            after = _read(Session, encoder, todo.last, batch, counts)
            encoded = encoding.result()
            encoding = encode(after) if after is not None else None
            _write(Session, encoder, todo, encoded, counts)
            todo = after
            if progress is not None:
                progress(counts)
    return counts, note


class _Batch(NamedTuple):
    """Rows read to be re-encoded: the last id read, and the rows whose body checked, with it."""

    last: int
    good: list[tuple[Any, bytes]]


def _read(Session, encoder: Encoder, last: int, batch: int, counts: Counter) -> _Batch | None:
    """The next ``batch`` rows after id ``last`` not yet encoded by ``encoder``, their bodies decoded
    and checked against their ``sha256`` (the damaged ones counted and left); None when none is left."""
    with Session() as session:
        rows = session.execute(
            sa.select(RawPage.id, RawPage.body, RawPage.compression, RawPage.dictionary_id, RawPage.sha256)
            .where(RawPage.id > last, _todo(encoder))
            .order_by(RawPage.id)
            .limit(batch)
        ).all()
        if not rows:
            return None
        dicts = dictionary_bytes(session, {r.dictionary_id for r in rows})
    good = [(r, body) for r in rows if (body := _checked_body(r, dicts)) is not None]
    counts["damaged"] += len(rows) - len(good)
    return _Batch(rows[-1].id, good)


def _write(Session, encoder: Encoder, todo: _Batch, encoded: list[dict], counts: Counter) -> None:
    """Each row of ``todo`` gets its new bytes, in one transaction, once every one of them reads back
    as the body it replaces (:class:`CodecError` otherwise, with nothing of the batch written)."""
    updates = []
    for (r, body), columns in zip(todo.good, encoded, strict=True):
        if decode(columns["body"], "zstd", encoder.dictionary, page_id=r.id) != body:  # never trust, verify
            raise CodecError(f"raw page {r.id}: re-encoded body does not read back")
        updates.append({"b_id": r.id, **columns})
    if updates:
        table = cast(sa.Table, RawPage.__table__)  # cast: a mapped class's table is a Table
        with Session() as session:
            session.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values(
                    body=sa.bindparam("body"),
                    compression=sa.bindparam("compression"),
                    dictionary_id=sa.bindparam("dictionary_id"),
                ),
                updates,
            )
            session.commit()
    counts["pages"] += len(updates)
    counts["bytes_before"] += sum(len(r.body) for r, _ in todo.good)
    counts["bytes_after"] += sum(len(columns["body"]) for columns in encoded)


def _checked_body(r, dicts: dict) -> bytes | None:
    """Raw page row ``r``'s body decoded with its own codec, or None when it does not decode to its
    ``sha256`` (damaged: left as it is)."""
    try:
        body = decode(r.body, r.compression, dicts.get(r.dictionary_id), page_id=r.id)
    except CodecError:
        return None
    return body if hashlib.sha256(body).hexdigest() == r.sha256 else None


def small_pages(engine) -> bool:
    """Whether the archive is SQLite with pages smaller than :data:`storage.db.SQLITE_PAGE_SIZE`
    (made before it), which :func:`reclaim_space` gives the larger ones."""
    from storage.db import SQLITE_PAGE_SIZE

    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA page_size").scalar() < SQLITE_PAGE_SIZE


def reclaim_space(engine) -> str:
    """Give the freed pages back: ``VACUUM`` on SQLite (the file shrinks; an archive with
    smaller pages than :data:`storage.db.SQLITE_PAGE_SIZE` gets them, which a WAL file can
    only do out of WAL for the time of the ``VACUUM``, with no other connection open),
    ``VACUUM ANALYZE raw_pages`` on PostgreSQL (the space is reused; ``VACUUM FULL`` would
    return it to the system but locks the table). What was done."""
    from storage.db import SQLITE_PAGE_SIZE

    if engine.dialect.name == "sqlite":
        engine.dispose()  # this process's idle connections would keep the file in WAL
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            size = conn.exec_driver_sql("PRAGMA page_size").scalar()
            if (
                size < SQLITE_PAGE_SIZE
                and conn.exec_driver_sql("PRAGMA journal_mode = DELETE").scalar().lower() != "wal"
            ):
                try:
                    conn.exec_driver_sql(f"PRAGMA page_size = {SQLITE_PAGE_SIZE:d}")
                    conn.exec_driver_sql("VACUUM")
                finally:
                    conn.exec_driver_sql("PRAGMA journal_mode = WAL")
                new = conn.exec_driver_sql("PRAGMA page_size").scalar()
                return f"VACUUM (pages of {size} -> {new} bytes)" if new != size else "VACUUM"
            conn.exec_driver_sql("VACUUM")
            return "VACUUM"
        conn.exec_driver_sql("VACUUM ANALYZE raw_pages")
        return "VACUUM ANALYZE raw_pages"
