"""The one-command benchmark: ``.venv/bin/python -m bench.run [--quick]``.

Side by side on this machine and the same data (see ``bench/README.md``):

1. engine ceiling: Scrapy's own ``scrapy bench``, and :mod:`bench.ceiling` (the
   crawl's requests against the same mock, no pipelines, same profile);
2. full crawl: ``thepaper-archive crawl --profile bench`` into SQLite, at two sizes; at the
   smaller, the ceiling beside a busy process (:mod:`bench.corun`: what a second busy process
   costs the engine on this machine);
3. reprocess of the larger archive, beside trafilatura's ``extract`` and our
   cleaning chain on a sample of the same raw pages, in this process;
4. cleaning alone: ``clean_document`` on mock pages and on damaged mirror dumps; decoding
   16 MiB of random bytes and of a mislabelled GB18030 article (:mod:`bench.decode`);
5. memory: peak RSS of each crawl, of the ceiling, of ``export``;
6. storage: database bytes per article, raw-page compression ratio; then
   :mod:`bench.storage`: zlib against zstd with a trained dictionary (size, read speed,
   pages as large as the real site's).

The mock runs in its own process (:mod:`bench.mockproc`), warmed up; its CPU time
is read from ``/proc`` so the table can say which side was the bottleneck.
Prints a table (:mod:`bench.report`); writes ``bench/results/latest.json``. The processes are
:mod:`bench.procs`', the stages on an archive :mod:`bench.offline`'s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.corun import corun_pairs
from bench.interleaved import crawl_pairs
from bench.tears import run as tears_run
from bench.offline import cleaning, reprocess, side_by_side, storage
from bench.procs import PY, ROOT, Mock, _check, measured, run_child
from bench.report import table

RESULTS = ROOT / "bench" / "results" / "latest.json"
_SUMMARY = re.compile(r"(\d+) article pages, (\d+) list pages in ([\d.]+)s")
#: Settings given to both the ceiling and the crawl on top of the ``bench`` profile:
#: Scrapy starts CONCURRENT_ITEMS asyncio tasks per response, whatever the callback
#: yields (100 by default: a third of the ceiling's CPU); the worker process cleans
#: and stores on the second core (``storage.writers.ProcessWriter``).
DEFAULT_SETTINGS = ["CONCURRENT_ITEMS=8", "THEPAPER_PIPELINE_WORKER=1"]


# ------------------------------------------------------------------ 1. engine ceiling
def scrapy_bench(concurrency: int, seconds: float) -> dict:
    """``scrapy bench`` (its own local server and link-following spider), outside the project."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    with tempfile.TemporaryDirectory() as tmp:
        res = run_child(
            [
                PY,
                "-m",
                "scrapy",
                "bench",
                "-s",
                f"CONCURRENT_REQUESTS={concurrency}",
                "-s",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
                "-s",
                f"CLOSESPIDER_TIMEOUT={seconds}",
                "-s",
                "LOGSTATS_INTERVAL=60",
            ],
            cwd=Path(tmp),
            env=env,
            timeout=120,
        )
    pages = re.search(r"'response_received_count': (\d+)", res["stderr"])
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", res["stderr"])
    if res["rc"] != 0 or not pages or not elapsed:
        return {"error": res["stderr"][-500:]}
    n, secs = int(pages.group(1)), float(elapsed.group(1))
    return {"pages": n, "elapsed_s": secs, "pages_per_s": n / secs, "cpu_s": res["cpu_s"]}


def ceiling(mock: Mock, overrides: list[str]) -> dict:
    cmd = [PY, "-m", "bench.ceiling", "--base-url", mock.url, "--profile", "bench"]
    for o in overrides:
        cmd += ["-s", o]
    res = measured(mock, cmd)
    _check(res, "ceiling")
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    secs = out["elapsed_s"]
    return {
        **out,
        "articles_per_s": out["article_pages"] / secs,
        "responses_per_s": out["responses"] / secs,
        "cpu_s": res["cpu_s"],
        "mock_cpu_s": res["mock_cpu_s"],
        "peak_rss_mb": res["peak_rss_mb"],
    }


# ------------------------------------------------------------------ 2. full crawl
def crawl(mock: Mock, db: Path, overrides: list[str]) -> dict:
    cmd = [
        PY,
        "-m",
        "crawler.cli",
        "crawl",
        "--base-url",
        mock.url,
        "--db",
        f"sqlite:///{db}",
        "--profile",
        "bench",
        "-q",
    ]
    for o in overrides:
        cmd += ["-s", o]
    res = measured(mock, cmd)
    _check(res, "crawl")
    m = _SUMMARY.search(res["stderr"])
    if not m:
        raise SystemExit(f"bench: no summary line from the crawl:\n{res['stderr'][-2000:]}")
    articles, lists, secs = int(m.group(1)), int(m.group(2)), float(m.group(3))
    with sqlite3.connect(db) as conn:
        responses = conn.execute("select count(*) from raw_pages").fetchone()[0]
        stored = conn.execute("select count(*) from articles").fetchone()[0]
        failed = conn.execute("select count(*) from failures").fetchone()[0]
    return {
        "article_pages": articles,
        "list_pages": lists,
        "responses": responses,
        "stored": stored,
        "failed": failed,
        "elapsed_s": secs,
        "articles_per_s": articles / secs,
        "responses_per_s": responses / secs,
        "wall_s": res["wall_s"],
        "cpu_s": res["cpu_s"],
        "mock_cpu_s": res["mock_cpu_s"],
        "peak_rss_mb": res["peak_rss_mb"],
        "peak_rss_sum_mb": res["peak_rss_sum_mb"],
        "ru_maxrss_mb": res["ru_maxrss_mb"],
        "processes": res["processes"],
        "summary": res["stderr"].strip().splitlines()[-1],
    }


# ------------------------------------------------------------------ the run
def run(
    sizes: list[int],
    sample: int,
    clean_pages: int,
    damaged: int,
    overrides: list[str],
    workdir: Path,
    log=print,
    scaleout: tuple[int, int] | None = None,
    readers: int = 0,
    pairs: int = 3,
    tears: tuple[int, int, int] = (24, 8, 200),
) -> dict:
    result: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "python": platform.python_version(),
        "sizes": sizes,
        "overrides": overrides,
        "crawls": {},
    }
    log("scrapy bench (its own server) ...")
    result["scrapy_bench"] = scrapy_bench(32, 5 if sizes[-1] > 2000 else 3)
    for n in sizes:
        mock = Mock(n)
        try:
            entry = {"mock_warm_s": mock.warm_s}
            entry.update(
                crawl_pairs(mock, n, overrides, workdir, pairs, ceiling=ceiling, crawl=crawl, storage=storage, log=log)
            )
            if n == sizes[0]:  # what a second busy process costs the engine on this machine
                entry["corun"] = corun_pairs(mock, overrides, pairs, ceiling=ceiling, log=lambda m: log(f"[{n}] {m}"))
        finally:
            mock.stop()
        result["crawls"][str(n)] = entry
    big = workdir / f"crawl_{sizes[-1]}.sqlite3"
    log(f"[{sizes[-1]}] reprocess ...")
    result["reprocess"] = reprocess(big)
    log("trafilatura side by side ...")
    result["side_by_side"] = side_by_side(big, sample)
    for rp in (result["reprocess"], result["reprocess"].get("jobs_1", {}), result["reprocess"].get("recomputed", {})):
        if rp:
            rp["ratio_to_trafilatura"] = rp["articles_per_s"] / result["side_by_side"]["trafilatura"]["pages_per_s"]
    log("cleaning alone ...")
    result["cleaning"] = cleaning(clean_pages, damaged)
    log("clean FILE, a new process ...")
    from bench.oneshot import clean_file

    result["clean_file"] = clean_file(1 if sizes[-1] <= 2000 else 3)
    log("decoding 16 MiB ...")
    from bench.decode import measure as decode_speed

    result["decode"] = decode_speed(runs=1 if sizes[-1] <= 2000 else 3)
    log("backfill: WARC export, import, reprocess; every export format's memory ...")
    from bench.backfill import exports, warc_import

    result["backfill"] = {
        "exports": exports([workdir / f"crawl_{n}.sqlite3" for n in (sizes[0], sizes[-1])], workdir),
        "warc_import": warc_import(big, workdir),
    }
    log("raw archive codecs (zlib vs zstd with a dictionary) ...")
    from bench.storage import measure as raw_codecs

    result["raw_codecs"] = raw_codecs(big, workdir / "raw_codecs")
    if scaleout:
        from bench.scaleout import scale_out

        cpu_n, latency_n = scaleout
        result["scale_out"] = {
            "cpu": scale_out(Mock, cpu_n, 0.0, 0, workdir, log=log, situations=("cpu",)),
            "latency": scale_out(Mock, latency_n, 0.2, 8, workdir, log=log, situations=("latency",)),
        }
    if readers:
        from bench.readers import readers_figures

        result["readers"] = readers_figures(Mock, readers, workdir, log=log)
    log("tear repair: pages and accuracy ...")
    result["tears"] = tears_run(*tears)
    if sizes[-1] > sizes[0]:
        from bench.interleaved import cpu_bound

        result["crawl_bound"] = cpu_bound(
            result["crawls"][str(sizes[0])], result["crawls"][str(sizes[-1])], result["cpus"] or 1
        )
    small, large = (result["crawls"][str(s)]["crawl_peak_rss_mb"]["median"] for s in (sizes[0], sizes[-1]))
    result["loadavg_after"] = os.getloadavg()
    result["memory"] = {"crawl_small_mb": small, "crawl_large_mb": large, "growth": large / small - 1}
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (300 and 1,000 articles)")
    p.add_argument("--sizes", help="comma-separated crawl sizes (default 2000,20000)")
    p.add_argument("--sample", type=int, help="raw pages for the trafilatura comparison")
    p.add_argument("--clean-pages", type=int, help="mock pages for the cleaning figures")
    p.add_argument("--damaged", type=int, help="damaged mirror dumps for the cleaning figures")
    p.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting for the ceiling and the crawl",
    )
    p.add_argument(
        "--tears",
        metavar="P,F,A",
        help="tear repair: P torn mirror pages, F flipped copies of the real sample, A torn "
        "paragraphs for the accuracy (default 24,8,200; --quick: 8,3,60)",
    )
    p.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="ceiling/crawl pairs per size, interleaved (default 3; the median ratio is reported)",
    )
    p.add_argument("--output", default=str(RESULTS))
    p.add_argument("--keep", metavar="DIR", help="keep the archives in DIR")
    p.add_argument(
        "--scaleout",
        metavar="N,M",
        help="distributed mode with 1 and 3 workers on N articles (CPU-bound) and M articles "
        "(0.2 s latency); default 2000,600 (--quick: 300,150); 0 skips",
    )
    p.add_argument(
        "--readers",
        type=int,
        metavar="N",
        help="crawls of N articles into PostgreSQL (THEPAPER_BENCH_PG_URL) with and without 3 readers "
        "(bench/readers.py); default 300 (--quick: 150); 0 skips",
    )
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([300, 1000] if args.quick else [2000, 20000])
    sample = args.sample or (60 if args.quick else 400)
    clean_pages = args.clean_pages or (100 if args.quick else 1000)
    damaged = args.damaged or (8 if args.quick else 24)
    so = args.scaleout or ("300,150" if args.quick else "2000,600")
    scaleout = None if so.strip() == "0" else tuple(int(x) for x in so.split(","))
    tears = tuple(int(x) for x in args.tears.split(",")) if args.tears else (8, 3, 60) if args.quick else (24, 8, 200)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="thepaper-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        result = run(
            sizes,
            sample,
            clean_pages,
            damaged,
            DEFAULT_SETTINGS + args.set,
            workdir,
            log=lambda msg: print(f"[bench {time.perf_counter() - t0:5.0f}s] {msg}", file=sys.stderr, flush=True),
            scaleout=scaleout,
            readers=args.readers if args.readers is not None else (150 if args.quick else 300),
            pairs=max(1, args.pairs),
            tears=tears,
        )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["total_s"] = time.perf_counter() - t0
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(
        f"(total {result['total_s']:.0f}s; load average before/after {result['loadavg_before'][0]:.2f}/"
        f"{result['loadavg_after'][0]:.2f} on {result['cpus']} CPUs; written to {out})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
