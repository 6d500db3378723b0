"""The benchmark's stages on an archive, without the mock site: reprocess (beside trafilatura on
a sample of the same raw pages), cleaning alone, and storage (see :mod:`bench.run`)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from bench.procs import PY, ROOT, _check, run_child

SAMPLE = ROOT / "tests" / "data" / "samples" / "mirror_nxos_newsDetail_forward_32400625.txt"


# ------------------------------------------------------------------ 3. reprocess
def reprocess(db: Path, jobs: int | None = None) -> dict:
    """``thepaper-archive reprocess`` over the archive, wall time with start-up; ``jobs``
    None: the command's default (a cleaning process per CPU); the ``--jobs 1`` figure beside it."""
    extra = [] if jobs is None else ["--jobs", str(jobs)]
    res = run_child([PY, "-m", "crawler.cli", "reprocess", "--db", f"sqlite:///{db}", "-q", *extra])
    _check(res, "reprocess")
    out = _figures(res, db, jobs)
    if jobs is None and out["jobs"] > 1:
        out["jobs_1"] = reprocess(db, 1)
    if jobs is None:
        out["recomputed"] = reprocess_recomputed(db)
    return out


def reprocess_recomputed(db: Path) -> dict:
    """``reprocess`` (default ``--jobs``) of a copy of the archive whose keyword bases are
    cleared: every keyword computed again, as after a change of the keyword code or on an
    archive stored before the bases were (the default run takes the stored keywords of every
    text whose basis it finds)."""
    copy = db.with_name(db.stem + "-recomputed.sqlite3")
    shutil.copyfile(db, copy)
    try:
        with sqlite3.connect(copy) as conn:
            conn.execute("update articles set keywords_basis = null")
        res = run_child([PY, "-m", "crawler.cli", "reprocess", "--db", f"sqlite:///{copy}", "-q"])
        _check(res, "reprocess (bases cleared)")
        return _figures(res, copy, None)
    finally:
        copy.unlink(missing_ok=True)


def _figures(res: dict, db: Path, jobs: int | None) -> dict:
    """A reprocess run's figures (``res``: :func:`run_child`'s) over the archive ``db``."""
    with sqlite3.connect(db) as conn:
        n = conn.execute("select count(*) from articles where raw_page_id is not null").fetchone()[0]
    return {
        "articles": n,
        "jobs": jobs or os.cpu_count(),
        "wall_s": res["wall_s"],
        "cpu_s": res["cpu_s"],
        # every process's CPU (the writer and its cleaners): what a loaded machine's wall time hides
        "cpu_ms_per_article": 1000 * res["cpu_s"] / max(1, n),
        "articles_per_s": n / res["wall_s"],
        "peak_rss_mb": res["peak_rss_mb"],
        "summary": res["stderr"].strip().splitlines()[-1],
    }


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


def side_by_side(db: Path, k: int, rounds: int = 3) -> dict:
    """trafilatura's ``extract`` and our ``clean_document`` on the same raw pages, in this process:
    ``rounds`` passes of each, taking turns, and each side's fastest pass (a single pass of each
    moved by 20 % with what else the machine did in that second; every pass is kept in ``rounds``)."""
    import trafilatura

    from cleaning.document import clean_document

    pages = raw_sample(db, k)
    clean_document(pages[0][1], url=pages[0][0], headers=pages[0][2])  # warm caches (jieba, opencc)
    trafilatura.extract(pages[0][1].decode("utf-8"))
    passes: dict[str, list[dict]] = {"ours": [], "trafilatura": []}
    for _ in range(max(1, rounds)):
        passes["ours"].append(
            per_page(lambda url, body, headers: clean_document(body, url=url, headers=headers), pages)
        )
        passes["trafilatura"].append(
            per_page(lambda url, body, headers: trafilatura.extract(body.decode("utf-8", "replace")), pages)
        )
    out: dict = {side: max(runs, key=lambda r: r["pages_per_s"]) for side, runs in passes.items()}
    out["rounds"] = {side: [round(r["pages_per_s"], 1) for r in runs] for side, runs in passes.items()}
    return out


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
