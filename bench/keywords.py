"""What the keywords cost the cleaning: ``clean_document`` on the same mock pages with the
keyword stage (``cleaning.keywords``) and with it replaced by a no-op, interleaved, best of
3 rounds each, in this process (the reference is the same chain in the same run).

``python -m bench.keywords [PAGES]`` prints the figures; :func:`measure` returns them.
"""

from __future__ import annotations

import sys
import time

from bench.cleanratio import mock_pages


def measure(n_pages: int = 500, rounds: int = 3) -> dict:
    from cleaning import document as chain

    pages = mock_pages(n_pages)

    def run() -> float:
        t0 = time.perf_counter()
        for url, body in pages:
            try:
                chain.clean_document(body, url=url)
            except Exception:  # noqa: BLE001 - a refused page still costs its time
                pass
        return time.perf_counter() - t0

    real = chain.extract_keywords
    run()  # warm caches (jieba's dictionary, opencc)
    times: dict[str, list[float]] = {"with keywords": [], "without keywords": []}
    try:
        for _ in range(rounds):
            chain.extract_keywords = real
            times["with keywords"].append(run())
            chain.extract_keywords = lambda *a, **k: []
            times["without keywords"].append(run())
    finally:
        chain.extract_keywords = real
    best = {k: min(v) for k, v in times.items()}
    return {
        "pages": len(pages),
        **{f"{k} pages/s": len(pages) / s for k, s in best.items()},
        "cost ratio": best["with keywords"] / best["without keywords"],
    }


if __name__ == "__main__":
    figures = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
    for name, value in figures.items():
        print(f"{name:>26}: {value:.3f}" if isinstance(value, float) else f"{name:>26}: {value}")
