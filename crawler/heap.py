"""The crawl's process and Python's cyclic garbage collector.

A crawl's process holds ~150,000 objects that live as long as the run: the modules of Scrapy,
Twisted, SQLAlchemy and the project, the settings, the engine. Every full collection walked all
of them again (8 times in a crawl of 2,000 articles: ~0.5 s, a tenth of the process's CPU), and
the young generations, collected every 700 allocations from the first import on, cost another
~0.3 s. :func:`less_often` collects the young generation every 20,000 allocations instead (from
the crawl command's start: its imports allocate much and free little). Python counts allocations
minus deallocations: the engine's objects in flight (~6,000-13,000 coroutines, tasks, Deferreds,
requests) rise and fall by thousands, and at 5,000 they set off ~50 young collections in a
crawl of 2,000 articles, each walking all of them (~5 ms: 0.25-0.3 s in all); at 20,000 there
are 2-4 (0.02-0.06 s), the peak memory the same. :func:`settled` moves
what exists once the engine is built into the collector's permanent generation
(:func:`gc.freeze`: not scanned; reference counting still frees what it can) for the run. After
either block all is as before. Nothing a crawl computes changes: cycles are freed a little later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between two collections of the youngest generation (Python's default is 700);
#: then how many collections of one generation before the next is collected (defaults 10, 10).
THRESHOLDS = (20000, 20, 10)


@contextmanager
def less_often() -> Iterator[None]:
    """The collector's :data:`THRESHOLDS` until the block ends, then the ones before."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def settled() -> Iterator[None]:
    """Collect once and freeze what survives until the block ends; then unfreeze (the oldest
    generation has them again)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
