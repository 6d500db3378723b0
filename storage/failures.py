"""Failures: what could not be stored, one row per URL, retried on a schedule until dead.

A failed attempt is counted by :func:`record_failure` (next retry after
``backoff_base_s * 2**(attempts-1)``, dead at ``max_attempts``); a later success
deletes the row (:func:`resolve_failure`, :func:`resolve_failures`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Failure
from storage.types import require_aware

_IN_CHUNK = 500


def record_failure(
    session: Session,
    *,
    url: str,
    cont_id: int | None,
    reason: str,
    message: str,
    run_id: int | None,
    now: datetime,
    max_attempts: int = 5,
    backoff_base_s: float = 3600,
) -> Failure:
    """Count one more failed attempt at ``url``; schedule the next, or mark it dead at the cap."""
    require_aware(now)
    failure = session.scalars(sa.select(Failure).where(Failure.url == url)).one_or_none()
    if failure is None:
        failure = Failure(url=url, attempts=0, first_failed_at=now, dead=False)
        session.add(failure)
    failure.attempts = (failure.attempts or 0) + 1
    failure.cont_id = cont_id if cont_id is not None else failure.cont_id
    failure.reason = reason
    failure.message = message or ""
    failure.run_id = run_id
    failure.last_failed_at = now
    failure.dead = failure.attempts >= max_attempts
    failure.next_retry_at = (
        None if failure.dead else now + timedelta(seconds=backoff_base_s * 2 ** (failure.attempts - 1))
    )
    session.flush()
    return failure


def resolve_failure(session: Session, url: str, *, cont_id: int | None = None) -> int:
    """Forget the failures of ``url`` (and of ``cont_id``, when given); returns rows deleted."""
    return resolve_failures(session, [url], [] if cont_id is None else [cont_id])


def resolve_failures(session: Session, urls: Iterable[str], cont_ids: Iterable[int] = ()) -> int:
    """Forget the failures of many URLs and article ids at once; returns rows deleted."""
    urls, ids = sorted(set(urls)), sorted({int(c) for c in cont_ids})
    deleted = 0
    for i in range(0, max(len(urls), len(ids)), _IN_CHUNK):
        params = {"urls": urls[i : i + _IN_CHUNK], "ids": ids[i : i + _IN_CHUNK]}
        # cast: a DELETE gives a CursorResult, which has the row count
        deleted += cast("sa.CursorResult[Any]", session.execute(_RESOLVE, params)).rowcount
    return deleted


#: :func:`resolve_failures`' statement, built once (a crawl's writer runs it for every batch); the
#: ORM's delete, which also removes the failures the session holds.
_RESOLVE = (
    sa.delete(Failure)
    .where(
        sa.or_(
            Failure.url.in_(sa.bindparam("urls", expanding=True)),
            Failure.cont_id.in_(sa.bindparam("ids", expanding=True)),
        )
    )
    .execution_options(synchronize_session="fetch")
)


def list_failure_url(endpoint: str, kind: str, source_id, start_time="") -> str:
    """The ``failures.url`` of a list page that failed: the API endpoint (one for every list of a
    kind), then which list and which page (``#channel=119908&startTime=...``)."""
    return f"{endpoint}#{kind}={source_id}&startTime={start_time or ''}"


def resolve_list_failures(session: Session, lists: Iterable[tuple[str, str, object]]) -> int:
    """Forget the failures of every page of the lists ``(endpoint, kind, source_id)``: a run walked
    them to the end (or back to what the archive holds); returns rows deleted."""
    deleted = 0
    for endpoint, kind, source_id in lists:
        prefix = list_failure_url(endpoint, kind, source_id).removesuffix("startTime=")
        # ``endpoint`` alone: how a list page's network failure was named before this release
        cond = sa.or_(Failure.url.startswith(prefix, autoescape=True), Failure.url == endpoint)
        # cast: a DELETE gives a CursorResult, which has the row count
        deleted += cast(
            "sa.CursorResult[Any]",
            session.execute(sa.delete(Failure).where(cond).execution_options(synchronize_session="fetch")),
        ).rowcount
    return deleted


def due_failures(session: Session, now: datetime, *, limit: int | None = None) -> list[Failure]:
    """Failures that are not dead and whose retry time has come, oldest first."""
    stmt = (
        sa.select(Failure)
        .where(Failure.dead.is_(False), Failure.next_retry_at <= require_aware(now))
        .order_by(Failure.next_retry_at, Failure.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))
