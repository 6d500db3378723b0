"""Tracebacks of unexpected errors, each written to a file of its own (one line names it).

Used by the command line for an error that ends a command (:mod:`crawler.cli.errors`) and by
the :class:`crawler.extensions.QuietLogs` extension for a bug logged inside a crawl.
``$THEPAPER_CRASH_DIR`` chooses the directory (default: the system's temporary directory).
Every line is written with the passwords of URLs masked (:mod:`domain.secrets`): the command
line names the archive (``--db postgresql://user:secret@...``), and a traceback may quote it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback

from domain.secrets import mask_passwords

PROG = "thepaper-archive"


def crash_report(exc: BaseException | None = None, *, exc_info=None, context: str = "", path: str | None = None) -> str:
    """Write a traceback (of ``exc``, or an ``exc_info`` triple) to a new file, or append it to
    ``path`` (a crawl keeps its tracebacks in one file); return the file's path."""
    if path is None:
        directory = os.environ.get("THEPAPER_CRASH_DIR") or tempfile.gettempdir()
        fd, path = tempfile.mkstemp(
            prefix=f"{PROG}-crash-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt", dir=directory
        )
        fh = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
        fh.write(mask_passwords(f"{PROG} {' '.join(sys.argv[1:])}") + "\n")
    else:
        fh = open(path, "a", encoding="utf-8", errors="replace")
    if exc is not None:
        lines = traceback.format_exception(exc)
    else:
        lines = traceback.format_exception(*exc_info) if exc_info else []
    with fh:
        fh.write(mask_passwords(f"\n{context}\n" + "".join(lines)))
    return path


#: The most characters of a bug's message its line shows: Scrapy's "Error processing ITEM" spells
#: out the item, a fetched page with its whole body; the traceback file keeps all of it.
SHOWN_CHARS = 200


def shown(message: str, limit: int = SHOWN_CHARS) -> str:
    """``message`` on one line (its white space runs as one space), cut to ``limit`` characters (``…``)."""
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
