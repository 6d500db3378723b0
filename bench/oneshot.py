"""``thepaper-archive clean FILE`` of one ordinary page, a new process each time: wall time,
CPU time and peak RSS (``VmHWM`` through :mod:`bench.launch`), best of ``runs`` (the peak is
the largest seen). The issue's target for it is 0.5 s and 120 MB; before issue 26 it took
2.2 s and 330 MB, nearly all of it loading dictionaries an ordinary page does not need.

Two pages: the 2017 mobile sample (a real page, ``tests/data/samples``) and a Next.js article
of the layout fixtures. Alone: ``.venv/bin/python -m bench.oneshot [RUNS]``.
"""

from __future__ import annotations

import json
import sys

from bench.procs import PY, ROOT, run_child

PAGES = {
    "2017 mobile sample": ROOT / "tests/data/samples/m_thepaper_2017_newsDetail_forward_1787647.html",
    "Next.js article": ROOT / "tests/data/extract/nextjs_news.html",
}


def clean_file(runs: int = 3) -> dict:
    """Per page: best wall and CPU seconds of ``runs`` new processes, the largest peak RSS."""
    out: dict = {}
    for name, page in PAGES.items():
        seen = []
        for _ in range(runs):
            res = run_child([PY, "-m", "crawler.cli", "clean", str(page)])
            if res["rc"] != 0:
                raise SystemExit(f"clean {page.name}: exit {res['rc']}: {res['stderr'][-2000:]}")
            if not res["stdout"].strip():
                raise SystemExit(f"clean {page.name}: printed no text")
            seen.append(res)
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


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    r = clean_file(int(argv[0]) if argv else 3)
    for row in rows(r):
        print("  ".join(row))
    print(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
