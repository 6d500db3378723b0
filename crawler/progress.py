"""How far a run is: the numbers (:class:`Snapshot`), a plain line for logs and cron
(:func:`progress_line`), and a live bar for a terminal (:class:`Display`, on tqdm).

The total is the number of article pages the run will fetch: it grows while the lists are
walked and is final once they are; the percentage and the ETA are shown from then on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm


@dataclass(frozen=True)
class Snapshot:
    elapsed: float  # seconds since the run started
    done: int  # articles stored or recorded as failed
    total: int  # articles scheduled so far
    final: bool  # every list walked: ``total`` will not grow
    lists: int  # list pages read
    counts: dict  # new, updated, unchanged, gone, failed

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, once the total is final and a rate is known."""
        if not self.final or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


def snapshot(stats: dict, elapsed: float, total: int, final: bool) -> Snapshot:
    """The numbers of a crawl's stats; an article is done once stored (whatever its outcome) or
    recorded as failed, so that external links and withdrawn articles, which need no fetch, count."""
    get = stats.get
    counts = {k: int(get(f"thepaper/stored/{k}", 0)) for k in ("new", "updated", "unchanged", "gone")}
    counts["failed"] = int(get("thepaper/failed", 0))
    done = sum(counts.values()) + int(get("thepaper/stored/kept_original", 0))
    return Snapshot(
        elapsed,
        min(done, total) if final else done,
        max(total, done),
        final,
        int(get("thepaper/list_pages", 0)),
        counts,
    )


def duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _counts(s: Snapshot) -> str:
    return "  ".join(f"{k} {v}" for k, v in s.counts.items())


def progress_line(s: Snapshot) -> str:
    """``[thepaper-archive] 12s  lists 14 walked  articles 40/120 33%  3.2/s  ETA 25s  new 30 ...``"""
    if s.final and s.total:
        articles = f"articles {s.done}/{s.total} {100 * s.done // s.total}%"
    else:
        articles = f"articles {s.done}/{s.total}{'' if s.final else '+'}"
    eta = f"  ETA {duration(s.eta)}" if s.eta is not None else ""
    lists = f"lists {s.lists}{' walked' if s.final else ''}"
    return f"[thepaper-archive] {duration(s.elapsed):>6}  {lists}  {articles}  {s.rate:.1f}/s{eta}  {_counts(s)}"


class Display:
    """Progress on ``stream``: a tqdm bar on a terminal, else a plain line per ``show``."""

    def __init__(self, stream: IO[str] | None = None, *, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.bar_mode = self.stream.isatty() if bar is None else bar
        self.bar: tqdm | None = None

    def show(self, s: Snapshot) -> None:
        if not self.bar_mode:
            print(progress_line(s), file=self.stream, flush=True)
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None,
                unit="page",
                desc="articles",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
                mininterval=0,
            )
        self.bar.total = s.total if s.final else None
        self.bar.n = s.done
        self.bar.set_postfix_str(f"lists {s.lists}{'' if s.final else ' (walking)'}  {_counts(s)}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
