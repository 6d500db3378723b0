"""Where a crawl's items are stored: off the reactor thread, in batches.

:class:`ThreadWriter` (the default) is one thread that owns all archive writes:
it takes entries from a queue and stores all that has queued up (at most
``max_batch``) in one transaction (:func:`storage.batch.save_batch`).

:class:`ProcessWriter` (``THEPAPER_PIPELINE_WORKER``) is one child process that
cleans the pages *and* stores them, so that on a machine with a second core the
reactor's process keeps only the downloading: Python threads share one core
(the GIL), processes do not. The cleaning function is the caller's (the item
pipelines pass ``cleaning.page.clean_page``): storage knows nothing of cleaning.
The entries come back without their raw page, and without their record unless a feed
export asks for it (``keep_records``): the outcome and the stored summary say what the
crawl's counters need.

Either way each entry's raw page, article and tags, or its failure, commit
together with its batch or not at all; when a batch fails, its entries are
tried again one transaction each, so one bad entry loses only itself. A crash
loses at most the batches not yet committed, which the next run fetches again.
Both hand results back to the reactor thread as Deferreds.

Several writers may share one archive (distributed workers, a crawl beside an import): a
transaction that lost a race with another writer's (the same new article or tag inserted by
both, a deadlock, a serialization failure, SQLite's lock held too long) is tried again from
the start, up to :data:`CONFLICT_ATTEMPTS` times; it then reads what the other writer
committed and stores the entry as an update or as unchanged.

An archive that cannot be written (:class:`storage.unwritable.ArchiveUnwritable`: a full
disk, a read-only database, a database that is down) is not retried entry by entry: the
writer fails that batch and every later entry with the same error, without touching the
database again, and the crawl stops (``pipelines.persist.PersistStage``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections import deque
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from storage.unwritable import ArchiveUnwritable

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

_STOP = "stop"
#: The most entries the crawl's process sends to its worker in one message.
SEND_BATCH = 64
CONFLICT_ATTEMPTS = 5
#: The most raw pages a crawl's writer re-encodes after training a dictionary (:func:`_recompress`).
RECOMPRESS_MAX_PAGES = 5_000
_PG_CONFLICTS = {"40001", "40P01"}  # serialization failure, deadlock detected


def lost_race(exc: BaseException) -> bool:
    """Whether a failed transaction lost a race with another writer, so that the same
    transaction tried again can succeed: a unique key that another transaction inserted first,
    a deadlock or serialization failure (PostgreSQL), a lock held too long (SQLite)."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(exc, IntegrityError):  # a unique key, not a bad value
        return code == "23505" or "UNIQUE constraint failed" in str(orig)
    return code in _PG_CONFLICTS or "database is locked" in str(orig)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _failure(url, cont_id, reason, message) -> dict:
    return {"url": url, "cont_id": cont_id, "reason": reason, "message": message}


def store_jobs(Session, jobs: list, *, run_id, policy: dict, clean=None) -> list:
    """Clean (when asked) and store a batch of jobs in one transaction; on an error,
    each job alone. A job is ``(entry, raw_args, clean_args)``: ``clean(body, **clean_args)``
    makes the entry's record when ``clean_args`` is given; returns, per job,
    ``None`` or the formatted exception that kept it from being stored. Raises
    :class:`ArchiveUnwritable` at once, without retrying."""
    from domain.record import CleaningError
    from storage.batch import save_batch
    from storage.dictionaries import current_encoder, train_when_ready
    from storage.raw import raw_page_row

    with Session() as session:
        encoder = current_encoder(session)

    def prepare(entry, raw_args, clean_args):
        entry.raw = raw_page_row(**raw_args, encoder=encoder) if raw_args else None
        if clean_args is not None and entry.record is None and entry.failure is None:
            try:
                entry.record = clean(raw_args["body"] if raw_args else b"", **clean_args)
            except CleaningError as exc:
                entry.error = exc
                entry.failure = _failure(entry.url, clean_args.get("cont_id"), exc.reason, str(exc))

    def commit(batch):
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with Session() as session:
                    save_batch(session, [job[0] for job in batch], run_id=run_id, now=_now(), **policy)
                    session.commit()
                return
            except Exception as exc:
                if attempt == CONFLICT_ATTEMPTS or not lost_race(exc):
                    raise
                logger.debug("a concurrent writer won a race (%s); trying again", type(exc).__name__)
                time.sleep(0.02 * attempt)

    errors: list = [None] * len(jobs)
    for i, job in enumerate(jobs):
        try:
            prepare(*job)
        except Exception:
            errors[i] = traceback.format_exc()
    todo = [i for i, err in enumerate(errors) if err is None]
    try:
        commit([jobs[i] for i in todo])
    except ArchiveUnwritable:
        raise
    except Exception:
        if len(todo) == 1:
            errors[todo[0]] = traceback.format_exc()
            return errors
    else:
        # the batch is committed: what comes after cannot make its entries fail (they are
        # counted as stored); an archive found unwritable now fails the batches after it
        try:
            if train_when_ready(Session, using=encoder.dictionary_id) is not None:
                _recompress(Session)
        except ArchiveUnwritable as exc:
            raise UnwritableAfterCommit(exc, errors) from exc
        return errors
    for i in todo:
        try:
            commit([jobs[i]])
        except ArchiveUnwritable:
            raise
        except Exception:
            errors[i] = traceback.format_exc()
    return errors


def _recompress(Session) -> None:
    """The pages stored before the dictionary just trained get it too
    (:func:`storage.compact.compact_archive`: at 500, 750, 1,125... rows, as the archive grows),
    so that a crawl leaves its archive about as small as ``db compact`` would. Not in an archive of more
    than :data:`RECOMPRESS_MAX_PAGES` pages (one made before the dictionaries, or a backfill):
    re-encoding it all is ``db compact``'s work, not a crawl's. Never stops the crawl."""
    import sqlalchemy as sa

    from storage.compact import compact_archive
    from storage.models import RawPage

    try:
        with Session() as session:
            pages = session.scalar(sa.select(sa.func.count()).select_from(RawPage))
        if pages > RECOMPRESS_MAX_PAGES:
            logger.info("a new dictionary for new pages; `db compact` re-encodes the %d stored", pages)
            return
        counts, _ = compact_archive(Session)
        logger.info("re-encoded the %d pages stored before the new dictionary", counts["pages"])
    except ArchiveUnwritable:
        raise
    except Exception as exc:  # the pages stay readable as they are: zstd without a dictionary
        logger.warning("could not re-encode the earlier pages with the new dictionary: %s", exc)


class UnwritableAfterCommit(ArchiveUnwritable):
    """The archive became unwritable after a batch was committed (training a dictionary,
    re-encoding pages): ``errors`` are the batch's own results, ``cause`` the error that the
    batches after it fail with."""

    def __init__(self, cause: ArchiveUnwritable, errors: list):
        super().__init__(cause.why)
        self.cause, self.errors = cause, errors


def store_unless_broken(Session, jobs: list, broken: ArchiveUnwritable | None, **kwargs):
    """:func:`store_jobs`, unless the archive already proved unwritable; returns the per-job
    errors and the :class:`ArchiveUnwritable` that the next jobs fail with, if any (every job
    of this batch too, unless it was committed before the archive became unwritable)."""
    if broken is None:
        try:
            return store_jobs(Session, jobs, **kwargs), None
        except UnwritableAfterCommit as exc:
            return exc.errors, exc.cause
        except ArchiveUnwritable as exc:
            broken = exc
    return [broken] * len(jobs), broken


def settle(d, entry, err) -> None:
    """Fire a job's Deferred: with its entry, or with the error that kept it from being stored."""
    if err is None:
        d.callback(entry)
    else:
        d.errback(err if isinstance(err, ArchiveUnwritable) else StoreError(err))


def _take(get, get_nowait, max_batch: int) -> tuple[list, bool]:
    """The next batch: one blocking get, then whatever is already queued."""
    first = get()
    if first == _STOP:
        return [], True
    batch = [first]
    while len(batch) < max_batch:
        try:
            job = get_nowait()
        except queue.Empty:
            break
        if job == _STOP:
            return batch, True
        batch.append(job)
    return batch, False


class StoreError(Exception):
    """An entry could not be stored; the message carries the writer's traceback."""


class ThreadWriter:
    """One writer thread in this process (see the module docstring)."""

    def __init__(self, store, policy: dict, *, max_batch: int = 200):
        self.store, self.policy, self.max_batch = store, dict(policy), max(1, max_batch)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="thepaper-writer", daemon=True)
        self.thread.start()

    def submit(self, entry, raw_args=None, clean_args=None):
        """Queue one ``BatchEntry``; a Deferred that fires with it once committed."""
        from twisted.internet.defer import Deferred

        d = Deferred()
        self.queue.put(((entry, raw_args, clean_args), d))
        return d

    def close(self):
        """Stop after the queued entries are stored; a Deferred that fires then."""
        from twisted.internet.threads import deferToThread

        self.queue.put(_STOP)
        return deferToThread(self.thread.join)

    def _run(self) -> None:
        from twisted.internet import reactor

        stop, broken = False, None
        while not stop:
            batch, stop = _take(self.queue.get, self.queue.get_nowait, self.max_batch)
            if not batch:
                break
            errors, broken = store_unless_broken(
                self.store.Session, [job for job, _ in batch], broken, run_id=self.store.run_id, policy=self.policy
            )
            for (job, d), err in zip(batch, errors):
                reactor.callFromThread(settle, d, job[0], err)


# --------------------------------------------------------------------------- the worker process
class _Collect(logging.Handler):
    """Keeps the worker's log records of WARNING and above, to be logged again by the crawl."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, self.format(record)))


def worker_main(
    conn, db_url: str, run_id, policy: dict, max_batch: int, clean=None, keep_records: bool = False
) -> None:
    """The child process: receive jobs, clean and store them in batches, send back results
    (with their records only when ``keep_records``: a feed export wants them)."""
    from storage.db import make_engine, session_factory

    collect = _Collect()
    logging.getLogger().addHandler(collect)
    logging.getLogger().setLevel(logging.WARNING)
    # The crawl that started this process opened, checked and upgraded the archive: no second
    # check or schema look-up here (which would load Alembic and its templates, ~10 MB).
    engine = make_engine(db_url)
    Session = session_factory(engine)

    inbox: deque = deque()  # the parent sends jobs in lists (ProcessWriter._send)

    def get_nowait():
        if not inbox:
            if not conn.poll(0):
                raise queue.Empty
            inbox.extend(conn.recv())
        return inbox.popleft()

    def get():
        while not inbox:
            try:
                inbox.extend(conn.recv())
            except EOFError:  # the crawl died: stop, what is committed stays
                return _STOP
        return inbox.popleft()

    try:
        stop, broken = False, None
        while not stop:
            batch, stop = _take(get, get_nowait, max_batch)
            if not batch:
                break
            errors, broken = store_unless_broken(
                Session, [job for _, job in batch], broken, run_id=run_id, policy=policy, clean=clean
            )
            results = []
            for (seq, (entry, _, _)), err in zip(batch, errors):
                # not sent back: the parent has the bytes, and needs of the record only what
                # save_batch noted (outcome, stored): unpickling records cost its reactor
                entry.raw = None
                if not keep_records:
                    entry.record = None
                results.append((seq, entry, err))
            conn.send(("results", results, collect.records))
            collect.records = []
        conn.send(("done", [], collect.records))
    finally:
        engine.dispose()
        conn.close()


class ProcessWriter:
    """One child process that cleans (with ``clean``, a module-level function) and stores
    (see the module docstring)."""

    def __init__(self, store, policy: dict, *, max_batch: int = 200, clean=None, keep_records: bool = False):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=worker_main,
            args=(child, store.url, store.run_id, dict(policy), max(1, max_batch), clean, keep_records),
            name="thepaper-worker",
            daemon=True,
        )
        self.proc.start()
        child.close()
        self.pending: dict[int, Deferred[Any]] = {}
        self.seq = 0
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.sender = threading.Thread(target=self._send, name="thepaper-worker-sender", daemon=True)
        self.reader = threading.Thread(target=self._read, name="thepaper-worker-reader", daemon=True)
        self.sender.start()
        self.reader.start()

    def submit(self, entry, raw_args=None, clean_args=None):
        """Queue one ``BatchEntry`` (the sender thread pickles it into the pipe, so that
        a busy worker never blocks the reactor); a Deferred that fires once committed."""
        from twisted.internet.defer import Deferred

        d = Deferred()
        self.seq += 1
        self.pending[self.seq] = d
        self.outbox.put((self.seq, (entry, raw_args, clean_args)))
        return d

    def close(self):
        """Stop after the queued entries are stored; a Deferred that fires then."""
        from twisted.internet.threads import deferToThread

        self.outbox.put(_STOP)

        def wait():
            self.sender.join()
            self.reader.join()
            self.proc.join(timeout=30)

        return deferToThread(wait)

    def _send(self) -> None:
        """Pickle what is queued into the pipe, as one list: one message, one pickle and one
        write for every entry that came while the last was being sent (at most SEND_BATCH)."""
        while True:
            jobs = [self.outbox.get()]
            while len(jobs) < SEND_BATCH and not (isinstance(jobs[-1], str) and jobs[-1] == _STOP):
                try:
                    jobs.append(self.outbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self.conn.send(jobs)
            except OSError:  # the worker is gone: the reader fails what is pending
                return
            if isinstance(jobs[-1], str) and jobs[-1] == _STOP:
                return

    def _read(self) -> None:
        from twisted.internet import reactor

        while True:
            try:
                kind, results, records = self.conn.recv()
            except (EOFError, OSError):
                reactor.callFromThread(self._lost)
                return
            reactor.callFromThread(self._deliver, results, records)
            if kind == "done":
                return

    def _deliver(self, results, records) -> None:
        for name, level, text in records:
            logging.getLogger(name).log(level, "%s", text)
        for seq, entry, err in results:
            settle(self.pending.pop(seq), entry, err)

    def _lost(self) -> None:
        pending, self.pending = self.pending, {}
        for d in pending.values():
            d.errback(StoreError("the worker process died"))
