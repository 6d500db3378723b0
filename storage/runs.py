"""Runs, list cursors and run locks: the state a scheduled crawl resumes from.

* Runs (``crawl_runs``): :func:`start_run`, :func:`finish_run`, and
  :func:`abort_dead_runs` for runs whose process died; :class:`RunRecord`, one run's row
  from open to finish, the one helper every kind of run records itself with (the crawl's
  run recorder, the WARC import, ``reprocess``: :data:`RUN_COMMANDS`) with its counters
  (:func:`run_counters`), and
  :class:`RunArchive`, the archive of one crawl with its run.
* List cursors (``list_cursors``): :func:`get_cursor`, :func:`set_cursor`, which never
  moves a cursor backwards.
* Run locks (``run_locks``): :func:`acquire_lock`, :func:`heartbeat`,
  :func:`release_lock`, :func:`lock_holder`, and :class:`RunLockHeld`, the context
  manager a crawl or import holds. These take an ``Engine`` and commit each step.

The session functions never commit.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import CURSOR_SOURCES, RUN_STATUSES, CrawlRun, ListCursor, RunLock
from storage.proc import holder_dead, this_holder
from storage.types import require_aware

#: What ``crawl_runs.command`` says a run was: a crawl (lists walked, or chosen articles
#: imported by URL), an import of files or WARC captures, a reprocess of the raw archive.
RUN_COMMANDS = ("crawl", "import", "reprocess")


# --------------------------------------------------------------------------- runs
def start_run(session: Session, *, command: str, args: Mapping | None, now: datetime) -> CrawlRun:
    """A new ``running`` run row for this process (flushed: its id is set)."""
    run = CrawlRun(
        started_at=require_aware(now),
        status="running",
        pid=os.getpid(),
        hostname=socket.gethostname(),
        command=command,
        args=dict(args or {}),
        counters={},
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: CrawlRun,
    *,
    status: str,
    counters: Mapping | None,
    message: str | None,
    now: datetime,
    coverage: Mapping | None = None,
    drift: Mapping | None = None,
) -> CrawlRun:
    """Close a run: its status, counters, message and, for crawls, its field coverage and
    layout-drift check (:mod:`storage.coverage`)."""
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"a finished run's status is one of {RUN_STATUSES[1:]}, got {status!r}")
    run.status = status
    run.counters = dict(counters or {})
    run.message = message
    if coverage is not None:
        run.coverage = dict(coverage)
    if drift is not None:
        run.drift = dict(drift)
    run.finished_at = require_aware(now)
    session.flush()
    return run


def abort_dead_runs(session: Session, now: datetime) -> list[CrawlRun]:
    """Mark ``running`` runs whose process died on this host as ``aborted`` (crash recovery)."""
    dead = [
        r
        for r in session.scalars(sa.select(CrawlRun).where(CrawlRun.status == "running"))
        if r.pid is not None and r.hostname and holder_dead(f"{r.hostname}:{r.pid}")
    ]
    for run in dead:
        run.status, run.finished_at = "aborted", require_aware(now)
        run.message = run.message or "process died before finishing"
    session.flush()
    return dead


class RunRecord:
    """One run's row in ``crawl_runs``, from :meth:`open` to :meth:`finish`, each step its own
    transaction. ``duration_s`` is counted from the open unless the counters give it."""

    def __init__(self, Session, run_id: int, started: float):
        self.Session, self.id, self.started = Session, run_id, started

    @classmethod
    def open(cls, Session, command: str, args: Mapping | None = None) -> RunRecord:
        """A new ``running`` row for this process; ``command`` one of :data:`RUN_COMMANDS`."""
        if command not in RUN_COMMANDS:
            raise ValueError(f"a run's command is one of {RUN_COMMANDS}, got {command!r}")
        with Session() as session:
            run = start_run(session, command=command, args=args, now=_utcnow())
            session.commit()
            return cls(Session, run.id, time.monotonic())

    def finish(
        self,
        status: str,
        counters: Mapping,
        message: str,
        *,
        coverage: Mapping | None = None,
        drift: Mapping | None = None,
    ) -> None:
        """Record how the run ended (:func:`finish_run`). An archive that cannot take even that
        raises :class:`storage.unwritable.ArchiveUnwritable`; the next run marks the row ``aborted``."""
        counters = dict(counters)
        counters.setdefault("duration_s", round(time.monotonic() - self.started, 3))
        with self.Session() as session:
            finish_run(
                session,
                session.get(CrawlRun, self.id),
                status=status,
                counters=counters,
                message=message,
                now=_utcnow(),
                coverage=coverage,
                drift=drift,
            )
            session.commit()


def run_counters(
    counts: Mapping[str, int],
    keys: Iterable[str],
    *,
    prefix: str = "",
    by_reason: Mapping[str, str] | None = None,
    **figures: float,
) -> dict[str, Any]:
    """A run's ``crawl_runs.counters``, the one shape of the crawl, the import and reprocess:
    each of ``keys`` counted in ``counts`` under ``prefix + key`` (0 when absent); for each
    ``name: key`` of ``by_reason``, the non-zero counts of ``key/<reason>`` by reason (the failed
    pages, the skipped captures); then the run's other ``figures`` (pages, requests...) as given."""
    counters: dict[str, Any] = {k: int(counts.get(prefix + k, 0)) for k in keys}
    for name, key in (by_reason or {}).items():
        counters[name] = {k.split("/", 1)[1]: int(v) for k, v in counts.items() if k.startswith(key + "/") and v}
    counters.update(figures)
    return counters


def outcome_status(*, done: bool, error: BaseException | str | None, failed: int) -> str:
    """A batch job's run status: ``aborted`` when it did not get to its end (a signal, a bug),
    ``failed`` when it stopped on an error it names, ``partial`` when items failed, else ``ok``."""
    return "aborted" if not done else "failed" if error else "partial" if failed else "ok"


class RunArchive:
    """The archive of one crawl: its URL, engine, sessions and, once opened, its run
    (:class:`RunRecord`). The crawl's run recorder opens it; the spider, the item
    stages and the writer read and write through it."""

    def __init__(self, db_url: str | None):
        from storage.db import open_archive, resolve_db_url

        self.url = resolve_db_url(db_url or None)
        self.engine, self.Session = open_archive(self.url, create=True)  # a crawl may start an archive
        self.run: RunRecord | None = None

    @property
    def run_id(self) -> int | None:
        return self.run.id if self.run is not None else None

    def open_run(self, command: str, args: Mapping) -> RunRecord:
        self.run = RunRecord.open(self.Session, command, args)
        return self.run

    def trailing_coverage(self, days: float) -> tuple[dict, dict]:
        """The archive's trailing coverage, this run excluded (:mod:`storage.coverage`)."""
        from storage.coverage import trailing_coverage

        with self.Session() as session:
            return trailing_coverage(session, now=_utcnow(), days=days, exclude_run_id=self.run_id)

    def close(self) -> None:
        self.engine.dispose()


# --------------------------------------------------------------------------- list cursors
def get_cursor(session: Session, source: str, source_id: int) -> ListCursor | None:
    return session.scalars(
        sa.select(ListCursor).where(ListCursor.source == source, ListCursor.source_id == int(source_id))
    ).one_or_none()


def set_cursor(
    session: Session,
    source: str,
    source_id: int,
    newest_pub_time_ms: int | None,
    *,
    run_id: int | None,
    now: datetime,
    force: bool = False,
) -> ListCursor:
    """Advance a list's cursor; it never moves backwards unless ``force``."""
    if source not in CURSOR_SOURCES:
        raise ValueError(f"cursor source must be one of {CURSOR_SOURCES}, got {source!r}")
    cursor = get_cursor(session, source, source_id)
    if cursor is None:
        cursor = ListCursor(source=source, source_id=int(source_id))
        session.add(cursor)
    old = cursor.newest_pub_time_ms
    if force or old is None or (newest_pub_time_ms is not None and newest_pub_time_ms > old):
        cursor.newest_pub_time_ms = newest_pub_time_ms
        cursor.last_run_id = run_id
        cursor.updated_at = require_aware(now)
    elif cursor.updated_at is None:
        cursor.updated_at = require_aware(now)
    session.flush()
    return cursor


# --------------------------------------------------------------------------- run locks
def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def acquire_lock(
    engine: Engine,
    name: str,
    *,
    stale_after_s: float,
    holder: str | None = None,
    now: datetime | None = None,
    _retry: bool = True,
) -> bool:
    """Take the lock ``name`` for ``holder`` (default this ``hostname:pid``); False if someone live has it.

    A lock whose heartbeat is older than ``stale_after_s`` seconds, or whose holder is
    a dead process on this host, is taken over. Atomic across processes: the insert
    relies on the primary key, the takeover is a compare-and-swap UPDATE.
    """
    holder = holder or this_holder()
    now = require_aware(now or _utcnow())
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(RunLock).values(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
        return True
    except IntegrityError:
        pass
    with engine.connect() as conn:
        row = conn.execute(sa.select(RunLock.holder, RunLock.heartbeat_at).where(RunLock.name == name)).first()
    if row is None:  # released meanwhile: try again from the start
        return _retry and acquire_lock(engine, name, stale_after_s=stale_after_s, holder=holder, now=now, _retry=False)
    old_holder, old_beat = row
    if not (old_holder == holder or holder_dead(old_holder) or old_beat < now - timedelta(seconds=stale_after_s)):
        return False
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(RunLock)
            .where(
                RunLock.name == name, RunLock.holder == old_holder, _same_instant(conn, RunLock.heartbeat_at, old_beat)
            )
            .values(holder=holder, acquired_at=now, heartbeat_at=now)
        ).rowcount
    return taken == 1


def _same_instant(conn, column, value: datetime):
    """``column = value`` as instants. SQLite keeps times as text: a row written by hand
    (``datetime('now')``, no microseconds) never equals the text of the value read back from it."""
    if conn.dialect.name == "sqlite":
        return sa.func.julianday(column) == sa.func.julianday(sa.literal(value, column.type))
    return column == value


def heartbeat(engine: Engine, name: str, *, holder: str | None = None, now: datetime | None = None) -> bool:
    """Refresh the lock's heartbeat; False when we no longer hold it."""
    holder = holder or this_holder()
    with engine.begin() as conn:
        return (
            conn.execute(
                sa.update(RunLock)
                .where(RunLock.name == name, RunLock.holder == holder)
                .values(heartbeat_at=require_aware(now or _utcnow()))
            ).rowcount
            == 1
        )


def release_lock(engine: Engine, name: str, *, holder: str | None = None) -> bool:
    """Release the lock if we hold it; True when a row was deleted."""
    holder = holder or this_holder()
    with engine.begin() as conn:
        return conn.execute(sa.delete(RunLock).where(RunLock.name == name, RunLock.holder == holder)).rowcount == 1


def lock_holder(engine: Engine, name: str) -> RunLock | None:
    """The current holder row of lock ``name`` (detached), or None."""
    with Session(engine) as session:
        lock = session.get(RunLock, name)
        if lock is not None:
            session.expunge(lock)
        return lock


class LockedError(Exception):
    """Another live run holds the lock; the message names the holder."""


class RunLockHeld:
    """Hold the archive's run lock ``name`` for the duration of a crawl, import or reprocess.

    On entry, runs left ``running`` by a dead process are marked ``aborted``, then the
    lock is taken (a lock whose holder died on this host, or stopped beating for
    ``stale_after_s``, is taken over) or :class:`LockedError` is raised. ``engine`` and
    ``Session`` are the archive's while the lock is held; on exit the lock is released, or,
    when the archive cannot be written any more, left for the next run to take over (its
    holder is then a dead process).
    ``create``: the archive may be created (crawl, import), else it must exist (reprocess).
    """

    def __init__(self, db_url: str | None, name: str = "crawl", *, stale_after_s: float = 600, create: bool = False):
        self.db_url, self.name, self.stale_after_s, self.create = db_url, name, stale_after_s, create

    def __enter__(self) -> RunLockHeld:
        from storage.db import open_archive

        self.engine, self.Session = open_archive(self.db_url, create=self.create)
        with self.Session() as session:
            abort_dead_runs(session, _utcnow())
            session.commit()
        if not acquire_lock(self.engine, self.name, stale_after_s=self.stale_after_s):
            holder = lock_holder(self.engine, self.name)
            who = f"{holder.holder}, started {holder.acquired_at:%Y-%m-%d %H:%M:%S %Z}" if holder else "unknown"
            self.engine.dispose()
            raise LockedError(f"another run is in progress ({who}); exiting")
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        from storage.unwritable import ArchiveUnwritable

        try:
            release_lock(self.engine, self.name)
        except ArchiveUnwritable:
            pass  # taken over by the next run: this process will be dead by then
        finally:
            self.engine.dispose()
        return False
