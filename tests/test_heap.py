"""crawler.heap: the collector's settings for a crawl, and all as before after it."""

import gc

from crawler import heap


def test_less_often_and_settled_restore_the_collector():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with heap.less_often(), heap.settled():
        assert gc.get_threshold() == heap.THRESHOLDS
        assert gc.get_freeze_count() > frozen
        kept = []
        kept.append(kept)  # a cycle made during the run is still collected
        del kept
        assert gc.collect() >= 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_less_often_restores_on_error():
    before = gc.get_threshold()
    try:
        with heap.less_often():
            raise RuntimeError("the crawl failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
