"""The one-command benchmark: ``.venv/bin/python -m bench.run [--quick]``.

Side by side on this machine and the same data (see ``bench/README.md``):

1. engine ceiling: Scrapy's own ``scrapy bench``, and :mod:`bench.ceiling` (the
   crawl's requests against the same mock, no pipelines, same profile);
2. full crawl: ``thepaper-archive crawl --profile bench`` into SQLite, at two sizes;
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
Prints a table; writes ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.interleaved import crawl_pairs
from bench.tears import run as tears_run

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = ROOT / "bench" / "results" / "latest.json"
SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "samples"
    / "mirror_nxos_newsDetail_forward_32400625.txt"
)
_SUMMARY = re.compile(r"(\d+) article pages, (\d+) list pages in ([\d.]+)s")
_TICK = os.sysconf("SC_CLK_TCK")
#: Settings given to both the ceiling and the crawl on top of the ``bench`` profile:
#: Scrapy starts CONCURRENT_ITEMS asyncio tasks per response, whatever the callback
#: yields (100 by default: a third of the ceiling's CPU); the worker process cleans
#: and stores on the second core (``storage.writers.ProcessWriter``).
DEFAULT_SETTINGS = ["CONCURRENT_ITEMS=8", "THEPAPER_PIPELINE_WORKER=1"]


# ------------------------------------------------------------------ processes
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (from /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def run_child(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: float = 900) -> dict:
    """Run a command through :mod:`bench.launch`; its wall time, CPU time, peak RSS (MB: the
    largest ``VmHWM`` of one of its processes, and their sum; ``wait4``'s ``ru_maxrss`` beside
    it, counted from the launcher's few megabytes, not from this process's size), exit code,
    output."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as usage_file,
    ):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [PY, "-m", "bench.launch", usage_file.name, *cmd],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.perf_counter() - t0
        try:
            usage = json.loads(Path(usage_file.name).read_text() or "{}")
        except ValueError:
            usage = {}
        out.seek(0)
        err.seek(0)
        return {
            "rc": usage.get("rc", proc.returncode),
            "wall_s": wall,
            "cpu_s": usage.get("cpu_s", 0.0),
            "peak_rss_mb": round(usage.get("peak_kb", 0) / 1024, 1),
            "peak_rss_sum_mb": round(usage.get("sum_kb", 0) / 1024, 1),
            "ru_maxrss_mb": round(usage.get("maxrss_kb", 0) / 1024, 1),
            "processes": [{**p, "hwm_mb": round(p.pop("hwm_kb") / 1024, 1)} for p in usage.get("processes", [])],
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


class Mock:
    """The warmed-up mock in its own process."""

    def __init__(self, articles: int, latency: float = 0.0):
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.mockproc", "--articles", str(articles), "--latency", str(latency)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        info = json.loads(self.proc.stdout.readline())
        self.url, self.pid, self.warm_s = info["url"], self.proc.pid, info["warm_s"]

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measured(mock: Mock, cmd: list[str], **kw) -> dict:
    """Run ``cmd`` while the mock serves; adds the mock's CPU seconds during the run."""
    before = mock.cpu()
    res = run_child(cmd, **kw)
    res["mock_cpu_s"] = mock.cpu() - before
    return res


def _check(res: dict, what: str) -> None:
    if res["rc"] != 0:
        raise SystemExit(f"bench: {what} failed (exit {res['rc']}):\n{res['stderr'][-3000:]}")


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


# ------------------------------------------------------------------ 3. reprocess
def reprocess(db: Path, jobs: int | None = None) -> dict:
    """``thepaper-archive reprocess`` over the archive, wall time with start-up; ``jobs``
    None: the command's default (a cleaning process per CPU); the ``--jobs 1`` figure beside it."""
    extra = [] if jobs is None else ["--jobs", str(jobs)]
    res = run_child([PY, "-m", "crawler.cli", "reprocess", "--db", f"sqlite:///{db}", "-q", *extra])
    _check(res, "reprocess")
    with sqlite3.connect(db) as conn:
        n = conn.execute("select count(*) from articles where raw_page_id is not null").fetchone()[0]
    out = {
        "articles": n,
        "jobs": jobs or os.cpu_count(),
        "wall_s": res["wall_s"],
        "cpu_s": res["cpu_s"],
        "articles_per_s": n / res["wall_s"],
        "peak_rss_mb": res["peak_rss_mb"],
        "summary": res["stderr"].strip().splitlines()[-1],
    }
    if jobs is None and out["jobs"] > 1:
        out["jobs_1"] = reprocess(db, 1)
    return out


def raw_sample(db: Path, k: int) -> list[tuple[str, bytes, dict]]:
    """``k`` article raw pages spread over the archive: (cleaning URL, body, headers)."""
    from storage.codec import decode

    with sqlite3.connect(db) as conn:
        dictionaries = dict(conn.execute("select id, data from raw_dictionaries"))
        ids = [
            r[0]
            for r in conn.execute(
                "select raw_page_id from articles where raw_page_id is not null "
                "and content_type != 'gone' order by cont_id"
            )
        ]
        step = max(1, len(ids) // k)
        chosen = ids[::step][:k]
        out = []
        for i in range(0, len(chosen), 500):
            part = chosen[i : i + 500]
            rows = conn.execute(
                f"select body, compression, dictionary_id, context, headers from raw_pages "
                f"where id in ({','.join('?' * len(part))})",
                part,
            )
            for body, compression, dictionary_id, context, headers in rows:
                ctx = json.loads(context or "{}")
                out.append(
                    (
                        ctx.get("url"),
                        decode(body, compression, dictionaries.get(dictionary_id)),
                        json.loads(headers or "{}"),
                    )
                )
    return out


def per_page(fn, pages) -> dict:
    t0 = time.perf_counter()
    nbytes = 0
    for args in pages:
        fn(*args)
        nbytes += len(args[1])
    secs = time.perf_counter() - t0
    return {"pages": len(pages), "seconds": secs, "pages_per_s": len(pages) / secs, "mb_per_s": nbytes / secs / 1e6}


def side_by_side(db: Path, k: int) -> dict:
    """trafilatura's ``extract`` and our ``clean_document`` on the same raw pages, in this process."""
    import trafilatura

    from cleaning.document import clean_document

    pages = raw_sample(db, k)
    clean_document(pages[0][1], url=pages[0][0], headers=pages[0][2])  # warm caches (jieba, opencc)
    trafilatura.extract(pages[0][1].decode("utf-8"))
    ours = per_page(lambda url, body, headers: clean_document(body, url=url, headers=headers), pages)
    theirs = per_page(lambda url, body, headers: trafilatura.extract(body.decode("utf-8", "replace")), pages)
    return {"ours": ours, "trafilatura": theirs}


# ------------------------------------------------------------------ 4. cleaning alone
def cleaning(n_pages: int, n_damaged: int) -> dict:
    from bench.damage import damaged_pages
    from cleaning.document import clean_document
    from mocksite.dataset import Dataset
    from mocksite.server import MockSite

    ds = Dataset(max(n_pages, 200), 7, cache_size=n_pages + 64)
    site = MockSite(ds)
    arts = [ds.article(i) for i in range(len(ds))][:n_pages]
    mock_pages = []
    for art in arts:
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        if resp.status == 200:
            mock_pages.append((f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}", resp.body))
    damaged = damaged_pages(arts[: n_damaged * 2])[:n_damaged]
    mirrors = {}
    for url, body, damage in damaged:
        mirrors.setdefault("+".join(damage), []).append((url, body))
    if SAMPLE.exists():
        mirrors["real sample (nxos)"] = [("http://www.nxos.com.cn/newsDetail_forward_32400625", SAMPLE.read_bytes())]

    def clean(url, body):
        try:
            clean_document(body, url=url)
        except Exception:  # a page the chain refuses still costs its time
            pass

    clean(*mock_pages[0])
    if SAMPLE.exists():  # the repair's dictionaries too (jieba, its prefixes, opencc): loaded once per process
        clean("http://www.nxos.com.cn/newsDetail_forward_32400625", SAMPLE.read_bytes())
    out = {"mock pages": per_page(clean, mock_pages)}
    for name, pages in mirrors.items():
        out[f"mirror: {name}"] = per_page(clean, pages)
    return out


# ------------------------------------------------------------------ 6. storage (5. memory: bench/backfill.py)
def storage(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
        n = conn.execute("select count(*) from articles").fetchone()[0]
        raw_n, raw_size, raw_stored = conn.execute(
            "select count(*), sum(body_size), sum(length(body)) from raw_pages"
        ).fetchone()
    size = db.stat().st_size
    return {
        "articles": n,
        "db_bytes": size,
        "bytes_per_article": size / max(1, n),
        "raw_pages": raw_n,
        "raw_bytes": raw_size,
        "raw_stored_bytes": raw_stored,
        "raw_compression_ratio": raw_size / max(1, raw_stored),
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
        finally:
            mock.stop()
        result["crawls"][str(n)] = entry
    big = workdir / f"crawl_{sizes[-1]}.sqlite3"
    log(f"[{sizes[-1]}] reprocess ...")
    result["reprocess"] = reprocess(big)
    log("trafilatura side by side ...")
    result["side_by_side"] = side_by_side(big, sample)
    for rp in (result["reprocess"], result["reprocess"].get("jobs_1", {})):
        if rp:
            rp["ratio_to_trafilatura"] = rp["articles_per_s"] / result["side_by_side"]["trafilatura"]["pages_per_s"]
    log("cleaning alone ...")
    result["cleaning"] = cleaning(clean_pages, damaged)
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
    small, large = (result["crawls"][str(s)]["crawl_peak_rss_mb"]["median"] for s in (sizes[0], sizes[-1]))
    result["loadavg_after"] = os.getloadavg()
    result["memory"] = {"crawl_small_mb": small, "crawl_large_mb": large, "growth": large / small - 1}
    return result


def _n(x: float) -> str:
    """A rate with the digits that matter (0.23, 4.1, 812)."""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def table(r: dict) -> str:
    rows = []
    add = rows.append
    sb = r["scrapy_bench"]
    add(
        (
            "engine",
            "scrapy bench (own server, 32 concurrent)",
            f"{sb['pages_per_s']:.0f} pages/s" if "pages_per_s" in sb else "n/a",
        )
    )
    for n, e in r["crawls"].items():
        ratio, ce, cr = e["ratio_to_ceiling"], e["ceiling_articles_per_s"], e["crawl_articles_per_s"]
        last, st = e["pairs"][-1], e["storage"]
        add(
            (
                f"{n}",
                f"engine ceiling vs mock (no pipelines), {ratio['n']} pairs",
                f"{ce['median']:.0f} articles/s (median; {ce['min']:.0f}-{ce['max']:.0f})",
            )
        )
        add(
            (
                f"{n}",
                "full crawl into SQLite, each right after its ceiling",
                f"{cr['median']:.0f} articles/s = {ratio['median']:.2f} x ceiling (median ratio; "
                f"{ratio['min']:.2f}-{ratio['max']:.2f})",
            )
        )
        add(
            (
                f"{n}",
                "CPU busy: crawler / mock (last crawl)",
                f"{last['crawl']['client_busy']:.0%} / {last['crawl']['mock_busy']:.0%}",
            )
        )
        add((f"{n}", "mock alone could serve", f"{last['crawl']['mock_ceiling_per_s']:.0f} responses/s"))
        add(
            (
                f"{n}",
                "peak RSS crawl / ceiling (median)",
                f"{e['crawl_peak_rss_mb']['median']:.0f} MB / {e['ceiling_peak_rss_mb']['median']:.0f} MB",
            )
        )
        add(
            (
                f"{n}",
                "database per article / raw compression",
                f"{st['bytes_per_article'] / 1024:.1f} KiB / {st['raw_compression_ratio']:.1f}x",
            )
        )
    rp, sbs = r["reprocess"], r["side_by_side"]
    for run in (rp, rp.get("jobs_1")):
        if run:
            add(
                (
                    "reprocess",
                    f"thepaper-archive reprocess --jobs {run['jobs']} (wall, with startup)",
                    f"{run['articles_per_s']:.0f} articles/s = {run['ratio_to_trafilatura']:.1f} x trafilatura",
                )
            )
    add(
        (
            "reprocess",
            "clean_document / trafilatura.extract, same pages",
            f"{sbs['ours']['pages_per_s']:.0f} / {sbs['trafilatura']['pages_per_s']:.0f} pages/s",
        )
    )
    for name, c in r["cleaning"].items():
        add(("cleaning", name, f"{_n(c['pages_per_s'])} articles/s, {_n(c['mb_per_s'])} MB/s ({c['pages']} pages)"))
    for name, d in r.get("decode", {}).items():
        add(
            (
                "decode",
                f"decode_bytes, 16 MiB of {name}",
                f"{d['seconds']:.2f} s ({d['mib_per_s']:.0f} MiB/s) = {d['ratio']:.1f} x bytes.decode -> {d['encoding']}",
            )
        )
    for name, t in r["tears"]["pages"].items():
        add(("tears", name, f"{_n(t['pages_per_s'])} pages/s, slowest {t['max_s']:.2f} s ({t['pages']} pages)"))
    for name, a in r["tears"]["accuracy"].items():  # none when asked for 0 paragraphs
        add(
            (
                "tears",
                f"accuracy, {a['paragraphs']} torn paragraphs, {name}",
                f"{a['restored']:.4f} of the characters restored (left torn: {a['unrepaired']:.4f})",
            )
        )
    m = r["memory"]
    add(
        (
            "memory",
            "crawl peak RSS small -> large",
            f"{m['crawl_small_mb']:.0f} -> {m['crawl_large_mb']:.0f} MB ({m['growth']:+.0%})",
        )
    )
    for name, so in r.get("scale_out", {}).items():
        if "skipped" in so:
            add(("scale-out", name, so["skipped"]))
            continue
        sit = so[name]
        runs = sit["runs"]
        what = (
            "bench profile, mock answers at once"
            if name == "cpu"
            else f"article pages take {sit['latency_s']}s, 8 in flight per worker"
        )
        add(
            (
                "scale-out",
                f"{so['articles']} articles, {what}",
                " / ".join(f"{n} worker{'s' if n != '1' else ''}: {x['articles_per_s']:.0f}" for n, x in runs.items())
                + f" articles/s = {sit['speedup']:.2f} x",
            )
        )
        steady = [x.get("steady_articles_per_s") for x in runs.values()]
        if all(steady):
            add(
                (
                    "scale-out",
                    "  the same without start-up (first to last commit)",
                    " / ".join(f"{n}: {v:.0f}" for n, v in zip(runs, steady))
                    + f" articles/s = {steady[-1] / steady[0]:.2f} x",
                )
            )
    if "readers" in r:
        from bench.readers import table_rows

        rows += table_rows(r["readers"])
    if "raw_codecs" in r:
        from bench.storage import rows as raw_codec_rows

        rows.extend(raw_codec_rows(r["raw_codecs"]))
    if "backfill" in r:
        from bench.backfill import table as backfill_rows

        rows.extend(("backfill", name, value) for name, value in backfill_rows(r["backfill"]))
    w = max(len(a) for a, _, _ in rows)
    w2 = max(len(b) for _, b, _ in rows)
    return "\n".join(f"{a:<{w}}  {b:<{w2}}  {c}" for a, b, c in rows)


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
