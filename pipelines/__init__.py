"""The crawl's item pipelines: thin Scrapy adapters over :mod:`cleaning` and the storage writers.

* :mod:`pipelines.scrapy_stages` — the item pipelines; :mod:`pipelines.run_stop` — ending a
  crawl early, for every guard.
* :mod:`pipelines.coverage` — a crawl's field coverage counted in its stats;
  :mod:`pipelines.drift` — the layout-drift monitors that compare it with the trailing coverage.

May use: ``cleaning``, ``storage`` and ``domain``. Never ``crawler``.
"""
