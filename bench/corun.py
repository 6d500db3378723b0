"""The engine ceiling beside a busy neighbour: what a second busy process costs the engine here.

The full crawl runs Scrapy in one process and cleans and stores in another
(``THEPAPER_PIPELINE_WORKER``). On a machine of two cores the two share the cores, their caches
and the memory bus with each other and the mock; the ceiling (:mod:`bench.ceiling`) runs with
the mock alone. So the crawl's ratio to the ceiling cannot reach 1 even if its Scrapy process did
exactly the ceiling's work: this module measures how far below 1 that is on this machine. Each
pair runs the ceiling alone, then the ceiling again while a neighbour process cleans the mock's
pages in a loop (``clean_document``, the largest part of the worker's work) against the same warm
mock; the ratio is taken within each pair.

The neighbour is busy all the time; the crawl's worker is busy most of it. The ratio is a figure
of the machine, not of the crawl's code: how much a design that cleans beside the engine loses to
the sharing alone. On the 2-core VM of session 10 it moved between 0.84 and 1.17 from run to run,
less than the VM's own swing (bench/README.md).

    .venv/bin/python -m bench.corun --neighbour     # the neighbour alone (prints "ready", loops)
"""

from __future__ import annotations

import argparse
import select
import subprocess
import sys
import time

from bench.interleaved import spread
from bench.procs import PY, ROOT, cpu_seconds

#: The mock pages the neighbour cleans in turn (every layout the mock serves).
NEIGHBOUR_PAGES = 300


class Neighbour:
    """A process cleaning mock pages in a loop until stopped; started ready (its pages built,
    the cleaning chain loaded)."""

    def __init__(self, pages: int = NEIGHBOUR_PAGES, timeout: float = 120):
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.corun", "--neighbour", "--pages", str(pages)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"bench.corun: the neighbour did not start within {timeout:.0f} s (said {line!r})")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def corun_pairs(mock, overrides: list[str], pairs: int, *, ceiling, neighbour=Neighbour, log=print) -> dict:
    """``pairs`` pairs of (the ceiling alone, the ceiling beside a :class:`Neighbour`) against
    ``mock``: each run, the ratio of each pair (beside / alone, articles per second), the
    neighbour's CPU share during its run, and the medians with their spread."""
    runs = []
    for k in range(pairs):
        log(f"co-run pair {k + 1}/{pairs}: engine ceiling alone, then beside a busy process ...")
        alone = ceiling(mock, overrides)
        nb = neighbour()
        try:
            c0, t0 = nb.cpu(), time.perf_counter()
            beside = ceiling(mock, overrides)
            busy = (nb.cpu() - c0) / max(1e-9, time.perf_counter() - t0)
        finally:
            nb.stop()
        runs.append(
            {
                "alone": alone,
                "beside": beside,
                "neighbour_busy": busy,
                "ratio": beside["articles_per_s"] / alone["articles_per_s"],
            }
        )
    return {
        "pairs": runs,
        "ratio": spread([r["ratio"] for r in runs]),
        "alone_articles_per_s": spread([r["alone"]["articles_per_s"] for r in runs]),
        "beside_articles_per_s": spread([r["beside"]["articles_per_s"] for r in runs]),
        "neighbour_busy": spread([r["neighbour_busy"] for r in runs]),
    }


def neighbour_loop(pages: int) -> None:
    """Clean ``pages`` mock pages round and round (say "ready" first); never returns."""
    from bench.cleanratio import _loop, mock_pages
    from cleaning.document import clean_document

    def clean(url, body):
        clean_document(body, url=url)

    got = mock_pages(pages)
    _loop(clean, got[:5])  # the chain's tables loaded before "ready"
    print("ready", flush=True)
    while True:
        _loop(clean, got)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.corun", description=__doc__.split("\n\n")[0])
    p.add_argument("--neighbour", action="store_true", help="be the neighbour: clean mock pages until killed")
    p.add_argument("--pages", type=int, default=NEIGHBOUR_PAGES, help="mock pages the neighbour cleans")
    args = p.parse_args(argv)
    if not args.neighbour:
        p.error("the pairs run inside bench.run (scripts/bench.sh); alone, this runs only --neighbour")
    neighbour_loop(args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
