"""Two versions of the code crawled in the same run: the engine ceiling, then a crawl with each
tree (and variants with extra crawl options), interleaved, on one warm mock.

    .venv/bin/python -m bench.treepairs --size 1000 --pairs 3 --before /tmp/old [--variant=--no-keywords]

``--before`` is a checkout of the older code (``git archive REV | tar -x -C DIR``); ``--after``
defaults to this tree. Each crawl runs with its tree as the working directory, so that it imports
that tree's packages; the ceiling and the harness are this tree's. Prints one JSON line per round
(ratio to the ceiling, CPU seconds, those of the crawl's main process and of its worker per
article page, the largest process's peak RSS and every process's, and of
the archive it made: raw bytes / stored bytes of ``raw_pages`` and the zstd dictionaries its
writer trained) and the medians with their spread.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
from pathlib import Path

from bench.interleaved import spread
from bench.procs import fresh_bytecode
from bench.run import _SUMMARY, DEFAULT_SETTINGS, PY, ROOT, Mock, ceiling, measured


def crawl_with(mock: Mock, tree: Path, db: Path, extra: list[str]) -> dict:
    """One crawl of ``mock`` into ``db`` with the code of ``tree``."""
    cmd = [PY, "-m", "crawler.cli", "crawl", "--base-url", mock.url, "--db", f"sqlite:///{db}", "--profile", "bench"]
    cmd += ["-q", *extra]
    for setting in DEFAULT_SETTINGS:
        cmd += ["-s", setting]
    res = measured(mock, cmd, cwd=tree)
    m = _SUMMARY.search(res["stderr"])
    if res["rc"] != 0 or not m:
        raise SystemExit(f"bench.treepairs: the crawl with {tree} failed:\n{res['stderr'][-2000:]}")
    articles = int(m.group(1))
    return {
        "articles_per_s": articles / float(m.group(3)),
        "cpu_s": res["cpu_s"],
        # the crawl's main process alone (its total minus its worker's), per article page
        "main_ms_per_article": 1000 * (res["cpu_s"] - res["children_cpu_s"]) / max(1, articles),
        "worker_ms_per_article": 1000 * res["children_cpu_s"] / max(1, articles),
        "peak_rss_mb": res["peak_rss_mb"],
        "processes_mb": [p["hwm_mb"] for p in res["processes"]],
        **archive_figures(db),
    }


def archive_figures(db: Path) -> dict:
    """Raw bytes / stored bytes of the archive's ``raw_pages`` (``raw_ratio``), its raw pages and
    the dictionaries trained in it."""
    conn = sqlite3.connect(db)
    try:
        pages, raw, stored = conn.execute(
            "select count(*), sum(body_size), sum(length(body)) from raw_pages"
        ).fetchone()
        trained = conn.execute("select count(*) from raw_dictionaries").fetchone()[0]
    finally:
        conn.close()
    return {"raw_pages": pages, "raw_ratio": (raw or 0) / max(1, stored or 0), "dictionaries": trained}


def rounds(size: int, pairs: int, trees: list[tuple[str, Path, list[str]]], workdir: Path, log=print) -> dict:
    mock = Mock(size)
    runs = []
    try:
        for k in range(pairs):
            ceil = ceiling(mock, DEFAULT_SETTINGS)
            row: dict = {
                "loadavg": os.getloadavg()[0],
                "ceiling_articles_per_s": ceil["articles_per_s"],
                "ceiling_ms_per_article": 1000 * ceil["cpu_s"] / max(1, ceil["article_pages"]),
            }
            for label, tree, extra in trees:
                got = crawl_with(mock, tree, workdir / f"{k}_{len(row)}.sqlite3", extra)
                got["ratio"] = got["articles_per_s"] / ceil["articles_per_s"]
                row[label] = got
            runs.append(row)
            log(json.dumps(row))
    finally:
        mock.stop()
    labels = [label for label, _, _ in trees]
    return {
        "rounds": runs,
        "ratio": {label: spread([r[label]["ratio"] for r in runs]) for label in labels},
        "peak_rss_mb": {label: spread([r[label]["peak_rss_mb"] for r in runs]) for label in labels},
        "raw_ratio": {label: spread([r[label]["raw_ratio"] for r in runs]) for label in labels},
        "main_ms_per_article": {label: spread([r[label]["main_ms_per_article"] for r in runs]) for label in labels},
        "ceiling_ms_per_article": spread([r["ceiling_ms_per_article"] for r in runs]),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.treepairs", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2000, help="articles of the mock")
    p.add_argument("--pairs", type=int, default=3, help="rounds, interleaved")
    p.add_argument("--before", type=Path, required=True, help="a checkout of the older code")
    p.add_argument("--after", type=Path, default=ROOT, help="the newer code (default: this tree)")
    p.add_argument("--variant", action="append", default=[], help="also the newer code with these crawl options")
    args = p.parse_args(argv)
    trees = [("before", args.before.resolve(), []), ("after", args.after.resolve(), [])]
    trees += [(f"after {v}", args.after.resolve(), v.split()) for v in args.variant]
    for tree in {t for _, t, _ in trees}:  # a tree without bytecode would compile in every crawl
        fresh_bytecode(tree)
    with tempfile.TemporaryDirectory() as tmp:
        result = rounds(args.size, args.pairs, trees, Path(tmp))
    keys = ("ratio", "peak_rss_mb", "raw_ratio", "main_ms_per_article", "ceiling_ms_per_article")
    print(json.dumps({k: result[k] for k in keys}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
