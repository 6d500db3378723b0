"""The Scrapy project: navigation, politeness, the command line.

* :mod:`crawler.spiders.thepaper` — the spider: walks the list API, fetches article pages,
  hands every response raw to the item pipelines.
* :mod:`crawler.settings` — every setting and its default, and the profiles;
  :mod:`crawler.config` — the same settings from the environment and a TOML file.
* :mod:`crawler.runrecorder` — the run recorder extension: opens the run's row on
  ``spider_opened``; on ``spider_closed`` counts, judges coverage and layout drift
  (:mod:`crawler.drift`, the monitors), finishes the run and fires the alarm.
  :mod:`crawler.run_stop` — ending a crawl early, the one way every guard does it.
* :mod:`crawler.middlewares` (retry backoff, circuit breaker, offsite redirects, unreachable
  and outage guard, a stop when the archive cannot be written), :mod:`crawler.outage` (the
  outage rule), :mod:`crawler.extensions` (progress, quiet logs, lock heartbeat),
  :mod:`crawler.alerts` (the layout-drift alarm's hook, ``THEPAPER_ALERT_CMD``),
  :mod:`crawler.distributed` (scale-out on scrapy-redis), :mod:`crawler.feeds` (feed exports
  of the clean records).
* :mod:`crawler.progress` — how far a run is: plain lines, or a live bar on a terminal.
* :mod:`crawler.listapi` (the JSON list API), :mod:`crawler.incremental` (how far to page,
  what to fetch), :mod:`crawler.addresses` (the address guard: the reactor's resolver and its
  downloader middleware).
* :mod:`crawler.cli` — ``thepaper-archive``, one module per command.

May use: ``pipelines``, ``jobs``, ``cleaning``, ``storage``, ``domain`` (and, in the ``mock`` command, ``mocksite``).
Nothing below imports it.
"""
