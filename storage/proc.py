"""Who holds a lock, and whether that process is still alive."""

from __future__ import annotations

import os
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
