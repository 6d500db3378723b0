"""A small launcher for the bench's children, so that their peak RSS is their own.

``ru_maxrss`` survives ``exec``: a child forked (or vforked) from the bench's own process
starts with the bench's resident pages counted as its high-water mark, so ``wait4`` in the
bench reported the bench's size for any child smaller than it (577 MB for an export that
peaks at 73 MB). The same holds one level down: the crawl's pipeline worker, a ``spawn``
child of the crawl's own process, starts with that process's size in its ``ru_maxrss``.
So the bench starts this small process, which starts the command and, while it runs, reads
``VmHWM`` (the kernel's high-water mark of resident memory, which ``exec`` resets) of the
command and of every process below it every 0.1 s, then writes as JSON to the file named
first: the largest ``VmHWM`` of one process (``peak_kb``), the sum of the processes' (``sum_kb``:
they run at once, and the shared pages count in each), per process, and ``wait4``'s
``ru_maxrss`` for comparison. Beside ``wait4``'s CPU time of the command and everything below it
(``cpu_s``), the CPU its children cost (``children_cpu_s``: the command's ``cutime + cstime``
as last read, or the children's own times as last read, whichever is larger): ``cpu_s`` minus it
is the command's own process (a crawl's main process, without its worker):

    python -m bench.launch RESULT.json CMD ARG...

The exit code is the command's (128 + N for a signal N).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

INTERVAL = 0.1
_TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return out


def _hwm_kb(pid: int) -> tuple[str, int] | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            fields = dict(line.split(":", 1) for line in fh if ":" in line)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:120]
    except OSError:
        return None
    hwm = fields.get("VmHWM")
    return (cmd, int(hwm.split()[0])) if hwm else None


def _cpu_s(pid: int) -> tuple[float, float]:
    """The CPU seconds of a live process: its own (``utime + stime``) and its waited-for
    children's (``cutime + cstime``); zeros once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK, (int(fields[13]) + int(fields[14])) / _TICK


def main(argv: list[str]) -> int:
    result, cmd = argv[0], argv[1:]
    proc = subprocess.Popen(cmd)
    seen: dict[int, tuple[str, int]] = {}
    own: dict[int, float] = {}  # CPU seconds of each process below the command, as last read
    reaped = 0.0  # the command's children's CPU seconds (cutime + cstime), as last read
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        todo = [proc.pid]
        while todo:
            p = todo.pop()
            got = _hwm_kb(p)
            if got:
                seen[p] = (got[0], max(got[1], seen.get(p, ("", 0))[1]))
            mine, children = _cpu_s(p)
            if p == proc.pid:
                reaped = max(reaped, children)
            elif mine:
                own[p] = max(mine, own.get(p, 0.0))
            todo += _children(p)
        time.sleep(INTERVAL)
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "rc": code,
                "maxrss_kb": usage.ru_maxrss,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "children_cpu_s": max(reaped, sum(own.values())),
                "peak_kb": max((kb for _, kb in seen.values()), default=usage.ru_maxrss),
                "sum_kb": sum(kb for _, kb in seen.values()),
                "processes": [{"pid": p, "cmd": c, "hwm_kb": kb} for p, (c, kb) in sorted(seen.items())],
            },
            fh,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
