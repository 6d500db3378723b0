"""Batch jobs over the archive, outside a Scrapy crawl.

* :mod:`jobs.reprocess` — the raw archive cleaned again;
* :mod:`jobs.warc_in` — captures from WARC files cleaned into the crawl's save path.

Each run of a job is a row of ``crawl_runs``, written by its command with the one run-record
helper of every run, :class:`storage.runs.RunRecord` (``docs/runs.md``).

May use: ``cleaning``, ``storage`` and ``domain``. Never ``pipelines`` or ``crawler``.
"""
