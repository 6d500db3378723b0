"""The crawl's writer as a child process (``THEPAPER_PIPELINE_WORKER``): it cleans the pages *and*
stores them (:func:`storage.writers.store_unless_broken`, the thread writer's functions), so that
on a machine with a second core the reactor's process keeps only the downloading: Python threads
share one core (the GIL), processes do not. The cleaning function is the caller's (the item
pipelines pass ``cleaning.page.clean_page``): storage knows nothing of cleaning.

The process starts before the archive and the run are known (:class:`ProcessWriter` without a
store, as the item pipelines are built), so that its imports, and what the caller's ``warm``
loads, overlap the crawl's own start instead of holding up its first items; :meth:`ProcessWriter.open`
then names the archive and the run, as the first message. The entries come back without their raw
page, and without their record unless a feed export asks for it (``keep_records``): the outcome and
the stored summary say what the crawl's counters need.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from storage.pipesend import PipeSender
from storage.proc import how_it_ended
from storage.writers import _STOP, Growth, WriterLost, _take, reencode_earlier, settle, store_unless_broken

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

#: The most entries the crawl's process sends to its worker in one message.
SEND_BATCH = 64
_OPEN = "open"


class _Collect(logging.Handler):
    """Keeps the worker's log records of WARNING and above, to be logged again by the crawl."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, self.format(record)))


def _warm_up(warm) -> None:
    """What the writer needs, loaded while the crawl starts: the storage modules, and ``warm``
    (the caller's: the cleaning chain's imports and tables). A failure here only costs time later."""
    import storage.batch  # noqa: F401 - imported now, used by store_jobs
    import storage.dictionaries  # noqa: F401
    import storage.raw  # noqa: F401

    if warm is not None:
        try:
            warm()
        except Exception as exc:  # the first page pays for it instead
            logger.debug("warming up the worker failed: %s", exc)


def worker_main(
    conn, db_url=None, run_id=None, policy=None, max_batch: int = 200, clean=None, keep_records: bool = False, warm=None
) -> None:
    """The child process: receive jobs, clean and store them in batches, send back results
    (with their records only when ``keep_records``: a feed export wants them). Without ``db_url``,
    the first message names the archive, the run and the failure policy (:meth:`ProcessWriter.open`)."""
    from storage.db import make_engine, session_factory

    collect = _Collect()
    logging.getLogger().addHandler(collect)
    logging.getLogger().setLevel(logging.WARNING)
    inbox: deque = deque()  # the parent sends jobs in lists (storage.pipesend)

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

    _warm_up(warm)
    if db_url is None:
        first = get()
        if not (isinstance(first, tuple) and first[0] == _OPEN):  # closed before any item
            _finish(conn, collect)
            return
        _, db_url, run_id, policy = first
    # The crawl that started this process opened, checked and upgraded the archive: no second
    # check or schema look-up here (which would load Alembic and its templates, ~10 MB).
    engine = make_engine(db_url)
    Session = session_factory(engine)
    try:
        stop, broken, growth = False, None, Growth()
        while not stop:
            batch, stop = _take(get, get_nowait, max_batch)
            if not batch:
                break
            errors, broken = store_unless_broken(
                Session,
                [job for _, job in batch],
                broken,
                run_id=run_id,
                policy=policy or {},
                clean=clean,
                growth=growth,
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
        if broken is None:
            reencode_earlier(Session, growth)
        _finish(conn, collect)
    finally:
        engine.dispose()
        conn.close()


def worker_process(conn, *args, **kwargs) -> None:
    """:func:`worker_main` as :class:`ProcessWriter`'s process runs it: once it returns (every
    entry committed, the archive's connections closed, the pipe closed), the process ends at once
    (``os._exit``), without the interpreter's teardown: freeing the cleaning chain's and the
    storage's modules and tables cost a crawl's worker ~0.3 s of CPU at exit, which the crawl's
    close waited for (``ProcessWriter.close`` joins the process). An exception leaves as usual.

    Ctrl-C at a terminal reaches this process too (the terminal signals its whole process group);
    it is ignored here: stopping is the crawl's to decide (Scrapy's graceful stop), and the crawl
    sends the stop once its last pages are queued, so that every fetched page is stored first. A
    crawl that dies closes the pipe, and this process ends then. (SIGTERM still ends it at once:
    ``multiprocessing`` terminates a daemon child that way when its parent exits.)"""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_main(conn, *args, **kwargs)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # no stream, or a closed one
            pass
    os._exit(0)


def _spawn(max_batch: int, clean, keep_records: bool, warm):
    """A new worker process (``spawn``), waiting for the archive and the run: ``(conn, process)``."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    proc = ctx.Process(
        target=worker_process,
        args=(child, None, None, None, max(1, max_batch), clean, keep_records, warm),
        name="thepaper-worker",
        daemon=True,
    )
    proc.start()
    child.close()
    return conn, proc


#: The worker started early (:func:`start_early`) and not yet taken by a ProcessWriter:
#: ``(arguments, (conn, process))``.
_early: list[tuple[tuple, tuple]] = []


def _same_args(a: tuple, b: tuple) -> bool:
    """Whether two workers' arguments are the same (a ``functools.partial`` by its function and
    arguments: two partials of the same call are not equal objects)."""

    def key(value):
        if isinstance(value, partial):
            return (value.func, value.args, tuple(sorted(value.keywords.items())))
        return value

    return [key(v) for v in a] == [key(v) for v in b]


def start_early(*, max_batch: int = 200, clean=None, keep_records: bool = False, warm=None) -> None:
    """Start the worker process now, for the :class:`ProcessWriter` that the crawl builds later with
    the same arguments: its interpreter, imports and ``warm`` then overlap the crawl's own imports
    (before Scrapy starts) rather than its first seconds. One at a time; see :func:`discard_early`."""
    discard_early()
    args = (max_batch, clean, keep_records, warm)
    _early.append((args, _spawn(*args)))


def _take_early(*args) -> tuple | None:
    """The worker started early, if it was started with ``args``; one started with others is
    stopped (nothing else would take it)."""
    if _early and _same_args(_early[0][0], args):
        return _early.pop()[1]
    discard_early()
    return None


def discard_early() -> None:
    """Stop a worker started early that no ProcessWriter took (the crawl ended before its
    pipelines were built): it sees the pipe close and ends."""
    while _early:
        _, (conn, proc) = _early.pop()
        conn.close()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)


def _is_stop(obj) -> bool:
    return isinstance(obj, str) and obj == _STOP


def _finish(conn, collect: _Collect) -> None:
    try:
        conn.send(("done", [], collect.records))
    except OSError:  # the crawl is gone
        pass


class ProcessWriter:
    """One child process that cleans (with ``clean``, a module-level function) and stores
    (see the module docstring). Started with ``store`` (and ``policy``), it writes at once;
    without, :meth:`open` names them before the first :meth:`submit`. ``warm``: a module-level
    function (or ``functools.partial`` of one) the process calls while it waits for its first job."""

    def __init__(
        self,
        store=None,
        policy: dict | None = None,
        *,
        max_batch: int = 200,
        clean=None,
        keep_records: bool = False,
        warm=None,
    ):
        early = _take_early(max_batch, clean, keep_records, warm)
        if early is not None:
            logger.debug("the worker process started early (pid %s) takes the crawl's pages", early[1].pid)
        self.conn, self.proc = early or _spawn(max_batch, clean, keep_records, warm)
        self.pending: dict[int, Deferred[Any]] = {}
        self.seq = 0
        self.opened = False
        #: Why the process is gone before its stop (set on the reactor thread): what is submitted
        #: after that fails at once, as what was pending did.
        self.lost: WriterLost | None = None
        from twisted.internet import reactor

        # the jobs go into the pipe from the reactor thread (no thread of its own, see
        # storage.pipesend); the results come back through a thread that waits for them
        self.sender = PipeSender(self.conn, reactor, max_batch=SEND_BATCH, is_last=_is_stop)
        self.reader = threading.Thread(target=self._read, name="thepaper-worker-reader", daemon=True)
        self.reader.start()
        if store is not None:
            self.open(store, policy or {})

    def open(self, store, policy: dict) -> None:
        """Name the archive (``store.url``), the run (``store.run_id``) and the failure policy."""
        if self.opened:
            raise RuntimeError("the worker already writes to an archive")
        self.opened = True
        self.sender.put((_OPEN, store.url, store.run_id, dict(policy)))

    def submit(self, entry, raw_args=None, clean_args=None):
        """Queue one ``BatchEntry`` (pickled into the pipe with the others of this turn of the
        reactor, as the pipe takes them: a busy worker never blocks the reactor); a Deferred that
        fires once committed."""
        from twisted.internet.defer import Deferred

        if not self.opened:
            raise RuntimeError("ProcessWriter.open first: the worker does not know its archive")
        if self.lost is not None:
            from twisted.internet.defer import fail

            return fail(WriterLost(str(self.lost)))
        d = Deferred()
        self.seq += 1
        self.pending[self.seq] = d
        self.sender.put((self.seq, (entry, raw_args, clean_args)))
        return d

    def close(self):
        """Stop after the queued entries are stored; a Deferred that fires then."""
        from twisted.internet.threads import deferToThread

        self.sender.put(_STOP)
        self.sender.flush()  # the rest, if the pipe is full, as the worker reads it

        def wait():
            self.reader.join()
            self.proc.join(timeout=30)

        def closed(result):
            self.sender.close()
            return result

        return deferToThread(wait).addBoth(closed)

    def _read(self) -> None:
        from twisted.internet import reactor

        while True:
            try:
                kind, results, records = self.conn.recv()
            except (EOFError, OSError):
                reactor.callFromThread(self._lost, how_it_ended(self.proc))
                return
            reactor.callFromThread(self._deliver, results, records)
            if kind == "done":
                return

    def _deliver(self, results, records) -> None:
        for name, level, text in records:
            logging.getLogger(name).log(level, "%s", text)
        for seq, entry, err in results:
            settle(self.pending.pop(seq), entry, err)

    def _lost(self, how: str) -> None:
        self.lost = WriterLost(f"the crawl's worker process {how} before it stored the pages handed to it")
        pending, self.pending = self.pending, {}
        for d in pending.values():
            d.errback(WriterLost(str(self.lost)))
