"""Distributed mode, 1 vs 3 workers (crawler/distributed.py), for ``python -m bench.run``.

One list walker and N workers (``crawl --redis URL --role walker|worker``) against the warmed
mock, writing into one archive (a new SQLite file, or PostgreSQL when THEPAPER_BENCH_PG_URL
names an empty scratch database, which is wiped). Two situations:

* ``cpu``: the bench profile against the mock answering at once. Every process of every worker
  competes for this machine's cores: it shows what scale-out costs or gains on one machine.
* ``latency``: every article page takes ``--latency`` seconds to answer, and each worker keeps
  ``CONCURRENT_REQUESTS`` pages in flight (a polite crawl of a distant site): the case scale-out
  is for, when the site's pace per client, not the CPU, is the limit.

Articles/s = articles stored / seconds from the start of the processes to the last article
committed (polled in the archive every 0.1 s), so the workers' wait for the end of the queue
does not count; "steady" leaves out the start-up too (first to last commit).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _count(engine) -> int:
    from sqlalchemy.exc import DBAPIError

    from storage.models import Article

    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Article)).scalar_one()
    except DBAPIError:  # tables not created yet
        return 0


def _fresh_db(workdir: Path, name: str) -> str:
    pg = os.environ.get("THEPAPER_BENCH_PG_URL")
    if not pg:
        return f"sqlite:///{workdir / name}.sqlite3"
    engine = create_engine(pg)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return pg


def run_once(mock_url: str, redis_url: str, db: str, workers: int, settings: list[str]) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    base = [
        PY,
        "-m",
        "crawler.cli",
        "crawl",
        "--base-url",
        mock_url,
        "--db",
        db,
        "-q",
        "--redis",
        redis_url,
        "--profile",
        "bench",
    ]
    extra = [x for s in settings for x in ("-s", s)]
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*base, "--role", "worker", *extra],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    procs.append(
        subprocess.Popen(
            [*base, "--role", "walker", *extra],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    engine = create_engine(db)
    last, t_first, t_last = 0, None, t0

    def poll():
        nonlocal last, t_first, t_last
        n = _count(engine)
        if n != last:
            last, t_last = n, time.perf_counter()
            t_first = t_first or t_last

    try:
        while any(p.poll() is None for p in procs):
            poll()
            time.sleep(0.1)
        poll()
    finally:
        engine.dispose()
    errors = [p.stderr.read()[-2000:] for p in procs if p.returncode != 0]
    if errors:
        raise SystemExit("bench: distributed crawl failed:\n" + "\n".join(errors))
    secs = t_last - t0
    steady = (t_last - t_first) if t_first else 0.0
    return {
        "workers": workers,
        "stored": last,
        "seconds": secs,
        "articles_per_s": last / secs,
        "steady_articles_per_s": last / steady if steady > 0 else None,
        "wall_s": time.perf_counter() - t0,
    }


def scale_out(
    mock_cls,
    articles: int,
    latency: float,
    concurrency: int,
    workdir: Path,
    counts=(1, 3),
    log=print,
    situations=("cpu", "latency"),
) -> dict:
    """Both situations, each with 1 and 3 workers; ``mock_cls(articles, latency=...)`` starts a mock."""
    from tests.redisserver import redis_server, redis_server_path

    if redis_server_path() is None:
        return {"skipped": "redis-server not installed (apt-get install redis-server; the test command does)"}
    out: dict = {"articles": articles, "archive": "postgresql" if os.environ.get("THEPAPER_BENCH_PG_URL") else "sqlite"}
    every = {
        "cpu": ({"latency": 0.0}, []),
        "latency": (
            {"latency": latency},
            [f"CONCURRENT_REQUESTS={concurrency}", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"],
        ),
    }
    with tempfile.TemporaryDirectory(dir=workdir) as rdir, redis_server(Path(rdir)) as redis_url:
        for name in situations:
            mock_kw, settings = every[name]
            mock = mock_cls(articles, **mock_kw)
            try:
                runs = {}
                for n in counts:
                    log(f"[scale-out {name}] {n} worker(s) ...")
                    db = _fresh_db(workdir, f"dist_{name}_{n}")
                    runs[str(n)] = run_once(mock.url, redis_url, db, n, settings)
            finally:
                mock.stop()
            one, many = runs[str(counts[0])], runs[str(counts[-1])]
            out[name] = {
                "latency_s": mock_kw["latency"],
                "settings": settings,
                "runs": runs,
                "speedup": many["articles_per_s"] / one["articles_per_s"],
            }
    return out
