"""Exit codes, and the one place that turns an expected error into one line on stderr.

Exit codes (for cron and systemd):

==== =====================================================================
0    success (articles that failed are recorded and counted in the summary)
1    unexpected error (a bug: the message says so)
2    bad usage or bad input
3    the site, the network or Redis is unreachable
4    another run holds the lock
5    the run was stopped because the site blocks the crawler
6    the archive cannot be written (full disk, read-only file, database down)
7    the run is degraded: the layout-drift alarm fired
130  interrupted (Ctrl-C, SIGINT)
143  terminated (SIGTERM, e.g. systemd's stop)
==== =====================================================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

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


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def error_line(msg: str) -> None:
    """``thepaper-archive: error: MSG`` on stderr."""
    print(f"{PROG}: error: {msg}", file=sys.stderr)


def run_guarded(func: Callable[[], int]) -> int:
    """Run a command; map every expected error to one line on stderr and its exit code."""
    from storage.runs import LockedError
    from storage.unwritable import ArchiveUnwritable

    try:
        return func()
    except UsageError as exc:
        error_line(str(exc))
        return EXIT_USAGE
    except LockedError as exc:
        error_line(str(exc))
        return EXIT_LOCKED
    except ArchiveUnwritable as exc:
        error_line(str(exc))
        return EXIT_STORAGE
    except KeyboardInterrupt:
        error_line("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `thepaper-archive export - | head`: the reader is done
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
