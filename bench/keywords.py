"""What the keywords cost the cleaning: ``clean_document`` on the same mock pages with the
keyword stage (``cleaning.keywords``) and with it replaced by a no-op, interleaved, best of
``rounds`` each, in this process, in CPU time (``time.process_time``: a loaded machine moves it
less than the wall clock). The stage's cost is the difference, per page.

``--before DIR`` (a checkout of older code: ``git archive REV | tar -x -C DIR``) also runs
DIR's ``cleaning/keywords.py`` as the stage, in turns with this tree's, in the same chain and
the same process: the stage's cost of both and their ratio. Each version checks the other's
keywords on every page (the loop stops on a difference).

    .venv/bin/python -m bench.keywords [PAGES] [--rounds N] [--before DIR]

:func:`measure` returns the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

from bench.cleanratio import mock_pages


def _module(path: Path):
    """The keyword module of another checkout, loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location("keywords_before", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench.keywords: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(n_pages: int = 400, rounds: int = 5, before: Path | None = None) -> dict:
    from cleaning import document as chain

    pages = mock_pages(n_pages)
    stages = {"with keywords": chain.extract_keywords, "without keywords": lambda *a, **k: []}
    if before is not None:
        stages["before"] = _module(before / "cleaning" / "keywords.py").extract_keywords
        seen: dict[tuple, list[str]] = {}

        def checked(fn):
            def stage(*a, **k):
                got = fn(*a, **k)
                key = (a[0], a[1], tuple(a[2]) if len(a) > 2 else ())
                if seen.setdefault(key, got) != got:
                    raise AssertionError(f"the keywords differ: {seen[key]} != {got}")
                return got

            return stage

        check = {name: checked(fn) for name, fn in stages.items() if name != "without keywords"}
    real = chain.extract_keywords

    def run() -> float:
        t0 = time.process_time()
        for url, body in pages:
            try:
                chain.clean_document(body, url=url)
            except AssertionError:
                raise
            except Exception:  # noqa: BLE001 - a refused page still costs its time
                pass
        return time.process_time() - t0

    times: dict[str, list[float]] = {name: [] for name in stages}
    try:
        if before is not None:
            for fn in check.values():  # the same keywords from both, page by page
                chain.extract_keywords = fn
                run()
        for fn in stages.values():  # warm caches (jieba's dictionary, opencc, the judged words)
            chain.extract_keywords = fn
            run()
        for _ in range(rounds):
            for name, fn in stages.items():
                chain.extract_keywords = fn
                times[name].append(run())
    finally:
        chain.extract_keywords = real
    best = {k: min(v) for k, v in times.items()}
    n = len(pages)
    out: dict = {
        "pages": n,
        **{f"{k} pages/cpu-s": n / s for k, s in best.items() if k != "before"},
        "cost ratio": best["with keywords"] / best["without keywords"],
        "stage us/page": (best["with keywords"] - best["without keywords"]) / n * 1e6,
    }
    if before is not None:
        out["before: stage us/page"] = (best["before"] - best["without keywords"]) / n * 1e6
        out["before/after stage"] = out["before: stage us/page"] / out["stage us/page"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.keywords", description=__doc__.split("\n\n")[0])
    p.add_argument("pages", type=int, nargs="?", default=400, help="mock article pages (default 400)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved loops of each (best is kept)")
    p.add_argument("--before", type=Path, help="also this checkout's keyword stage, in turns with this tree's")
    args = p.parse_args(argv)
    figures = measure(args.pages, args.rounds, args.before)
    for name, value in figures.items():
        print(f"{name:>30}: {value:.3f}" if isinstance(value, float) else f"{name:>30}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
