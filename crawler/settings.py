"""Scrapy settings for the thepaper-archive project.

Defaults are polite settings for the real site (robots.txt obeyed, about 3 s
between requests, AutoThrottle, retries with exponential backoff). Every setting
here can be overridden, in this order of precedence: on the command line
(``-s NAME=VALUE``, ``thepaper-archive crawl`` options, a profile: see
:data:`PROFILES`), by an environment variable of its name, in the TOML config file
(``--config``, ``$THEPAPER_CONFIG`` or ``./thepaper-archive.toml``); see
:mod:`crawler.config`, which reads every UPPER_CASE name defined here.
"""

BOT_NAME = "thepaper"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- The site -------------------------------------------------------------
#: Article pages (``/newsDetail_forward_<id>``), channel and column pages.
THEPAPER_SITE_URL = "https://www.thepaper.cn"
#: The JSON list API (``/contentapi/nodeCont/...``).
THEPAPER_API_URL = "https://api.thepaper.cn"
#: Channels walked through ``getByChannelId`` (119908 = 科技).
THEPAPER_CHANNELS = ["119908"]
#: Columns walked through ``getByNodeIdPortal``: the 科技 columns and 10%公司.
THEPAPER_NODES = ["27234", "119445", "119447", "119448", "119449", "25434"]
#: Items per list page asked of the API.
THEPAPER_PAGE_SIZE = 20
#: Stop scheduling article pages after this many (0 = no limit).
THEPAPER_MAX_ARTICLES = 0
#: Stop walking a list after this many pages (guards against a cursor that never ends).
THEPAPER_MAX_LIST_PAGES = 10000
#: Database URL (SQLAlchemy); empty = $THEPAPER_ARCHIVE_DB or ./data/archive.sqlite3.
#: In the environment it is THEPAPER_ARCHIVE_DB (or THEPAPER_DB_URL).
THEPAPER_DB_URL = ""
#: The TOML config file of settings (empty: $THEPAPER_CONFIG, else ./thepaper-archive.toml if present).
THEPAPER_CONFIG = ""
#: Incremental crawls: a list is paged back to the newest article of the last
#: complete walk minus this overlap, so that late title edits are seen.
THEPAPER_OVERLAP_HOURS = 24.0
#: Walk every list to its end (backfill), ignoring the cursors.
THEPAPER_FULL = False
#: Walk every list back to this date (YYYY-MM-DD, Beijing time), ignoring the cursors.
THEPAPER_SINCE = ""
#: Fetch listed articles even when stored and unchanged.
THEPAPER_REFETCH = False
#: Retry, at the start of a run, the articles whose failure retry time has come.
THEPAPER_RETRY_FAILURES = True
#: Failed articles are retried after base * 2**(attempts-1) seconds: the base.
THEPAPER_FAILURE_RETRY_BASE_S = 900
#: A failed article is marked dead (no more retries) after this many attempts.
THEPAPER_FAILURE_MAX_ATTEMPTS = 5
#: A lock held by a run whose heartbeat is older than this is stale (taken over).
THEPAPER_LOCK_STALE_S = 600
#: Name of the run lock the CLI holds during a crawl (empty: no heartbeat).
THEPAPER_LOCK_NAME = ""
#: Seconds between refreshes of the run lock's heartbeat.
THEPAPER_LOCK_HEARTBEAT_S = 30.0
#: Give up the run when this many requests failed (refused, timed out...) before any
#: response arrived (the site or the network is down): 2 timeouts of 20 s, within a minute.
THEPAPER_UNREACHABLE_AFTER = 2
#: After the site answered: stop the run (exit 3, the next run resumes) after this many
#: connection failures without an answer (refused, DNS, no route; 0 = never) ...
THEPAPER_OUTAGE_AFTER = 10
#: ... or when most recent requests failed (a site that accepts connections and no longer
#: answers): the window is the last this many requests (each by its latest outcome); only first
#: attempts count as failures (retries of a few pages that always hang do not stop a run), and
#: the failures must come in more than one wave (one stall of the requests in flight is no outage).
THEPAPER_OUTAGE_WINDOW = 20
#: ... made in the last this many seconds: it must hold THEPAPER_OUTAGE_MIN_FAILURES timeouts in
#: a row at the polite pace (DOWNLOAD_TIMEOUT 20 s plus the 3 s delay: 3 end within 46 s), and
#: forgets the answers before the site hung: a polite crawl stops about a minute after it hangs.
THEPAPER_OUTAGE_WINDOW_S = 60.0
#: ... at least this many of which failed (0 = never) ...
THEPAPER_OUTAGE_MIN_FAILURES = 3
#: ... and they are this share of the window or more.
THEPAPER_OUTAGE_SHARE = 0.6

# --- The address guard (crawler/addresses.py) ------------------------------
#: Every connection's host is resolved and checked here: the site's and the API's
#: configured endpoints are allowed, any other host only on public addresses.
TWISTED_DNS_RESOLVER = "crawler.addresses.AddressGuardResolver"
#: The callable ``(host, port) -> [address, ...]`` the guard resolves names with.
THEPAPER_RESOLVE = "crawler.addresses.system_resolve"
#: Allow loopback, private and link-local addresses for every host (``import --allow-private``).
THEPAPER_ALLOW_PRIVATE = False

# --- Politeness ------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36 thepaper-archive/0.3"
)
DOWNLOAD_DELAY = 3.0
#: ±50% random variation of the delay (Scrapy 2.19; before it, RANDOMIZE_DOWNLOAD_DELAY does the same).
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 1
#: Bytes of responses the item pipelines may hold at once (Scrapy's default: 5 MB). Items wait
#: for their batch to be committed; ~100 article pages in flight keep the writer busy, and a
#: fast crawl's memory stays flat (bench: peak RSS +7 % from 2,000 to 20,000 articles, not +12 %).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
#: Scrapy checks every callback for ``return value`` in a generator by parsing its source; its
#: cache is keyed weakly by the callable, and a bound method is a new object per response, so
#: it parsed the spider's source on every response (4 % of the crawl's reactor time). The
#: spider's callbacks are tested; the check is off.
WARN_ON_GENERATOR_RETURN_VALUE = False
#: Scrapy's in-memory stats without the Python ``__getattribute__`` hook of its collector
#: (Scrapy 2.19: it only warns about a deprecated ``spider`` argument): ~27 stats calls per
#: article page, each ~20 times cheaper (``crawler.stats``). The same stats.
STATS_CLASS = "crawler.stats.CrawlStats"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
#: Scrapy's remote control (2.19+, on by default): an HTTP server on localhost, started with every
#: crawl, that runs the Python code sent to it, with a token it writes to a job file in the user's
#: state directory (left there when a crawl is killed). The archive's crawl has no use for it.
REMOTE_CONTROL_ENABLED = False

# --- Faults and limits -----------------------------------------------------
DOWNLOAD_TIMEOUT = 20
#: The most decompressed bytes of one response.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [403, 408, 429, 500, 502, 503, 504, 522, 524]
#: Giving up is an expected outcome (the failure is recorded): ERROR is kept for bugs.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
#: Exponential backoff before a retry: base * 2**(attempt-1) seconds, capped; a
#: ``Retry-After`` header, when larger, wins. The base.
THEPAPER_RETRY_BACKOFF_BASE = 2.0
#: The cap of the backoff before a retry, in seconds.
THEPAPER_RETRY_BACKOFF_MAX = 120.0

#: Spider middlewares the spider has no use for, off: every one wraps every callback's output
#: (21 requests per list page, an item per article page) in one more async generator, on the
#: reactor thread. DepthMiddleware only counts depths (no DEPTH_LIMIT, no depth priority);
#: MetaCopyDetectionMiddleware warns about meta keys copied from responses, which the spider
#: does not do (it builds every request's meta).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "crawler.middlewares.StopOnUnwritableArchive": 45,
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.BackoffDelayMiddleware": 560,
    "crawler.middlewares.CircuitBreakerMiddleware": 590,
    "crawler.addresses.AddressGuardMiddleware": 605,  # after the offsite check, before redirects
    "crawler.middlewares.OffsiteRedirectMiddleware": 610,
    "crawler.middlewares.UnreachableGuardMiddleware": 950,
}
#: Circuit breaker against blocks (429, WAF 403; crawler/middlewares.py): it watches the
#: last this many responses ...
THEPAPER_BREAKER_WINDOW = 20
#: ... and trips when at least this many of them are blocks ...
THEPAPER_BREAKER_MIN_EVENTS = 8
#: ... and the blocks are this share of the window or more.
THEPAPER_BREAKER_THRESHOLD = 0.5
#: A trip pauses the engine this many seconds (doubled at each further trip).
THEPAPER_BREAKER_COOLDOWN_S = 60.0
#: A trip doubles the download delay, to at least this many seconds.
THEPAPER_BREAKER_MIN_DELAY_S = 5.0
#: After this many trips the run is closed as blocked (exit code 5).
THEPAPER_BREAKER_MAX_TRIPS = 3
#: Stop a run after this many seconds (0 = no limit); the next run resumes.
CLOSESPIDER_TIMEOUT = 0

EXTENSIONS = {
    # Opens the run on spider_opened; counts, judges drift and finishes it on spider_closed.
    "crawler.runrecorder.RunRecorder": 100,
    "crawler.extensions.Progress": 500,
    "crawler.extensions.LockHeartbeat": 510,
    "crawler.alerts.AlertCommand": 520,
    "crawler.extensions.QuietLogs": 530,
}
#: Seconds between progress lines on stderr when it is not a terminal (0 = no progress, as
#: with -q); on a terminal a live bar is redrawn twice a second.
THEPAPER_PROGRESS_INTERVAL = 10.0
#: Seconds before the first progress line or bar.
THEPAPER_PROGRESS_FIRST_S = 1.0
#: A traceback logged during a crawl goes to a file of its own, the log line names it
#: (``thepaper-archive`` sets it, unless --debug; ``scrapy crawl`` logs tracebacks as usual).
THEPAPER_TRACEBACK_FILES = False
#: The environment and the config file for ``scrapy crawl`` too (crawler/config.py).
ADDONS = {"crawler.config.LayeredSettings": 0}

# --- Distributed mode (crawler/distributed.py, crawl --redis) ---------------
#: Set by ``crawl --role``: "walker" or "worker" (empty: a single process).
THEPAPER_ROLE = ""
#: A worker silent this long is presumed dead; its requests are requeued.
THEPAPER_REDIS_WORKER_TTL_S = 60.0
#: Lifetime of the queue, the in-flight hash and a run's duplicate filter without use.
THEPAPER_REDIS_TTL_S = 7 * 86400
#: How long a worker waits for a first walker.
THEPAPER_REDIS_WAIT_S = 10.0
#: How often a worker polls an empty queue.
THEPAPER_REDIS_POLL_S = 0.2
#: The walker run's id, naming its duplicate filter (empty: the start time in ms).
THEPAPER_REDIS_RUN = ""

# --- Field coverage and the layout-drift alarm (crawler/drift.py) ---------------
#: A run is compared with the crawl runs that ended ok/partial in this many days before it.
THEPAPER_COVERAGE_WINDOW_DAYS = 30.0
#: Alarm when a field's share, for one content type, falls by more than this (0.20 = 20 points) ...
THEPAPER_ALARM_FIELD_DROP = 0.20
#: ... or the share of article pages ending as unknown_layout, empty_article or truncated_page
#: rises by more than this (0.10 = 10 points) ...
THEPAPER_ALARM_FAILURE_RISE = 0.10
#: ... judged only on at least this many articles of that type (pages, for failures) in the run
#: and in the baseline ...
THEPAPER_ALARM_MIN_ARTICLES = 20
#: ... and only when the change exceeds this many standard errors of the baseline share (chance).
THEPAPER_ALARM_Z = 3.0
#: Shell command run when the alarm fires: $1 is the alarm's line, $2 a JSON file of the figures
#: (also in $THEPAPER_ALERT_TEXT and $THEPAPER_ALERT_FILE). Empty: none.
THEPAPER_ALERT_CMD = ""
#: The alert command is stopped after this many seconds.
THEPAPER_ALERT_TIMEOUT_S = 60.0

#: Pipelines: items are committed in batches of this many by one writer thread.
THEPAPER_WRITE_BATCH = 200
#: Clean and store the items in a second process (uses the second core on fast
#: backfills; the polite crawl does not need it). The crawl's own process then has no
#: CleanStage (not configured: Scrapy's list of enabled item pipelines leaves it out).
THEPAPER_PIPELINE_WORKER = False
#: Compute each article's keywords while cleaning it (``crawl --no-keywords`` sets False: the
#: articles are stored without keywords, and ``reprocess --keywords-only`` computes them later,
#: the same words). On by default: measured, they cost a fast crawl about a tenth of its rate
#: (bench/README.md), and a polite crawl nothing it notices.
THEPAPER_KEYWORDS = True

ITEM_PIPELINES = {
    "pipelines.stages.ArchiveStage": 100,
    "pipelines.stages.CleanStage": 300,
    "pipelines.stages.ValidateStage": 500,
    "pipelines.persist.PersistStage": 900,
}

#: Scrapy's log level for ``scrapy crawl``; ``thepaper-archive`` shows WARNING and above unless
#: -v, --log-level or a LOG_LEVEL from the environment or the config file says otherwise.
LOG_LEVEL = "INFO"
#: Scrapy's per-response and per-item DEBUG messages are made only at LOG_LEVEL DEBUG, and name an
#: item by its kind and URL, not its raw body (``crawler.logformat``: a tenth of a fast crawl's reactor).
LOG_FORMATTER = "crawler.logformat.QuietLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
#: Feed exports (``scrapy crawl thepaper -O items.jsonl``) write the clean article records,
#: not the raw pages the pipelines carry (crawler/feeds.py).
FEED_EXPORTERS = {
    "json": "crawler.feeds.JsonRecordExporter",
    "jsonlines": "crawler.feeds.JsonLinesRecordExporter",
    "jsonl": "crawler.feeds.JsonLinesRecordExporter",
    "jl": "crawler.feeds.JsonLinesRecordExporter",
    "csv": "crawler.feeds.CsvRecordExporter",
    "xml": "crawler.feeds.XmlRecordExporter",
    "marshal": "crawler.feeds.MarshalRecordExporter",
    "pickle": "crawler.feeds.PickleRecordExporter",
}

#: Named bundles of overrides, chosen with ``thepaper-archive crawl --profile``.
PROFILES = {
    # Polite defaults for the real site.
    "polite": {},
    # For the local mock in tests and by hand: no delays, robots.txt still obeyed.
    "mock": {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "THEPAPER_RETRY_BACKOFF_BASE": 0.1,
        "THEPAPER_RETRY_BACKOFF_MAX": 2.0,
        "THEPAPER_BREAKER_COOLDOWN_S": 1.0,
        "THEPAPER_BREAKER_MIN_DELAY_S": 0.1,
        "DOWNLOAD_TIMEOUT": 10,
    },
    # Benchmarks: as fast as the code allows.
    "bench": {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "CONCURRENT_ITEMS": 8,
        "THEPAPER_PIPELINE_WORKER": True,
        "THEPAPER_RETRY_BACKOFF_BASE": 0.1,
        "THEPAPER_RETRY_BACKOFF_MAX": 2.0,
        "LOG_LEVEL": "WARNING",
    },
}
