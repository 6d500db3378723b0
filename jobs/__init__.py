"""Batch jobs over the archive, outside a Scrapy crawl.

* :mod:`jobs.reprocess` — the raw archive cleaned again;
* :mod:`jobs.warc_in` — captures from WARC files cleaned into the crawl's save path.

May use: ``cleaning``, ``storage`` and ``domain``. Never ``pipelines`` or ``crawler``.
"""
