"""``thepaper-archive clean FILE`` of one ordinary page, a new process each time: wall time,
CPU time and peak RSS (``VmHWM`` through :mod:`bench.launch`), best of ``runs`` (the peak is
the largest seen). The issue's target for it is 0.5 s and 120 MB; before issue 26 it took
2.2 s and 330 MB, nearly all of it loading dictionaries an ordinary page does not need.

Two pages: the 2017 mobile sample (a real page, ``tests/data/samples``) and a Next.js article
of the layout fixtures. Alone: ``.venv/bin/python -m bench.oneshot [RUNS]``.

Two versions of the code, interleaved (A B A B ..., each run a new process started in its tree,
so that it imports that tree's packages): ``.venv/bin/python -m bench.oneshot --before DIR
[--pairs N] [--format json]``, where DIR is a checkout of the older code (``git archive REV | tar
-x -C DIR``); the medians of CPU and wall seconds per tree and page, with their spread.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.interleaved import spread
from bench.procs import PY, ROOT, fresh_bytecode, run_child

PAGES = {
    "2017 mobile sample": ROOT / "tests/data/samples/m_thepaper_2017_newsDetail_forward_1787647.html",
    "Next.js article": ROOT / "tests/data/extract/nextjs_news.html",
}


def clean_once(page: Path, tree: Path = ROOT, extra: tuple[str, ...] = ()) -> dict:
    """One ``clean PAGE`` in a new process started in ``tree``: :func:`bench.procs.run_child`'s
    figures; SystemExit when it fails or prints nothing."""
    res = run_child([PY, "-m", "crawler.cli", "clean", str(page), *extra], cwd=tree)
    if res["rc"] != 0:
        raise SystemExit(f"clean {page.name} in {tree}: exit {res['rc']}: {res['stderr'][-2000:]}")
    if not res["stdout"].strip():
        raise SystemExit(f"clean {page.name} in {tree}: printed no text")
    return res


def clean_file(runs: int = 3) -> dict:
    """Per page: best wall and CPU seconds of ``runs`` new processes, the largest peak RSS."""
    out: dict = {}
    fresh_bytecode(ROOT)
    for name, page in PAGES.items():
        seen = [clean_once(page) for _ in range(runs)]
        out[name] = {
            "runs": runs,
            "wall_s": min(r["wall_s"] for r in seen),
            "cpu_s": min(r["cpu_s"] for r in seen),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in seen),
        }
    return out


def rows(r: dict) -> list[tuple[str, str, str]]:
    return [
        (
            "clean FILE",
            f"thepaper-archive clean, {name}, a new process",
            f"{c['wall_s']:.2f} s wall, {c['cpu_s']:.2f} s CPU, {c['peak_rss_mb']:.0f} MB peak (best of {c['runs']})",
        )
        for name, c in r.items()
    ]


def pairs(before: Path, n: int = 5, extra: tuple[str, ...] = ()) -> dict:
    """Per page: ``n`` (before, after) pairs of ``clean PAGE`` runs, interleaved; the medians of
    CPU and wall seconds of each tree with their spread, and the largest peak RSS."""
    out: dict = {}
    for tree in (before, ROOT):
        fresh_bytecode(tree)
    for name, page in PAGES.items():
        seen: dict[str, list[dict]] = {"before": [], "after": []}
        for _ in range(n):
            for side, tree in (("before", before), ("after", ROOT)):
                seen[side].append(clean_once(page, tree, extra))
        out[name] = {
            side: {
                "cpu_s": spread([r["cpu_s"] for r in runs]),
                "wall_s": spread([r["wall_s"] for r in runs]),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
            for side, runs in seen.items()
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench.oneshot", description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="?", type=int, default=3, help="runs per page, best of (default 3)")
    ap.add_argument("--before", type=Path, help="a checkout of the older code: interleave it with this tree")
    ap.add_argument("--pairs", type=int, default=5, help="with --before: pairs per page (default 5)")
    ap.add_argument("--format", choices=("text", "markdown", "json"), help="the clean command's --format")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    extra = ("--format", args.format) if args.format else ()
    if args.before:
        p = pairs(args.before.resolve(), args.pairs, extra)
        for name, sides in p.items():
            for side, f in sides.items():
                c, w = f["cpu_s"], f["wall_s"]
                print(
                    f"{name:20} {side:6}  CPU {c['median']:.3f} s ({c['min']:.3f}-{c['max']:.3f})  "
                    f"wall {w['median']:.3f} s ({w['min']:.3f}-{w['max']:.3f})  {f['peak_rss_mb']:.0f} MB"
                )
        print(json.dumps(p, indent=1))
        return 0
    r = clean_file(args.runs)
    for row in rows(r):
        print("  ".join(row))
    print(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
