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


def test_cycles_made_during_a_crawl_are_collected_without_being_asked():
    """The young threshold is higher, not off: garbage cycles made in the run are freed by the
    collector itself once a threshold's worth of allocations accumulates (bounded memory)."""
    import weakref

    class Node:
        pass

    freed = []
    with heap.less_often():
        for _ in range(3 * heap.THRESHOLDS[0]):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle: reference counting alone never frees it
            weakref.finalize(a, freed.append, 1)
            del a, b
        assert len(freed) >= heap.THRESHOLDS[0] // 2
