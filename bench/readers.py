"""Readers under load on PostgreSQL, for ``python -m bench.run``: a crawl's rate with and without readers.

The same crawl (``--profile bench``, the article pages answered after ``latency`` seconds with
``in_flight`` requests at a time, as a distant site paces a real crawl) into a PostgreSQL scratch database
(``THEPAPER_BENCH_PG_URL``, wiped before every run), alone (A) and with ``readers`` processes
(B) looping ``stats --json``, ``export`` (JSON Lines to a file) and ``search`` while it runs,
``interval`` seconds between two runs of a reader (an analyst's dashboard refreshing; 0: as fast
as they go, which on a small machine measures mostly the CPU they take from the crawl).
Runs are interleaved A B A B …, so that a drift of the machine's load hits both sides; the
figure is the median over the pairs of rate(B) / rate(A), where rate = article pages / crawl
seconds from the crawl's summary line. Every reader counts its runs and its failures (a
non-zero exit, an exception): the claim is no failure and a ratio of at least 0.8.

``python -m bench.readers loop COMMAND --db URL --stop FILE [--interval S]`` is one reader: it
runs the command in a loop, in its process (no start-up per run), until FILE exists, then prints
``{"runs": n, "failures": [...]}``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
READER_COMMANDS = ("stats", "export", "search")


def reader_args(command: str, db: str, workdir: Path, i: int) -> list[str]:
    if command == "stats":
        return ["stats", "--db", db, "--json"]
    if command == "export":
        return ["export", "--db", db, "--format", "jsonl", "-o", str(workdir / f"export-{os.getpid()}.jsonl")]
    return ["search", "--db", db, "--json", "科技" if i % 2 else "发布新一代 的"]


def loop(command: str, db: str, stop: Path, interval: float = 0.0) -> dict:
    import time

    from crawler.cli import main

    runs, failures = 0, []
    workdir = stop.parent
    while not stop.exists():
        if runs and interval > 0:
            time.sleep(interval)
        runs += 1
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                code = main(reader_args(command, db, workdir, runs))
        except BaseException as exc:  # noqa: BLE001 (a reader that fails is the figure)
            code, err = f"{type(exc).__name__}: {exc}", io.StringIO()
        if code != 0:
            failures.append({"run": runs, "code": code, "stderr": err.getvalue()[-500:]})
    return {"command": command, "runs": runs, "failures": failures}


def _wipe(db: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    engine.dispose()


def run_once(mock_url: str, db: str, readers: int, workdir: Path, settings: list[str], interval: float = 0.0) -> dict:
    """One crawl into a wiped database, with ``readers`` reader processes looping beside it."""
    import re

    _wipe(db)
    # the schema first, so that readers do not race the crawl to create it
    subprocess.run([PY, "-m", "crawler.cli", "db", "upgrade", "--db", db], cwd=ROOT, check=True, capture_output=True)
    stop = Path(tempfile.mkdtemp(dir=workdir)) / "stop"
    procs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "bench.readers",
                "loop",
                READER_COMMANDS[i % 3],
                "--db",
                db,
                "--stop",
                str(stop),
                "--interval",
                str(interval),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for i in range(readers)
    ]
    cmd = [PY, "-m", "crawler.cli", "crawl", "--base-url", mock_url, "--db", db, "--profile", "bench", "-q"]
    for s in settings:
        cmd += ["-s", s]
    try:
        crawl = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    finally:
        stop.touch()
        outs = [json.loads(p.communicate(timeout=300)[0].strip().splitlines()[-1]) for p in procs]
    if crawl.returncode != 0:
        raise SystemExit(f"bench: crawl with {readers} readers failed:\n{crawl.stderr[-3000:]}")
    m = re.search(r"(\d+) article pages, (\d+) list pages in ([\d.]+)s", crawl.stderr)
    pages, secs = int(m.group(1)), float(m.group(3))
    return {
        "readers": readers,
        "article_pages": pages,
        "seconds": secs,
        "articles_per_s": pages / secs,
        "reader_runs": {o["command"]: o["runs"] for o in outs},
        "reader_failures": [f for o in outs for f in o["failures"]],
    }


def readers_under_load(
    mock_cls,
    articles: int,
    workdir: Path,
    *,
    readers: int = 3,
    pairs: int = 3,
    interval: float = 1.0,
    latency: float = 0.2,
    in_flight: int = 4,
    log=print,
) -> dict:
    """A B A B … (``pairs`` times): the crawl alone and with ``readers`` readers; the median ratio."""
    db = os.environ.get("THEPAPER_BENCH_PG_URL")
    if not db:
        return {"skipped": "needs THEPAPER_BENCH_PG_URL (an empty scratch PostgreSQL database; it is wiped)"}
    settings = [f"CONCURRENT_REQUESTS={in_flight}", f"CONCURRENT_REQUESTS_PER_DOMAIN={in_flight}"]
    mock = mock_cls(articles, latency=latency)
    runs = []
    try:
        for i in range(pairs):
            for n in (0, readers):
                log(f"[readers {interval:g}s] pair {i + 1}/{pairs}: crawl with {n} readers ...")
                runs.append(run_once(mock.url, db, n, workdir, settings, interval))
    finally:
        mock.stop()
    alone = [r for r in runs if r["readers"] == 0]
    loaded = [r for r in runs if r["readers"] == readers]
    ratios = [b["articles_per_s"] / a["articles_per_s"] for a, b in zip(alone, loaded)]
    return {
        "articles": articles,
        "readers": readers,
        "interval_s": interval,
        "latency_s": latency,
        "settings": settings,
        "runs": runs,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "reader_failures": sum(len(r["reader_failures"]) for r in loaded),
        "reader_runs": sum(sum(r["reader_runs"].values()) for r in loaded),
    }


#: The two situations of ``python -m bench.run``: the crawl paced by the site with readers that
#: refresh every second (the claim: rate within 20 %), and the worst case of a small machine, a
#: CPU-bound crawl beside readers running as fast as they can.
SITUATIONS = {
    "site-paced crawl, readers every 1 s": {"latency": 0.2, "in_flight": 4, "interval": 1.0, "pairs": 3},
    "CPU-bound crawl, readers back to back": {"latency": 0.0, "in_flight": 16, "interval": 0.0, "pairs": 2},
}


def readers_figures(mock_cls, articles: int, workdir: Path, log=print) -> dict:
    if not os.environ.get("THEPAPER_BENCH_PG_URL"):
        return {"skipped": "needs THEPAPER_BENCH_PG_URL (an empty scratch PostgreSQL database; it is wiped)"}
    return {name: readers_under_load(mock_cls, articles, workdir, log=log, **kw) for name, kw in SITUATIONS.items()}


def table_rows(figures: dict) -> list[tuple[str, str, str]]:
    if "skipped" in figures:
        return [("readers", "PostgreSQL, 3 readers during a crawl", figures["skipped"])]
    rows = []
    for name, f in figures.items():
        alone = statistics.median(r["articles_per_s"] for r in f["runs"] if r["readers"] == 0)
        loaded = statistics.median(r["articles_per_s"] for r in f["runs"] if r["readers"])
        rows.append(
            (
                "readers",
                f"PostgreSQL, {f['articles']} articles, {name}",
                f"{alone:.1f} -> {loaded:.1f} articles/s = {f['median_ratio']:.2f} x (median of "
                f"{len(f['ratios'])} pairs); {f['reader_runs']} reader runs, {f['reader_failures']} failed",
            )
        )
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.readers", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    lp = sub.add_parser("loop", help="one reader: run COMMAND in a loop until --stop exists")
    lp.add_argument("command", choices=READER_COMMANDS)
    lp.add_argument("--db", required=True)
    lp.add_argument("--stop", required=True)
    lp.add_argument("--interval", type=float, default=0.0, help="seconds between two runs")
    bp = sub.add_parser("run", help="the figure alone (needs THEPAPER_BENCH_PG_URL)")
    bp.add_argument("--articles", type=int, default=600)
    bp.add_argument("--readers", type=int, default=3)
    bp.add_argument("--pairs", type=int, default=3)
    bp.add_argument("--interval", type=float, default=1.0)
    bp.add_argument("--latency", type=float, default=0.2)
    bp.add_argument("--in-flight", type=int, default=4)
    args = p.parse_args(argv)
    if args.what == "loop":
        print(json.dumps(loop(args.command, args.db, Path(args.stop), args.interval)))
        return 0
    from bench.procs import Mock

    with tempfile.TemporaryDirectory() as tmp:
        out = readers_under_load(
            Mock,
            args.articles,
            Path(tmp),
            readers=args.readers,
            pairs=args.pairs,
            interval=args.interval,
            latency=args.latency,
            in_flight=args.in_flight,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
