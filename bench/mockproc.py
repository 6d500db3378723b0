"""The mock site in its own process, warmed up, for the benchmark.

``python -m bench.mockproc --articles N`` builds the data set with caches big
enough for every article, renders every article page once (so that the crawl
measures the crawler, not the first rendering), then prints one JSON line
``{"url": ..., "pid": ..., "warm_s": ...}`` and serves until killed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def warm(site) -> int:
    """Render every article page and every list answer once; returns pages rendered."""
    ds = site.dataset
    n = 0
    for i in range(len(ds)):
        art = ds.article(i)
        site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        n += 1
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.mockproc")
    p.add_argument("--articles", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--no-warm", action="store_true")
    p.add_argument(
        "--latency", type=float, default=0.0, help="seconds every article page waits before its answer (a distant site)"
    )
    args = p.parse_args(argv)

    from mocksite.dataset import Dataset
    from mocksite.server import MockSite

    t0 = time.perf_counter()
    ds = Dataset(args.articles, args.seed, cache_size=args.articles + 64)
    faults = [{"pattern": "newsDetail_forward_", "kind": "slow", "delay": args.latency}] if args.latency else ()
    site = MockSite(ds, "127.0.0.1", args.port, page_cache=args.articles + 64, faults=faults)
    pages = 0 if args.no_warm else warm(site)
    site._bind()
    print(
        json.dumps(
            {
                "url": site.base_url,
                "pid": __import__("os").getpid(),
                "pages": pages,
                "warm_s": round(time.perf_counter() - t0, 2),
            }
        ),
        flush=True,
    )
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
