"""``bench.interleaved.cpu_bound``: the crawl's CPU per article between two sizes (the start-up,
paid once a run, drops out) and the rate that CPU allows on the machine's cores, against the larger
size's ceiling. Figures made up so that the answer can be worked out by hand."""

from __future__ import annotations

import pytest

from bench.interleaved import cpu_bound, spread


def _entry(pages: int, crawls: list[tuple[float, float]], ceilings: list[tuple[float, float]], ratio: float) -> dict:
    """A :func:`bench.interleaved.crawl_pairs` result: per pair the crawl's (cpu_s, mock_cpu_s) and
    the ceiling's (cpu_s, articles_per_s)."""
    pairs = [
        {
            "crawl": {"article_pages": pages, "cpu_s": c, "mock_cpu_s": m},
            "ceiling": {"article_pages": pages, "cpu_s": cc, "articles_per_s": rate},
        }
        for (c, m), (cc, rate) in zip(crawls, ceilings)
    ]
    return {
        "pairs": pairs,
        "ceiling_articles_per_s": spread([p["ceiling"]["articles_per_s"] for p in pairs]),
        "ratio_to_ceiling": spread([ratio] * len(pairs)),
    }


def test_the_start_up_drops_out_and_the_medians_are_taken():
    # 1,000 → 11,000 pages; each run pays 2 s of start-up; 3 ms of crawl and 0.5 ms of mock per page;
    # one pair of each size is an outlier the median leaves out
    small = _entry(1000, [(5.0, 0.5), (5.0, 0.5), (9.0, 3.0)], [(3.0, 400), (3.0, 400), (3.0, 400)], 0.5)
    large = _entry(11000, [(35.0, 5.5), (35.0, 5.5), (1.0, 0.1)], [(13.0, 500), (13.0, 500), (13.0, 500)], 0.6)
    got = cpu_bound(small, large, cpus=2)
    assert got["crawl_ms_per_article"] == pytest.approx(3.0)
    assert got["mock_ms_per_article"] == pytest.approx(0.5)
    assert got["ceiling_ms_per_article"] == pytest.approx(1.0)
    assert got["articles_per_s"] == pytest.approx(2 / 0.0035)  # 571 articles/s with both cores busy
    assert got["ratio_to_ceiling"] == pytest.approx(2 / 0.0035 / 500)
    assert got["share_of_bound"] == pytest.approx(0.6 / (2 / 0.0035 / 500))
    assert got["cpus"] == 2


def test_more_cores_allow_more():
    small = _entry(100, [(1.0, 0.1)], [(0.5, 300)], 0.5)
    large = _entry(1100, [(4.0, 0.4)], [(1.5, 300)], 0.5)
    assert cpu_bound(small, large, cpus=4)["articles_per_s"] == pytest.approx(
        2 * cpu_bound(small, large, 2)["articles_per_s"]
    )


@pytest.mark.parametrize(
    "small_pages, large_pages, large_cpu",
    [
        (1000, 1000, 9.0),  # the same size: no pages between them
        (2000, 1000, 9.0),  # the sizes the wrong way round
    ],
)
def test_sizes_that_do_not_grow_are_refused(small_pages, large_pages, large_cpu):
    small = _entry(small_pages, [(5.0, 0.5)], [(3.0, 400)], 0.5)
    large = _entry(large_pages, [(large_cpu, 0.5)], [(3.0, 400)], 0.5)
    with pytest.raises(ValueError, match="no more article pages"):
        cpu_bound(small, large, cpus=2)


def test_no_more_cpu_for_more_pages_is_reported_not_divided_by():
    # a quick run's sizes (40 and 80 pages) can read the same clock ticks
    small = _entry(40, [(3.0, 0.2)], [(2.0, 100)], 0.5)
    large = _entry(80, [(2.9, 0.1)], [(2.0, 100)], 0.5)
    assert set(cpu_bound(small, large, cpus=2)) == {"skipped"}
