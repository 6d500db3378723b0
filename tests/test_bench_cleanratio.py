"""``bench.cleanratio`` runs (no timing is asserted): in this process, and as a file against a
tree (how ``--before DIR`` measures older code)."""

from bench import cleanratio

KEYS = {"pages", "ours_pages_per_cpu_s", "trafilatura_pages_per_cpu_s", "ratio", "wall_ratio", "loadavg"}


def test_mock_pages_are_article_pages_of_every_old_and_new_layout():
    pages = cleanratio.mock_pages(60)
    assert 40 < len(pages) <= 60
    bodies = [body for _, body in pages]
    assert any(b"__NEXT_DATA__" in b for b in bodies)
    assert any(b"news_txt" in b for b in bodies) and any(b"t_newsinfo" in b for b in bodies)


def test_measure_in_this_process_and_in_a_tree():
    here = cleanratio.measure(6, rounds=1)
    assert set(here) == KEYS and here["pages"] == len(cleanratio.mock_pages(6))
    assert here["ratio"] > 0 and here["ours_pages_per_cpu_s"] > 0
    there = cleanratio.in_tree(cleanratio.ROOT, 6, 1)
    assert set(there) == KEYS and there["pages"] == here["pages"]
