"""Readers during a crawl: ``stats``, ``export`` and ``search`` run in loops, three at a time, while a
crawl writes, on SQLite and on PostgreSQL; none of them fails and the crawl completes. (The crawl
rate with and without readers is a benchmark figure: ``bench/readers.py``, never asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Article
from tests.conftest import ROOT, cli_env, run_cli
from tests.test_e2e_scheduled import expected_ids, stored_ids


def _stored(db_url) -> int:
    with Session(create_engine(db_url)) as s:
        return s.scalar(select(func.count()).select_from(Article))


def _readers(db_url, tmp_path, done: threading.Event):
    """Three loops, each one command as a user types it; every run checked."""
    results: dict[str, list] = {"stats": [], "export": [], "search": []}

    def check_stats(proc):
        data = json.loads(proc.stdout)
        return isinstance(data, dict) and data

    def check_export(proc, path):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return all(r["cont_id"] and r["url"] for r in rows)

    def check_search(proc):
        return isinstance(json.loads(proc.stdout), list)

    def loop(name):
        i = 0
        while not done.is_set():
            i += 1
            if name == "stats":
                proc = run_cli("stats", "--db", db_url, "--json")
                ok = proc.returncode == 0 and check_stats(proc)
            elif name == "export":
                path = tmp_path / f"export-{i}.jsonl"
                proc = run_cli(
                    "export",
                    "--db",
                    db_url,
                    "--format",
                    "jsonl",
                    "--columns",
                    "cont_id,url,title,tags",
                    "-o",
                    str(path),
                )
                ok = proc.returncode == 0 and check_export(proc, path)
            else:
                proc = run_cli("search", "--db", db_url, "--json", "科技" if i % 2 else "发布新一代 的")
                ok = proc.returncode == 0 and check_search(proc)
            results[name].append(None if ok else (proc.returncode, proc.stderr[-2000:]))

    threads = [threading.Thread(target=loop, args=(name,), daemon=True) for name in results]
    for t in threads:
        t.start()
    return results, threads


def test_three_readers_in_loops_never_fail_during_a_crawl(db_url, tmp_path):
    ds = generate_dataset(600, seed=13)
    with MockSite(ds) as site:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db_url, "-q"],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while crawl.poll() is None and (time.monotonic() < deadline) and not _safe_stored(db_url):
            time.sleep(0.2)
        done = threading.Event()
        results, threads = _readers(db_url, tmp_path, done)
        _, err = crawl.communicate(timeout=600)
        done.set()
        for t in threads:
            t.join(timeout=600)
    assert crawl.returncode == 0, err[-3000:]
    assert set(stored_ids(db_url)) == expected_ids(ds)
    for name, runs in results.items():
        failures = [r for r in runs if r is not None]
        assert not failures, (name, failures[:3])
        assert len(runs) >= 2, (name, len(runs))  # each reader really ran during the crawl


def _safe_stored(db_url) -> int:
    try:
        return _stored(db_url)
    except Exception:  # noqa: BLE001 (the schema is not there yet)
        return 0
