"""Tracebacks of unexpected errors, each written to a file of its own (one line names it).

Used by the command line for an error that ends a command (:mod:`crawler.cli.errors`) and by
the :class:`crawler.extensions.QuietLogs` extension for a bug logged inside a crawl.
``$THEPAPER_CRASH_DIR`` chooses the directory (default: the system's temporary directory).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback

PROG = "thepaper-archive"


def crash_report(exc: BaseException | None = None, *, exc_info=None, context: str = "",
                 path: str | None = None) -> str:
    """Write a traceback (of ``exc``, or an ``exc_info`` triple) to a new file, or append it to
    ``path`` (a crawl keeps its tracebacks in one file); return the file's path."""
    if path is None:
        directory = os.environ.get("THEPAPER_CRASH_DIR") or tempfile.gettempdir()
        fd, path = tempfile.mkstemp(prefix=f"{PROG}-crash-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt",
                                    dir=directory)
        fh = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
        fh.write(f"{PROG} {' '.join(sys.argv[1:])}\n")
    else:
        fh = open(path, "a", encoding="utf-8", errors="replace")
    with fh:
        fh.write(f"\n{context}\n")
        if exc is not None:
            traceback.print_exception(exc, file=fh)
        elif exc_info:
            traceback.print_exception(*exc_info, file=fh)
    return path
