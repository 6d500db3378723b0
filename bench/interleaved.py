"""The engine ceiling and the full crawl, interleaved: A/B/A/B on one warm mock.

A ratio of two runs taken minutes apart on a shared machine measures the machine as much as
the code (two runs of the same code read 0.42 x and 0.74 x at 20,000 articles when the ceiling
ran minutes before the crawl). Here each pair is a ceiling run immediately followed by a crawl
into a new archive, both against the same mock process; the ratio is taken within each pair,
and the bench reports the median ratio of at least three pairs with its spread (min, max).
"""

from __future__ import annotations

import sqlite3
import statistics
from pathlib import Path


def spread(values: list[float]) -> dict:
    """Median, min and max of ``values``."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def crawl_pairs(
    mock, n: int, overrides: list[str], workdir: Path, pairs: int, *, ceiling, crawl, storage, log=print
) -> dict:
    """``pairs`` (ceiling, crawl) pairs against ``mock`` (``n`` articles): every run, the ratio of
    each pair, and the medians with their spread. The last crawl's archive stays at
    ``workdir/crawl_<n>.sqlite3`` (for reprocess and export)."""
    runs = []
    for k in range(pairs):
        log(f"[{n}] pair {k + 1}/{pairs}: engine ceiling ...")
        ceil = ceiling(mock, overrides)
        db = workdir / f"crawl_{n}_{k}.sqlite3"
        log(f"[{n}] pair {k + 1}/{pairs}: full crawl ...")
        full = crawl(mock, db, overrides)
        for side in (full, ceil):  # what the mock would serve with a core of its own
            side["mock_ceiling_per_s"] = side["responses"] / max(1e-9, side["mock_cpu_s"])
            side["mock_busy"] = side["mock_cpu_s"] / side["elapsed_s"]
            side["client_busy"] = side["cpu_s"] / (side.get("wall_s") or side["elapsed_s"])
        runs.append(
            {"ceiling": ceil, "crawl": full, "ratio": full["articles_per_s"] / ceil["articles_per_s"], "db": db}
        )
    last = runs[-1]["db"]
    keep = workdir / f"crawl_{n}.sqlite3"
    with sqlite3.connect(last) as conn:  # everything in the main file before it moves
        conn.execute("pragma wal_checkpoint(truncate)")
    for r in runs:
        db = r.pop("db")
        if db != last:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    last.replace(keep)
    for suffix in ("-wal", "-shm"):
        Path(f"{last}{suffix}").unlink(missing_ok=True)
    return {
        "pairs": runs,
        "ratio_to_ceiling": spread([r["ratio"] for r in runs]),
        "ceiling_articles_per_s": spread([r["ceiling"]["articles_per_s"] for r in runs]),
        "crawl_articles_per_s": spread([r["crawl"]["articles_per_s"] for r in runs]),
        "crawl_peak_rss_mb": spread([r["crawl"]["peak_rss_mb"] for r in runs]),
        "ceiling_peak_rss_mb": spread([r["ceiling"]["peak_rss_mb"] for r in runs]),
        "storage": storage(keep),
    }


def cpu_bound(small: dict, large: dict, cpus: int) -> dict:
    """What the machine allows the crawl, from the CPU each article costs: the crawl's processes'
    and the mock's CPU seconds per article page **between** two sizes (``small`` and ``large``,
    :func:`crawl_pairs`' results; medians of their pairs: the start-up, paid once per run, drops out),
    the ceiling's beside them, and the rate at which ``cpus`` cores, every one busy all the crawl,
    would keep up with that work (``articles_per_s``), against the larger size's ceiling
    (``ratio_to_ceiling``). ``share_of_bound`` is the share of that the crawl reached (its measured ratio
    over the bound): what the crawl loses to its processes waiting, not to its work. ``skipped``
    (and nothing else) when the two sizes' CPU does not differ."""

    def median(entry: dict, side: str, key: str) -> float:
        return statistics.median(p[side][key] for p in entry["pairs"])

    pages = median(large, "crawl", "article_pages") - median(small, "crawl", "article_pages")
    if pages <= 0:
        raise ValueError("cpu_bound: the larger crawl has no more article pages than the smaller")

    def per_page(side: str, key: str) -> float:
        return (median(large, side, key) - median(small, side, key)) / pages

    crawl, mock, ceiling = per_page("crawl", "cpu_s"), per_page("crawl", "mock_cpu_s"), per_page("ceiling", "cpu_s")
    if crawl + mock <= 0:  # sizes too close for the clock's ticks (10 ms) to tell them apart
        return {"skipped": f"no more CPU measured for the {pages:.0f} more article pages"}
    rate = cpus / (crawl + mock)
    ratio = rate / large["ceiling_articles_per_s"]["median"]
    return {
        "crawl_ms_per_article": 1000 * crawl,
        "mock_ms_per_article": 1000 * mock,
        "ceiling_ms_per_article": 1000 * ceiling,
        "cpus": cpus,
        "articles_per_s": rate,
        "ratio_to_ceiling": ratio,
        "share_of_bound": large["ratio_to_ceiling"]["median"] / ratio,
    }
