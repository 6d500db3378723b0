"""Where a crawl's items are stored: off the reactor thread, in batches.

:class:`ThreadWriter` (the default) is one thread that owns all archive writes:
it takes entries from a queue and stores all that has queued up (at most
``max_batch``) in one transaction (:func:`storage.batch.save_batch`).

:class:`storage.worker.ProcessWriter` (``THEPAPER_PIPELINE_WORKER``) is one child process
that cleans the pages *and* stores them with the same functions (:func:`store_unless_broken`).

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
from datetime import datetime, timezone

from storage.proc import ProcessLost
from storage.unwritable import ArchiveUnwritable

logger = logging.getLogger(__name__)

_STOP = "stop"
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


class Growth:
    """What a writer that stores many batches keeps between them, so that each batch does less:

    * ``due``: the archive size (raw pages) at which the next dictionary may be due
      (:func:`storage.dictionaries.next_training_at`): until a batch stores a raw page id that
      high, the writer does not ask (ids are never less than the count);
    * ``reencode``: pages stored before the newest dictionary wait for it
      (:func:`reencode_earlier`), which the writer does when it closes, once, instead of after
      each training: a 2,000-page crawl re-encoded 500 + 750 + 1,125 + 1,688 pages, now 1,688.
      A training after which none would re-encode (the archive would outgrow the dictionary only
      past :data:`RECOMPRESS_MAX_PAGES`) re-encodes at once, as before. A crawl killed before it
      closes leaves pages on older dictionaries: as readable, only larger (``db compact``).

    A dictionary another writer trained is picked up when the encoder's cache expires
    (:data:`storage.dictionaries.ENCODER_TTL_S`) or at the next check, not after every batch."""

    def __init__(self):
        self.due = 0
        self.reencode = False


def store_jobs(Session, jobs: list, *, run_id, policy: dict, clean=None, growth: Growth | None = None) -> list:
    """Clean (when asked) and store a batch of jobs in one transaction; on an error,
    each job alone. A job is ``(entry, raw_args, clean_args)``: ``clean(body, **clean_args)``
    makes the entry's record when ``clean_args`` is given; returns, per job,
    ``None`` or the formatted exception that kept it from being stored. Raises
    :class:`ArchiveUnwritable` at once, without retrying. Without ``growth`` (a writer's
    :class:`Growth`), the dictionary policy is checked after the batch and the pages before a
    new dictionary re-encoded at once."""
    from domain.record import CleaningError
    from storage.batch import save_batch
    from storage.dictionaries import current_encoder
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
            _grow(Session, [jobs[i][0] for i in todo], encoder, growth)
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


def _grow(Session, entries: list, encoder, growth: Growth | None) -> None:
    """After a batch is committed: a new dictionary when the archive has grown enough
    (:func:`storage.dictionaries.train_when_ready`), and the pages before it re-encoded
    (now, or when the writer closes: :class:`Growth`)."""
    from storage.dictionaries import RETRAIN_GROWTH, train_when_ready

    if growth is None:
        if train_when_ready(Session, using=encoder.dictionary_id) is not None:
            _recompress(Session)
        return
    top = max((e.raw_page_id for e in entries if e.raw_page_id is not None), default=0)
    if top < growth.due:
        return
    due: list = []
    trained = train_when_ready(Session, using=encoder.dictionary_id, due=due)
    growth.due = due[0] if due else 0
    if trained is None:
        return
    if (trained.archive_pages or 0) * RETRAIN_GROWTH > RECOMPRESS_MAX_PAGES:
        growth.reencode = False  # the last training that may re-encode: now, as db compact would
        _recompress(Session)
    else:
        growth.reencode = True


def reencode_earlier(Session, growth: Growth) -> None:
    """When a writer closes: the pages stored before the newest dictionary get it (:class:`Growth`);
    an archive found unwritable now is only logged (every entry is already committed)."""
    if not growth.reencode:
        return
    growth.reencode = False
    try:
        _recompress(Session)
    except ArchiveUnwritable as exc:
        logger.warning("could not re-encode the earlier pages with the new dictionary: %s", exc)


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


class WriterLost(StoreError, ProcessLost):
    """The writer's process ended before it stored what it was handed (killed by the system when
    memory ran out, by an operator, a crash in a C library): nothing more can be stored by this run;
    the message says how the process ended (:func:`storage.proc.how_it_ended`)."""


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

        stop, broken, growth = False, None, Growth()
        while not stop:
            batch, stop = _take(self.queue.get, self.queue.get_nowait, self.max_batch)
            if not batch:
                break
            errors, broken = store_unless_broken(
                self.store.Session,
                [job for job, _ in batch],
                broken,
                run_id=self.store.run_id,
                policy=self.policy,
                growth=growth,
            )
            for (job, d), err in zip(batch, errors):
                reactor.callFromThread(settle, d, job[0], err)
        if broken is None:
            reencode_earlier(self.store.Session, growth)
