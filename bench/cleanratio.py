"""``clean_document`` against ``trafilatura.extract`` on the same mock pages, in one process:
the two loops interleaved, best of ``rounds`` each, CPU time (``time.process_time``, which a
loaded machine moves less than the wall clock; the wall figures beside it).

    .venv/bin/python -m bench.cleanratio [PAGES]            # this tree
    .venv/bin/python -m bench.cleanratio 400 --before DIR   # DIR's code and this tree's, interleaved

The pages are the mock site's article pages rendered without a server (:func:`mock_pages`:
every layout it serves: Next.js of every kind, the old desktop and 2017 mobile pages, the
offline notices). With ``--before`` (a checkout of older code: ``git archive REV | tar -x -C
DIR``) each measurement runs in a new process with that tree's packages first on the path,
this file as the harness, the trees taking turns; the ratios are each taken within its
process. This file imports only ``mocksite``, ``cleaning`` and ``trafilatura``, so that it runs
against any tree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # run as a file (the tree's packages on PYTHONPATH): bench/storage.py is not storage


def mock_pages(n: int, seed: int = 7, now=None) -> list[tuple[str, bytes]]:
    """The first ``n`` article pages of a mock data set (seed ``seed``): (URL, body); the
    pages the mock answers 404 for are left out."""
    from mocksite.dataset import Dataset
    from mocksite.server import MockSite

    ds = Dataset(max(n, 200), seed, cache_size=n + 64, now=now)
    site = MockSite(ds)
    pages = []
    for i in range(min(n, len(ds))):
        art = ds.article(i)
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        if resp.status == 200:
            pages.append((f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}", resp.body))
    return pages


def _loop(fn, pages) -> tuple[float, float]:
    """CPU and wall seconds of ``fn`` over ``pages``; a page ``fn`` refuses still costs its time."""
    c0, w0 = time.process_time(), time.perf_counter()
    for url, body in pages:
        try:
            fn(url, body)
        except Exception:  # noqa: BLE001 - the chain refuses some pages (gone, offline)
            pass
    return time.process_time() - c0, time.perf_counter() - w0


def measure(n_pages: int = 400, rounds: int = 3) -> dict:
    """Pages per CPU-second of ours and trafilatura's (best of ``rounds`` interleaved loops)
    and their ratio; the wall-clock ratio beside it."""
    import trafilatura

    from cleaning.document import clean_document

    pages = mock_pages(n_pages)

    def ours(url, body):
        clean_document(body, url=url)

    def theirs(url, body):
        trafilatura.extract(body.decode("utf-8", "replace"))

    _loop(ours, pages[:20])  # first use: dictionaries, segmenter, XPaths
    _loop(theirs, pages[:20])
    cpu: dict[str, list[float]] = {"ours": [], "trafilatura": []}
    wall: dict[str, list[float]] = {"ours": [], "trafilatura": []}
    for _ in range(rounds):
        for name, fn in (("ours", ours), ("trafilatura", theirs)):
            c, w = _loop(fn, pages)
            cpu[name].append(c)
            wall[name].append(w)
    best = {k: min(v) for k, v in cpu.items()}
    return {
        "pages": len(pages),
        "ours_pages_per_cpu_s": len(pages) / best["ours"],
        "trafilatura_pages_per_cpu_s": len(pages) / best["trafilatura"],
        "ratio": best["trafilatura"] / best["ours"],
        "wall_ratio": min(wall["trafilatura"]) / min(wall["ours"]),
        "loadavg": os.getloadavg()[0],
    }


def in_tree(tree: Path, n_pages: int, rounds: int) -> dict:
    """:func:`measure` in a new process with ``tree``'s packages."""
    from bench.procs import run_in_tree

    args = [str(Path(__file__).resolve()), str(n_pages), "--rounds", str(rounds), "--json"]
    return json.loads(run_in_tree(tree, args, "bench.cleanratio").strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cleanratio", description=__doc__.split("\n\n")[0])
    p.add_argument("pages", type=int, nargs="?", default=400, help="mock article pages (default 400)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved loops of each side (best is kept)")
    p.add_argument("--before", type=Path, help="also this checkout of older code, in turns with this tree")
    p.add_argument("--pairs", type=int, default=2, help="with --before: processes of each tree, in turns")
    p.add_argument("--json", action="store_true", help="one JSON line")
    args = p.parse_args(argv)
    if args.before is None:
        got = measure(args.pages, args.rounds)
        print(json.dumps(got) if args.json else "\n".join(f"{k:>28}: {v}" for k, v in got.items()))
        return 0
    trees = (("before", args.before.resolve()), ("after", ROOT))
    for k in range(args.pairs):
        for label, tree in trees:
            print(json.dumps({"pair": k + 1, "tree": label, **in_tree(tree, args.pages, args.rounds)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
