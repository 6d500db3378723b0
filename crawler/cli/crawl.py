"""``thepaper-archive crawl``: walk the lists and archive every new or changed article."""

from __future__ import annotations

import sys

from crawler import heap
from crawler import settings as defaults
from crawler.cli.errors import UsageError, error_line
from crawler.cli.options import (
    add_crawl,
    date_or_time,
    non_negative_float,
    non_negative_int,
    numeric_ids,
    positive_float,
)
from crawler.cli.spider_run import (
    build_settings,
    early_worker,
    exit_code_for,
    failure_lines,
    run_spider,
    spider_lock,
    summary_line,
)


def register(sub) -> None:
    sp = sub.add_parser("crawl", help="walk the channel/column lists and archive every article")
    add_crawl(sp)
    sp.add_argument(
        "--channels",
        nargs="+",
        type=numeric_ids,
        help=f"channel ids for getByChannelId (default {' '.join(defaults.THEPAPER_CHANNELS)})",
    )
    sp.add_argument(
        "--nodes",
        nargs="+",
        type=numeric_ids,
        help=f"column ids for getByNodeIdPortal (default {' '.join(defaults.THEPAPER_NODES)})",
    )
    sp.add_argument(
        "--max-articles",
        type=non_negative_int,
        metavar="N",
        help="stop after scheduling N article pages (0: no limit, the default)",
    )
    sp.add_argument("--full", action="store_true", help="walk every list to its end (backfill), ignoring cursors")
    sp.add_argument(
        "--since",
        type=date_or_time,
        help="walk every list back to this date (YYYY-MM-DD, Beijing time) and store only "
        "articles published at or after it",
    )
    sp.add_argument("--refetch", action="store_true", help="fetch listed articles even when stored and unchanged")
    sp.add_argument(
        "--no-keywords",
        action="store_true",
        help="store the articles without their keywords (a faster backfill; "
        "`reprocess --keywords-only` computes them later)",
    )
    sp.add_argument(
        "--overlap-hours",
        type=non_negative_float,
        metavar="H",
        help=f"page this far past the last run's newest article (default {defaults.THEPAPER_OVERLAP_HOURS:g})",
    )
    sp.add_argument(
        "--max-runtime",
        type=positive_float,
        metavar="SECONDS",
        help="stop the run after this long (status partial; the next run resumes)",
    )
    sp.add_argument(
        "-O",
        "--output",
        metavar="FILE",
        help="then write the run's new and updated articles to FILE, as export does (format from "
        "the extension: .jsonl .csv .parquet .xlsx), written whole or not at all",
    )
    sp.add_argument(
        "--redis", metavar="URL", help="distributed mode: share the article queue in Redis (redis://host:port/db)"
    )
    sp.add_argument(
        "--role",
        choices=["walker", "worker"],
        default="walker",
        help="with --redis: walk the lists and queue articles (walker) or fetch queued articles (worker)",
    )
    sp.set_defaults(func=run)


def recovery_hint(stats, db: str | None) -> str:
    """What to run once the cleaner knows the new layout: re-clean every page fetched since the
    run began (the archive named as the user did, a PostgreSQL URL without its password)."""
    from storage.db import display_url, resolve_db_url

    started = stats.get("start_time")
    if started is None:
        return ""
    where = f" --db {display_url(resolve_db_url(db))}" if db else ""
    return (
        f"; once the cleaner is fixed, re-clean this run's pages with: thepaper-archive reprocess{where} "
        f"--fetched-since {started.replace(microsecond=0).isoformat()}"
    )


def _check_output(args, db: str | None) -> str | None:
    """The format of ``-O`` (before the run: a wrong name is one line, at once)."""
    from crawler.cli.export import format_of
    from crawler.cli.output import check_writable

    if not args.output:
        return None
    if args.output == "-":
        raise UsageError("-O needs a file name (the run's summary and progress go to the terminal)")
    if args.redis and args.role == "worker":
        raise UsageError("-O belongs to the walker of a distributed crawl, not to a worker")
    fmt = format_of(args.output, None)
    if fmt == "warc":
        raise UsageError("-O writes articles; the raw pages as WARC: thepaper-archive export --format warc")
    check_writable(args.output, db)
    return fmt


def export_run(output: str, fmt: str, db: str | None, run_id: int) -> None:
    """The run's new and updated articles (changed since it started) to ``output``."""
    from crawler.cli.output import atomic_output
    from storage.db import open_archive
    from storage.export import BINARY_FORMATS, export
    from storage.models import CrawlRun

    engine, Session = open_archive(db)
    try:
        with Session() as session:
            run = session.get(CrawlRun, run_id)
            if run is None:  # the run's own row: only a changed archive loses it
                raise LookupError(f"run {run_id} is not in the archive {db}")
            started = run.started_at
            with atomic_output(output, binary=fmt in BINARY_FORMATS, archive_url=db) as out:
                n = export(session, fmt, out, updated_since=started)
    finally:
        engine.dispose()
    print(f"exported the run's {n} new and updated articles to {output} ({fmt})", file=sys.stderr)


def run(args) -> int:
    with heap.less_often():  # from the first import of the crawl's: see crawler.heap
        return _crawl(args)


def _crawl(args) -> int:
    settings = build_settings(args)
    output_format = _check_output(args, settings.get("THEPAPER_DB_URL") or None)
    if args.full:
        settings.set("THEPAPER_FULL", True, priority="cmdline")
    if args.since:
        from crawler.incremental import parse_since

        try:
            parse_since(args.since)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        settings.set("THEPAPER_SINCE", args.since, priority="cmdline")
    if args.refetch:
        settings.set("THEPAPER_REFETCH", True, priority="cmdline")
    if args.no_keywords:
        settings.set("THEPAPER_KEYWORDS", False, priority="cmdline")
    if args.overlap_hours is not None:
        settings.set("THEPAPER_OVERLAP_HOURS", args.overlap_hours, priority="cmdline")
    if args.max_runtime is not None:
        settings.set("CLOSESPIDER_TIMEOUT", args.max_runtime, priority="cmdline")
    if args.redis:
        from crawler.distributed import apply_settings, redis_unreachable

        try:
            problem = redis_unreachable(args.redis)
        except ValueError as exc:
            raise UsageError(f"--redis: {exc}") from None
        if problem:
            from crawler.cli.errors import Unreachable

            raise Unreachable(problem)
        apply_settings(settings, args.redis, args.role)
    with early_worker(settings):
        if args.redis and args.role == "worker":
            from storage.db import open_archive

            open_archive(settings.get("THEPAPER_DB_URL") or None, create=True)[0].dispose()  # errors: one line, first
            state, stats = run_spider(settings)  # any number of workers: no run lock
        else:
            with spider_lock(settings):
                state, stats = run_spider(settings)
    if state.fatal:
        error_line(state.fatal)
    if state.alarm:  # the layout-drift alarm (exit code 7), and the way back
        error_line(state.alarm + recovery_hint(stats, args.db))
    for line in failure_lines(state):
        print(line, file=sys.stderr)
    print(summary_line(state, stats), file=sys.stderr)
    if output_format and state.run_id:
        export_run(args.output, output_format, settings.get("THEPAPER_DB_URL") or None, state.run_id)
    return exit_code_for(state, stats)
