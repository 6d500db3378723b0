"""The crawl's worker process's arguments (``THEPAPER_PIPELINE_WORKER``), read from the settings in
one place: :class:`pipelines.persist.PersistStage` starts the worker with them, and ``crawl`` starts
it with the same ones before Scrapy does (:func:`crawler.cli.spider_run.early_worker`), so that the
stage finds it running."""

from __future__ import annotations

from functools import partial
from typing import Any

from cleaning.page import clean_page, load_chain


def worker_arguments(settings) -> dict[str, Any]:
    """``storage.worker.ProcessWriter``'s keyword arguments for a crawl with ``settings``: its
    batch size, the cleaning function, whether records come back (a feed export wants them), and
    what it loads while it waits for its first page (the cleaning chain; the keyword stage when on)."""
    return {
        "max_batch": settings.getint("THEPAPER_WRITE_BATCH"),
        "clean": clean_page,
        "keep_records": bool(settings.getdict("FEEDS")),
        "warm": partial(load_chain, keywords=settings.getbool("THEPAPER_KEYWORDS")),
    }
