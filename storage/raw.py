"""The raw archive: every fetched response, byte for byte, before anything looks at it.

Rows of ``raw_pages`` are built by :func:`raw_page_row` (body compressed and
hashed) and added by :func:`archive_raw` (one, through the ORM) or
:func:`archive_raw_many` (many, in one statement). Bodies are compressed with
zstd and the archive's newest trained dictionary (:mod:`storage.dictionaries`,
:mod:`storage.codec`). Nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.bulk import insert_many
from storage.codec import PLAIN, Encoder
from storage.dictionaries import current_encoder
from storage.models import RAW_KINDS, RawPage
from storage.types import require_aware


def _header_value(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (list, tuple)):
        return ", ".join(_header_value(v) for v in value)
    return str(value)


def normalize_headers(headers: Mapping | None) -> dict[str, str]:
    """Headers as a JSON-safe ``{name: value}`` (bytes decoded as Latin-1, repeats joined by ', ')."""
    return {_header_value(k): _header_value(v) for k, v in (headers or {}).items()}


def raw_page_row(
    *,
    url: str,
    final_url: str | None,
    status: int | None,
    headers: Mapping | None,
    body: bytes,
    fetched_at: datetime,
    kind: str,
    run_id: int | None = None,
    cont_id: int | None = None,
    note: str | None = None,
    context: Mapping | None = None,
    encoder: Encoder | None = None,
) -> dict:
    """The ``raw_pages`` column values of one response (body compressed by ``encoder``, hashed);
    writers pass :func:`storage.dictionaries.current_encoder` (the default is zstd without a dictionary)."""
    if kind not in RAW_KINDS:
        raise ValueError(f"raw page kind must be one of {RAW_KINDS}, got {kind!r}")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"raw page body must be bytes, got {type(body).__name__}")
    body = bytes(body)
    return dict(
        url=url,
        final_url=final_url,
        status=status,
        headers=normalize_headers(headers),
        fetched_at=require_aware(fetched_at, "fetched_at"),
        **(encoder or PLAIN).columns(body),
        body_size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        kind=kind,
        run_id=run_id,
        cont_id=cont_id,
        note=note,
        context=dict(context) if context else None,
    )


def archive_raw(
    session: Session,
    *,
    url: str,
    final_url: str | None,
    status: int | None,
    headers: Mapping | None,
    body: bytes,
    fetched_at: datetime,
    kind: str,
    run_id: int | None = None,
    cont_id: int | None = None,
    note: str | None = None,
    context: Mapping | None = None,
) -> RawPage:
    """Add a compressed copy of a response to the session (flush to get its id).

    ``context`` records how the page was reached (the list item, the channel), so
    that reprocessing from the archive sees what the crawl saw."""
    page = RawPage(
        **raw_page_row(
            url=url,
            final_url=final_url,
            status=status,
            headers=headers,
            body=body,
            fetched_at=fetched_at,
            kind=kind,
            run_id=run_id,
            cont_id=cont_id,
            note=note,
            context=context,
            encoder=current_encoder(session),
        )
    )
    session.add(page)
    return page


def archive_raw_many(session: Session, rows: list[dict]) -> list[int]:
    """Insert :func:`raw_page_row` values in one statement; their ids, in order.

    SQLite: one ``executemany`` (:func:`storage.bulk.insert_many`), the ids read back once: SQLAlchemy cannot order SQLite's
    ``RETURNING`` of a multi-row insert, so an insert with ``RETURNING`` ran once per row (2,081
    statements for a 2,000-article crawl). A rowid table gives each new row the largest rowid + 1
    until the largest possible rowid is taken (then a free one at random, for this and every later
    row): the last row inserted holding the table's largest id proves the rows got
    ``last - n + 1 .. last`` in order. PostgreSQL: ``INSERT ... RETURNING``, sorted by SQLAlchemy."""
    if not rows:
        return []
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return [row[0] for row in conn.execute(_INSERT_RETURNING_ID, rows)]
    insert_many(conn, _TABLE, rows)
    last, top = conn.execute(_LAST_ID).one()
    if last != top:  # pragma: no cover - only once an id reached SQLite's largest rowid
        raise RuntimeError(f"raw_pages ids not in insertion order (last inserted {last}, largest {top})")
    return list(range(last - len(rows) + 1, last + 1))


_TABLE = cast(sa.Table, RawPage.__table__)  # cast: a mapped class's table is a Table
#: :func:`archive_raw_many`'s statements, built once (a crawl's writer runs them for every batch).
_INSERT_RETURNING_ID = sa.insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_LAST_ID = sa.select(sa.func.last_insert_rowid(), sa.func.max(_TABLE.c.id))
