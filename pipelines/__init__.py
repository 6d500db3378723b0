"""Cleaning: the pure stages that turn a fetched page into a clean record, and their Scrapy adapters.

* :mod:`pipelines.chain` — the chain of one document: decode → extract → repair → strip →
  metadata; :mod:`pipelines.stages` — the chain plus validation, as the crawl, imports and
  ``reprocess`` call it.
* Pure stages: :mod:`pipelines.binary` (gzip, binary refused, NULs), :mod:`pipelines.decode` (bytes → text), :mod:`pipelines.extract` (one module per
  page layout), :mod:`pipelines.repair` (mojibake, GBK tears, pinyin, Traditional → Simplified,
  punctuation; ``plausible`` scores readings for decode and repair), :mod:`pipelines.boilerplate` (rules as data), :mod:`pipelines.metadata`.
* :mod:`pipelines.scrapy_stages` — the item pipelines, thin adapters over the stages and the
  storage writers; :mod:`pipelines.run_stop` — ending a crawl early, for every guard;
  :mod:`pipelines.reprocess` — the raw archive cleaned again;
  :mod:`pipelines.warc_in` — captures from WARC files cleaned into the crawl's save path.
* :mod:`pipelines.coverage` — a crawl's field coverage counted in its stats;
  :mod:`pipelines.drift` — the layout-drift monitors that compare it with the trailing coverage.

May use: ``storage`` and ``domain``. Never ``crawler``.
"""
