"""Running the spider from a command: Scrapy settings from the options, the run lock,
the summary line and the exit code of a finished run."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.cli.errors import (
    EXIT_BLOCKED,
    EXIT_DEGRADED,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_UNREACHABLE,
    PROG,
    SIGNAL_EXIT,
    UsageError,
)
from domain.hosts import BadHostError, address_kind, host_port, ip_literal, is_localhost_name
from crawler.listapi import comma_list

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from pipelines.run_state import RunState

#: The command line's log level unless -v, -q, --log-level or a LOG_LEVEL setting says otherwise:
#: progress, warnings and the summary line; Scrapy's own detail with -v.
CLI_LOG_LEVEL = "WARNING"


def check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) base URL: {value!r}")
    try:
        host_port(value)
    except BadHostError as exc:
        raise UsageError(f"not an http(s) base URL: {value!r} ({exc})") from None
    return value.rstrip("/")


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (``localhost``, a loopback address in any spelling)."""
    host = host_port(url)[0]
    ip = ip_literal(host)
    return is_localhost_name(host) or ip is not None and address_kind(ip) == "loopback"


def build_settings(args) -> Settings:
    """The project's Scrapy settings with the command line's options applied."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.settings import SETTINGS_PRIORITIES
    from scrapy.utils.project import get_project_settings

    from crawler.config import apply

    settings = get_project_settings()
    if getattr(args, "db", None):
        # Also through the environment, for code that resolves the archive without the settings.
        os.environ["THEPAPER_ARCHIVE_DB"] = args.db
        settings.set("THEPAPER_DB_URL", args.db, priority="cmdline")
    if getattr(args, "config", None):
        settings.set("THEPAPER_CONFIG", args.config, priority="cmdline")
    apply(settings, settings.get("THEPAPER_CONFIG") or None)  # the environment and the config file
    if (settings.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["project"]:
        settings.set("LOG_LEVEL", CLI_LOG_LEVEL, priority="project")
    base = getattr(args, "base_url", None)
    profile = getattr(args, "profile", None)
    if base:
        base = check_base_url(base)
        settings.set("THEPAPER_SITE_URL", base, priority="cmdline")
        settings.set("THEPAPER_API_URL", base, priority="cmdline")
        if profile is None and is_loopback_url(base):
            profile = "mock"
    for name in ("site_url", "api_url"):
        value = getattr(args, name, None)
        if value:
            settings.set(f"THEPAPER_{name.upper()}", check_base_url(value), priority="cmdline")
    profiles = settings.getdict("PROFILES")
    if profile:
        if profile not in profiles:
            raise UsageError(f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))})")
        for key, value in profiles[profile].items():
            settings.set(key, value, priority="cmdline")
    if getattr(args, "channels", None) is not None:
        settings.set("THEPAPER_CHANNELS", comma_list(args.channels), priority="cmdline")
    if getattr(args, "nodes", None) is not None:
        settings.set("THEPAPER_NODES", comma_list(args.nodes), priority="cmdline")
    if getattr(args, "max_articles", None) is not None:
        settings.set("THEPAPER_MAX_ARTICLES", args.max_articles, priority="cmdline")
    if getattr(args, "verbose", False):
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    if getattr(args, "quiet", False):
        settings.set("THEPAPER_PROGRESS_INTERVAL", 0, priority="cmdline")
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if getattr(args, "log_level", None):
        settings.set("LOG_LEVEL", args.log_level.upper(), priority="cmdline")
    settings.set("THEPAPER_TRACEBACK_FILES", not getattr(args, "debug", False), priority="cmdline")
    for pair in getattr(args, "set", None) or []:
        if "=" not in pair:
            raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        settings.set(key.strip(), value, priority="cmdline")
    return settings


def run_spider(settings, **spider_args) -> tuple[RunState, dict]:
    """Run the ``thepaper`` spider in this process; return its run's state
    (:class:`pipelines.run_state.RunState`) and its final stats (for display).

    SIGINT and SIGTERM stop the run gracefully (Scrapy's shutdown: what is being fetched is
    stored); the signal is kept in the run's state for the run's message and the exit code
    (130, 143). Python warnings meant for developers (deprecations) are shown
    only at the INFO log level or below."""
    import logging
    import warnings

    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import ScrapyDeprecationWarning

    from crawler import heap

    from pipelines.run_state import run_state  # SQLAlchemy and the models: not for commands that never crawl

    if logging.getLevelName(settings.get("LOG_LEVEL")) in ("WARNING", "ERROR", "CRITICAL"):
        warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)

    class Process(CrawlerProcess):
        def _signal_shutdown(self, signum, frame):
            for c in self.crawlers:
                state = run_state(c)
                if state.signal is None:
                    state.signal = int(signum)
                    c.stats.set_value("thepaper/signal", state.signal)
            super()._signal_shutdown(signum, frame)

    process = Process(settings)
    crawler = process.create_crawler("thepaper")
    process.crawl(crawler, **spider_args)
    # the engine and the modules are built: the collector need not walk them again
    with heap.less_often(), heap.settled():
        process.start()
    return run_state(crawler), crawler.stats.get_stats()


@contextmanager
def early_worker(settings):
    """With ``THEPAPER_PIPELINE_WORKER``, the crawl's worker process started now, before the lock,
    Scrapy and the spider, and stopped afterwards if the crawl never took it: the item pipelines
    built later find it running (:func:`storage.worker.start_early`). Its interpreter, imports and
    cleaning tables (~0.85 s of CPU) then load on the second core while this process imports and
    opens the archive (~1.3 s), instead of in the crawl's first second."""
    if not settings.getbool("THEPAPER_PIPELINE_WORKER"):
        yield
        return
    from pipelines.worker_args import worker_arguments
    from storage.worker import discard_early, start_early

    start_early(**worker_arguments(settings))
    try:
        yield
    finally:
        discard_early()


class spider_lock:
    """The archive's run lock ``name`` around a spider run (:class:`storage.runs.RunLockHeld`);
    the spider's lock heartbeat extension learns the name through the settings."""

    def __init__(self, settings, name: str = "crawl"):
        from storage.runs import RunLockHeld

        self.settings = settings
        self.held = RunLockHeld(
            settings.get("THEPAPER_DB_URL") or None,
            name,
            stale_after_s=settings.getfloat("THEPAPER_LOCK_STALE_S"),
            create=True,
        )

    def __enter__(self):
        self.held.__enter__()
        self.settings.set("THEPAPER_LOCK_NAME", self.held.name, priority="cmdline")
        return self.held

    def __exit__(self, *exc):
        return self.held.__exit__(*exc)


def failure_lines(state: RunState) -> list[str]:
    """One warning per reason of the article pages the run could not store, with the first URLs
    (``thepaper-archive: warning: 83 pages not stored: empty_article (…)``); ``failures`` has the rest."""
    out = []
    for reason, urls in sorted(state.failed_examples.items()):
        count = state.counts.get(f"thepaper/failed/{reason}", len(urls))
        pages = "page" if count == 1 else "pages"
        out.append(
            f"{PROG}: warning: {count} {pages} not stored: {reason} (first: {', '.join(urls)}; "
            f"{PROG} failures --reason {reason} lists them)"
        )
    return out


def summary_line(state: RunState, stats: dict) -> str:
    """The run's one summary line: its outcome (``state``), and Scrapy's figures (``stats``)."""
    from crawler.runrecorder import crawl_counters, run_message

    c = crawl_counters(state.counts, stats)
    why = run_message(state, stats.get("finish_reason") or "")
    if state.alarm:  # the alarm has its own line already (see crawler.alerts)
        why = ""
    return (
        f"run {state.run_id or '?'} {state.status or '?'}" + (f" ({why})" if why and why != "finished" else "") + ": "
        f"new {c['new']}, updated {c['updated']}, unchanged {c['unchanged']}, gone {c['gone']}, "
        f"failed {c['failed']}; {c['articles_fetched']} article pages, {c['list_pages']} list pages"
        + (f" in {stats.get('elapsed_time_seconds', 0):.1f}s" if stats.get("elapsed_time_seconds") else "")
        + (f"; {stats['log_count/ERROR']} errors logged" if stats.get("log_count/ERROR") else "")
        + (f"; {state.drift_note}" if state.drift_note else "")
    )


#: Why a run was stopped early (``RunState.stop_reason``, else Scrapy's finish reason) -> exit code.
STOP_EXIT_CODES = {
    "site_unreachable": EXIT_UNREACHABLE,
    "blocked": EXIT_BLOCKED,
    "archive_unwritable": EXIT_STORAGE,
    "writer_lost": EXIT_STORAGE,
}


def exit_code_for(state: RunState, stats: dict) -> int:
    """The exit code of a finished run: from its state; an error logged (``stats``) is a bug."""
    if state.signal in SIGNAL_EXIT:
        return SIGNAL_EXIT[state.signal]
    reason = state.stop_reason or stats.get("finish_reason")
    if reason in STOP_EXIT_CODES:
        return STOP_EXIT_CODES[reason]
    if state.status in (None, "aborted"):
        return EXIT_ERROR
    if state.status == "degraded":  # the layout-drift alarm fired
        return EXIT_DEGRADED
    if stats.get("log_count/ERROR"):  # a bug somewhere: the log says where
        return EXIT_ERROR
    return EXIT_OK
