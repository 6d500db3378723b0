"""The crawl's item pipelines: thin Scrapy adapters over :mod:`cleaning` and the storage writers.

* :mod:`pipelines.stages` — archive, clean, validate; :mod:`pipelines.persist` — the last
  stage, every item handed to the crawl's single writer.
* :mod:`pipelines.run_state` — the crawl's typed run state (stop reason, the one fatal line,
  status, counters), shared with the runtime above (``crawler``: the run recorder, the
  middlewares, the spider, the command line) instead of string keys in Scrapy's stats.
* :mod:`pipelines.coverage` — a crawl's field coverage, counted as its pages are stored.

The run row itself (opened, judged for drift, finished) is the run recorder extension's
(``crawler.runrecorder``), not a stage's.

May use: ``cleaning``, ``storage`` and ``domain``. Never ``crawler``.
"""
