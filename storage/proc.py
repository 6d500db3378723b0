"""Who holds a lock, and whether that process is still alive; how a worker process ended."""

from __future__ import annotations

import os
import signal
import socket


def this_holder() -> str:
    """``hostname:pid`` of the current process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def parse_holder(holder: str) -> tuple[str, int | None]:
    """``("host", pid)`` from ``host:pid``; pid is None when it is not a number."""
    host, _, pid = (holder or "").rpartition(":")
    return (host, int(pid)) if pid.isdigit() else (holder or "", None)


def pid_alive(pid: int) -> bool:
    """True when a process ``pid`` exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def holder_dead(holder: str) -> bool:
    """True only when we can tell for sure: same host, and the pid is gone."""
    host, pid = parse_holder(holder)
    return host == socket.gethostname() and pid is not None and not pid_alive(pid)


class ProcessLost(Exception):
    """A worker process of the command ended before its work was done (killed when the system ran
    out of memory, by an operator, a crash in a C library): exit code 6. What was committed stays;
    the message says how the process ended."""


def how_it_ended(proc, wait: float = 5.0) -> str:
    """How a ``multiprocessing`` process whose pipe closed ended, in words: joined first (at most
    ``wait`` seconds: it may still be ending), then its ``exitcode`` (negative: the signal that
    killed it; None: not ended yet)."""
    proc.join(timeout=wait)
    exitcode = proc.exitcode
    if exitcode is None:
        return "closed its pipe"
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    return f"was killed by {name}" + (" (as when the system runs out of memory)" if -exitcode == signal.SIGKILL else "")
