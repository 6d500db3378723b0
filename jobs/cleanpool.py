"""Worker processes that clean pages while the command's own process reads and writes.

:class:`CleanerPool` serves ``reprocess`` (chunks of raw page ids: each worker reads the pages
with an engine of its own and cleans them) and ``import --warc`` (chunks of captures, sent
with their bodies): what a worker does with a task is the callable ``make_work()`` returns
in the worker. Results come back by sequence number, so the one writer stores them in order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait
from multiprocessing.context import ForkContext, SpawnContext
from typing import Any, cast

from storage.proc import ProcessLost, how_it_ended

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

#: Builds, in a worker, the function applied to each task (picklable: a module-level function
#: or a ``functools.partial`` of one, so that spawned workers can receive it).
MakeWork = Callable[[], Callable[[Any], Any]]


def _lost(proc) -> ProcessLost:
    """A worker gone before its work was done: how it ended, and what the user can do."""
    return ProcessLost(
        f"the cleaning process {proc.name} {how_it_ended(proc)} before its pages were cleaned; "
        "what was written so far stays: run the command again to finish"
    )


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux ``PR_SET_PDEATHSIG``),
    and exit now if the parent is already gone. A parent killed with ``kill -9`` (by a
    supervisor, the OOM killer) cannot stop its workers; without this they would live on,
    adopted by init, blocked writing to a pipe nobody reads. Elsewhere the worker's own check
    of its parent (on an idle queue) is the only guard."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(0)


def _worker_main(tasks, out, parent_pid: int, make_work: MakeWork) -> None:
    """Do the tasks of ``tasks`` (``(seq, payload)``) until ``None``; send ``(seq, True, result)``
    or ``(seq, False, error text)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    die_with_parent(parent_pid)
    work = make_work()
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the parent died without stopping us
                return
            continue
        if task is None:
            return
        seq, payload = task
        try:
            message = (seq, True, work(payload))
        except BaseException:
            message = (seq, False, traceback.format_exc())
        out.send(message)


class CleanerPool:
    """``jobs`` processes that each apply ``make_work()`` to the tasks submitted; results come
    back by sequence number.

    Forked where the platform can (the workers start at once and see the parent's
    code as it is, monkeypatches included; ``preload()`` runs in the parent first, e.g.
    :func:`cleaning.page.load_chain`), spawned elsewhere. Tasks go through a
    queue whose feeder thread never blocks the caller; each worker answers on its own
    pipe. A worker that dies, or fails, raises here; leaving the ``with`` block
    stops the workers (at once after an error or Ctrl-C: none is left behind).
    """

    def __init__(
        self, jobs: int, make_work: MakeWork, *, name: str = "clean", preload: Callable[[], None] | None = None
    ):
        methods = multiprocessing.get_all_start_methods()
        # cast: one of the two methods named (get_context of a str is typed as the base context)
        ctx = cast("ForkContext | SpawnContext", multiprocessing.get_context("fork" if "fork" in methods else "spawn"))
        self._tasks = ctx.Queue()
        self._done: dict[int, Any] = {}
        self._workers: list[tuple] = []
        self._frozen = False
        try:
            if ctx.get_start_method() == "fork":
                if preload is not None:
                    preload()  # here, once: the forked workers inherit what it loaded
                # What is loaded by now (modules, dictionaries) lives as long as the processes: out of
                # the collector's sight, a worker's full collections no longer walk it (1-2 % of its CPU)
                gc.freeze()
                self._frozen = True
            for i in range(jobs):
                reader, writer = ctx.Pipe(duplex=False)
                proc = ctx.Process(
                    target=_worker_main,
                    args=(self._tasks, writer, os.getpid(), make_work),
                    name=f"{name}-{i}",
                    daemon=True,
                )
                proc.start()
                writer.close()
                self._workers.append((proc, reader))
        except BaseException:
            self.close(abort=True)
            raise

    def submit(self, seq: int, payload: Any) -> None:
        self._tasks.put((seq, payload))

    def result(self, seq: int) -> Any:
        while seq not in self._done:
            readers = {reader: proc for proc, reader in self._workers}
            ready = wait(list(readers) + [proc.sentinel for proc, _ in self._workers])
            for reader, proc in readers.items():
                if reader in ready or reader.poll():
                    try:
                        got, ok, result = reader.recv()
                    except (EOFError, OSError):  # gone, or gone in the middle of a message
                        raise _lost(proc) from None
                    if not ok:
                        raise RuntimeError(f"cleaning worker {proc.name} failed:\n{result}")
                    self._done[got] = result
                elif proc.sentinel in ready:
                    raise _lost(proc)
        return self._done.pop(seq)

    def close(self, *, abort: bool = False) -> None:
        if not abort:
            for _ in self._workers:
                self._tasks.put(None)
            for proc, _ in self._workers:
                proc.join(timeout=10)
        for proc, reader in self._workers:
            if proc.is_alive():
                proc.terminate()
            proc.join()
            reader.close()
        self._tasks.cancel_join_thread()
        self._tasks.close()
        if self._frozen:
            self._frozen = False
            gc.unfreeze()  # this process goes on: its objects are the collector's again

    def __enter__(self) -> CleanerPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(abort=exc_type is not None)


def in_order(
    pool: CleanerPool, tasks: Iterable[Any], ahead: int, payload: Callable[[Any], Any] | None = None
) -> Iterator[tuple[Any, Any]]:
    """``(task, result)`` of each task, in the order given, with up to ``ahead`` tasks handed
    out before their results are asked for: the workers do the next ones while the caller
    stores this one. ``tasks`` is consumed only as far as needed (it may read a file);
    ``payload(task)``, when given, is what is sent of a task."""
    pending: deque = deque()
    source = iter(tasks)
    seq = 0

    def fill() -> None:
        nonlocal seq
        while len(pending) < ahead:
            task = next(source, _END)
            if task is _END:
                return
            pool.submit(seq, task if payload is None else payload(task))
            pending.append((seq, task))
            seq += 1

    fill()
    while pending:
        n, task = pending.popleft()
        result = pool.result(n)
        fill()
        yield task, result


_END = object()
