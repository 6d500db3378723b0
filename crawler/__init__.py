"""The Scrapy project: navigation, politeness, the command line.

* :mod:`crawler.spiders.thepaper` — the spider: walks the list API, fetches article pages,
  hands every response raw to the item pipelines.
* :mod:`crawler.settings` — every setting and its default, and the profiles.
* :mod:`crawler.middlewares` (retry backoff, circuit breaker, offsite redirects, unreachable
  guard), :mod:`crawler.extensions` (progress, lock heartbeat), :mod:`crawler.alerts` (the
  layout-drift alarm's hook, ``THEPAPER_ALERT_CMD``), :mod:`crawler.distributed`
  (scale-out on scrapy-redis).
* :mod:`crawler.listapi` (the JSON list API), :mod:`crawler.incremental` (how far to page,
  what to fetch), :mod:`crawler.addresses` (loopback/private host checks).
* :mod:`crawler.cli` — ``thepaper-archive``, one module per command.

May use: ``pipelines``, ``storage``, ``domain`` (and, in the ``mock`` command, ``mocksite``).
Nothing below imports it.
"""
