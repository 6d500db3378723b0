"""Messages into a child process's pipe from the reactor thread, without blocking it and without a
thread: what :class:`storage.worker.ProcessWriter` sends its worker.

A sender thread costs the crawl's process a wake-up and two hand-overs of the GIL (to the thread and
back to the reactor) for about every item it is handed; here the reactor writes itself. What is
submitted during one turn of the reactor goes as one message at the end of that turn (at most
``max_batch`` objects a message); a message is pickled only when the pipe has taken the one before
it (the worker reads between its batches: while it stores, what comes meanwhile waits as objects, and
goes as one larger message once it reads again). Each write is non-blocking (``MSG_DONTWAIT``: the
socket itself stays blocking for whoever reads from it); when the pipe is full, the reactor calls
:meth:`PipeSender.doWrite` once it can take more. The messages are framed as
:class:`multiprocessing.connection.Connection` frames them, so the child reads them with its
``recv``. Once the child is gone (``EPIPE``), what is left is dropped: whoever reads its answers
learns of its end from the other direction.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
from multiprocessing.reduction import ForkingPickler

logger = logging.getLogger(__name__)

#: The largest message ``Connection`` frames with a 4-byte length (larger: -1, then 8 bytes).
_SHORT_MAX = 0x7FFFFFFF


def frame(obj) -> list[memoryview]:
    """``obj`` as :meth:`multiprocessing.connection.Connection.send` writes it: its length, then
    the pickle (two buffers, so that the pickle is not copied once more)."""
    body = ForkingPickler.dumps(obj)
    n = len(body)
    header = struct.pack("!i", n) if n <= _SHORT_MAX else struct.pack("!i", -1) + struct.pack("!Q", n)
    return [memoryview(header), memoryview(body)]


class PipeSender:
    """Sends lists of objects into ``conn`` (one end of a ``multiprocessing`` socket pipe) from the
    reactor thread (see the module docstring). ``is_last(obj)``: an object after which nothing more
    goes (a stop message): it ends its message. Only the reactor thread calls it."""

    def __init__(self, conn, reactor, *, max_batch: int, is_last=lambda obj: False):
        self.sock = socket.socket(fileno=os.dup(conn.fileno()))  # ours to close; blocking, as conn's
        self.reactor, self.max_batch, self.is_last = reactor, max(1, max_batch), is_last
        self.queued: list = []  # objects not yet pickled
        self.out: list[memoryview] = []  # the rest of the message being written
        self.scheduled = False  # a flush at the end of this turn of the reactor
        self.waiting = False  # registered with the reactor for the pipe to take more
        self.gone = False  # the child closed its end: nothing more is sent

    def put(self, obj) -> None:
        """Send ``obj`` with whatever else is put in this turn of the reactor."""
        if self.gone:
            return
        self.queued.append(obj)
        if not self.scheduled and not self.waiting:
            self.scheduled = True
            self.reactor.callLater(0, self._scheduled)

    def flush(self) -> None:
        """Write what the pipe takes now; the rest follows as the pipe takes it."""
        self._pump()

    def pending(self) -> bool:
        """Whether something is still to be written."""
        return not self.gone and bool(self.queued or self.out)

    def _scheduled(self) -> None:
        self.scheduled = False
        self._pump()

    def _pump(self) -> None:
        while not self.gone:
            if not self.out:
                if not self.queued:
                    break
                self.out = frame(self._take())
            try:
                sent = self.sock.send(self.out[0], socket.MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
            except OSError as exc:  # the child is gone
                self._lost(exc)
                return
            rest = self.out[0][sent:]
            if rest:  # the pipe is full: the reactor says when it takes more
                self.out[0] = rest
                if not self.waiting:
                    self.waiting = True
                    self.reactor.addWriter(self)
                return
            del self.out[0]
        if self.waiting:
            self.waiting = False
            self.reactor.removeWriter(self)

    def _take(self) -> list:
        n = min(len(self.queued), self.max_batch)
        for i in range(n):
            if self.is_last(self.queued[i]):
                n = i + 1
                break
        batch, self.queued = self.queued[:n], self.queued[n:]
        return batch

    def _lost(self, exc: OSError) -> None:
        logger.debug("the worker's pipe is closed: %s", exc)
        self.gone, self.queued, self.out = True, [], []
        if self.waiting:
            self.waiting = False
            self.reactor.removeWriter(self)

    def close(self) -> None:
        """Stop writing (what is left is dropped) and close this end's copy of the socket."""
        if self.waiting:
            self.waiting = False
            self.reactor.removeWriter(self)
        self.gone = True
        self.sock.close()

    # IWriteDescriptor, for the reactor
    def fileno(self) -> int:
        return self.sock.fileno()

    def doWrite(self):
        self._pump()
        return None

    def connectionLost(self, reason) -> None:
        self._lost(OSError(str(reason)))

    def logPrefix(self) -> str:
        return "thepaper-worker-pipe"
