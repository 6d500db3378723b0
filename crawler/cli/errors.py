"""Exit codes, and the one place that turns an expected error into one line on stderr.

Exit codes (for cron and systemd):

==== =====================================================================
0    success (articles that failed are recorded and counted in the summary)
1    unexpected error (a bug: one line says where the traceback was written)
2    bad usage or bad input
3    the site, the network or Redis is unreachable
4    another run holds the lock
5    the run was stopped because the site blocks the crawler; ``clean URL``: robots.txt disallows the URL
6    the archive or an output file cannot be written (full disk, read-only file, database down)
7    the run is degraded: the layout-drift alarm fired
130  interrupted (Ctrl-C, SIGINT)
143  terminated (SIGTERM, e.g. systemd's stop)
==== =====================================================================

:func:`expected_errors` is the table of exception types a user can cause, each with its exit
code; :func:`run_guarded` prints ``thepaper-archive: error: <the exception's message>`` for
them. Any other exception is a bug: its traceback goes to a file (:func:`crash_report`), and
one line names the file (``--debug`` prints the traceback instead).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from crawler.crashes import crash_report
from domain.secrets import mask_passwords

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_LOCKED = 4
EXIT_BLOCKED = 5
EXIT_STORAGE = 6
EXIT_DEGRADED = 7
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

PROG = "thepaper-archive"

#: Exit codes of a run stopped by a signal.
SIGNAL_EXIT: dict[int, int] = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class OutputUnwritable(Exception):
    """An output file (``-o``, stdout) could not be written for want of disk: exit code 6, like
    the archive's; the old file is kept (:mod:`crawler.cli.output`)."""


class Unreachable(Exception):
    """The site, the network or a service (Redis) does not answer: exit code 3."""


class Terminated(BaseException):
    """SIGTERM arrived (systemd's stop, ``kill``); like :class:`KeyboardInterrupt` for SIGINT,
    a BaseException so that no ``except Exception`` swallows it."""


def expected_errors() -> dict[type[BaseException], int]:
    """Exception types a user can cause -> exit code. The most specific class of an exception
    (its MRO) decides. Add a type here, with the module that raises it, to give it a code."""
    from crawler import fetch_once as fetch
    from crawler.config import ConfigError
    from storage.db import ArchiveError, ArchiveMissing, ArchiveUnavailable
    from storage.export import ExportError
    from storage.proc import ProcessLost
    from storage.runs import LockedError
    from storage.search import SearchError
    from storage.unwritable import ArchiveUnwritable

    return {
        UsageError: EXIT_USAGE,
        ConfigError: EXIT_USAGE,  # a setting in the environment or the config file that cannot be used
        ArchiveError: EXIT_USAGE,  # a --db that names no archive, a file that is not one, bad credentials
        ArchiveMissing: EXIT_USAGE,
        ArchiveUnavailable: EXIT_STORAGE,  # the database server does not answer
        ArchiveUnwritable: EXIT_STORAGE,  # a full disk, a read-only file, a server gone mid-run
        OutputUnwritable: EXIT_STORAGE,  # an -o file on a full disk (the old file is kept)
        ProcessLost: EXIT_STORAGE,  # a worker process killed (out of memory...): what was written stays
        ExportError: EXIT_USAGE,
        SearchError: EXIT_USAGE,
        Unreachable: EXIT_UNREACHABLE,
        # clean URL (crawler.fetch_once): a page that cannot be had
        fetch.AddressNotAllowed: EXIT_USAGE,
        fetch.NotHTML: EXIT_USAGE,
        fetch.PageMissing: EXIT_USAGE,
        fetch.SiteFailing: EXIT_UNREACHABLE,
        fetch.SiteUnreachable: EXIT_UNREACHABLE,
        fetch.RobotsDisallowed: EXIT_BLOCKED,
        LockedError: EXIT_LOCKED,
        KeyboardInterrupt: EXIT_INTERRUPTED,
        Terminated: EXIT_TERMINATED,
    }


#: The line printed for exceptions that carry no message of their own.
_DEFAULT_MESSAGES = {KeyboardInterrupt: "interrupted (SIGINT)", Terminated: "terminated (SIGTERM)"}


def exit_code_of(exc: BaseException, table: dict[type[BaseException], int] | None = None) -> int | None:
    """The exit code of an expected error, None for a bug."""
    table = expected_errors() if table is None else table
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


def error_line(msg: str) -> None:
    """``thepaper-archive: error: MSG`` on stderr, on one line (passwords of URLs masked)."""
    print(mask_passwords(f"{PROG}: error: {' '.join(str(msg).split())}"), file=sys.stderr, flush=True)


def message_of(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if cls in _DEFAULT_MESSAGES:
            return _DEFAULT_MESSAGES[cls]
    return str(exc) or type(exc).__name__


_MAIN_PID: int | None = None


def on_sigterm(signum, frame) -> None:
    if os.getpid() != _MAIN_PID:
        # A forked child (reprocess's cleaning workers, the pipeline worker) inherits the handler:
        # there SIGTERM keeps its default meaning, so that pool.terminate() ends it at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated()


def install_sigterm() -> None:
    """SIGTERM raises :class:`Terminated` (exit code 143) in this process instead of killing it
    without cleanup. Runs of the spider replace it with Scrapy's graceful shutdown."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    signal.signal(signal.SIGTERM, on_sigterm)


def install_log_masking() -> None:
    """Every log record of this process (Scrapy's included, whatever handler prints it) has the
    passwords of URLs in its message masked: made once, when the record is created."""
    make = logging.getLogRecordFactory()
    if not isinstance(make, _MaskedRecords):
        logging.setLogRecordFactory(_MaskedRecords(make))


class _MaskedRecords:
    """A log record factory: the records of ``make`` with the passwords of URLs masked."""

    def __init__(self, make: Callable[..., logging.LogRecord]):
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the logging module's to report
            return record
        if "://" in message:
            record.msg, record.args = mask_passwords(message), None
        return record


def run_guarded(func: Callable[[], int], *, debug: bool = False) -> int:
    """Run a command; map every expected error to one line on stderr and its exit code."""
    try:
        return func()
    except BrokenPipeError:  # `thepaper-archive export - | head`: the reader is done
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except BaseException as exc:  # noqa: BLE001 - the one place that decides
        if isinstance(exc, SystemExit):
            raise
        code = exit_code_of(exc)
        if code is not None:
            error_line(message_of(exc))
            return code
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
            return EXIT_ERROR
        try:
            where = f"the traceback is in {crash_report(exc)}"
        except OSError as write_error:
            where = f"the traceback could not be written ({write_error.strerror})"
        error_line(f"unexpected {type(exc).__name__}: {message_of(exc)} (a bug; {where}; --debug prints it)")
        return EXIT_ERROR
