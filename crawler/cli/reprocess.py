"""``thepaper-archive reprocess``: clean the raw archive again with the current code, without network."""

from __future__ import annotations

import os
import sys
from collections import Counter
from contextlib import suppress
from typing import Any

from crawler.cli.errors import EXIT_OK, UsageError
from crawler.cli.options import add_db, date_or_time, db_url, positive_int
from crawler.listapi import comma_list


def register(sub) -> None:
    sp = sub.add_parser("reprocess", help="clean the raw archive again with the current code (no network)")
    add_db(sp)
    sp.add_argument(
        "--since", type=date_or_time, help="only articles published (or pages fetched) on or after this date"
    )
    sp.add_argument(
        "--fetched-since",
        type=date_or_time,
        metavar="TIME",
        help="instead: the latest page of every article fetched at or after this day (YYYY-MM-DD, "
        "Asia/Shanghai) or ISO time, stored or failed (after a layout drift: the alarm line "
        "names the time)",
    )
    sp.add_argument("--cont-id", nargs="+", help="only these article ids")
    sp.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="processes that clean pages (default: the number of CPUs; 1 cleans in this process)",
    )
    sp.add_argument(
        "--keywords-only",
        action="store_true",
        help="only compute the keywords of the articles stored without them (a crawl with "
        "--no-keywords), from their stored text; no raw page is cleaned again",
    )
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    # quick_exit: the run closes its archive connections (the run lock's engine; the workers' end with them)
    sp.set_defaults(func=run, quick_exit=True)


def run(args) -> int:
    from crawler import heap

    with heap.less_often():  # as the crawl's (crawler.heap); the cleaners forked inside inherit it
        return _reprocess(args)


def _reprocess(args) -> int:
    from jobs.reprocess import reprocess_archive
    from storage.runs import RunLockHeld, RunRecord, outcome_status

    since = None
    if args.since:
        from datetime import datetime, timezone

        from crawler.incremental import parse_since

        try:
            since = datetime.fromtimestamp(parse_since(args.since) / 1000, tz=timezone.utc)
        except (ValueError, OverflowError, OSError):  # before the epoch's range: everything
            since = None
    if args.since and args.fetched_since:
        raise UsageError("--since (publication) and --fetched-since (fetch) both choose the pages: give one")
    fetched_since = None
    if args.fetched_since:
        from storage.export import parse_bound

        fetched_since = parse_bound(args.fetched_since, end=False)
    cont_ids = comma_list(args.cont_id) if args.cont_id else None
    if cont_ids and not all(c.isdigit() for c in cont_ids):
        raise UsageError(f"--cont-id expects numeric ids, got {' '.join(cont_ids)}")
    jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError(f"--jobs expects a number of processes of at least 1, got {jobs}")

    seen: Counter[str] = Counter()  # what a run stopped midway had done; its "pages" cleaned
    pages = 0

    def progress(counts: Counter[str], done: int, total: int) -> None:
        nonlocal seen, pages
        seen, pages = counts, done
        if not args.quiet:
            print(
                f"[thepaper-archive] reprocessed {done:,} of {total:,} raw pages ({done / total:.0%})",
                file=sys.stderr,
                flush=True,
            )

    if args.keywords_only:
        if fetched_since is not None:
            raise UsageError(
                "--keywords-only reads the stored articles, not the pages: --since or --cont-id choose them"
            )
        return keywords_only(args, since, cont_ids)
    run_args = {"since": args.since, "cont_ids": cont_ids, "jobs": jobs}
    with RunLockHeld(db_url(args), "crawl") as lock:  # the archive must exist
        run = RunRecord.open(lock.Session, "reprocess", run_args)
        try:
            counts = reprocess_archive(
                lock.Session,
                since=since,
                cont_ids=[int(c) for c in cont_ids] if cont_ids else None,
                fetched_since=fetched_since,
                jobs=jobs,
                progress=progress,
            )
        except BaseException as exc:  # a signal, a worker that died: the run is aborted, its row says so
            with suppress(Exception):
                run.finish("aborted", _counters(seen, pages), _why(exc))
            raise
        run.finish(
            outcome_status(done=True, error=None, failed=counts.get("failed", 0)),
            _counters(counts, pages),
            "finished",
        )
    print(f"reprocess: run {run.id}: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in RUN_KEYS), file=sys.stderr)
    return EXIT_OK


def keywords_only(args, since, cont_ids) -> int:
    """``reprocess --keywords-only`` (:mod:`jobs.keywords`), under the archive's run lock."""
    from jobs.keywords import fill_keywords
    from storage.runs import RunLockHeld

    def progress(counts, done, total):
        if not args.quiet:
            print(
                f"[thepaper-archive] keywords of {done:,} of {total:,} articles ({done / total:.0%})", file=sys.stderr
            )

    with RunLockHeld(db_url(args), "crawl") as lock:
        ids = [int(c) for c in cont_ids] if cont_ids else None
        counts = fill_keywords(lock.Session, since=since, cont_ids=ids, progress=progress)
    print(f"reprocess --keywords-only: updated {counts['updated']}, unchanged {counts['unchanged']}", file=sys.stderr)
    return EXIT_OK


#: The outcomes a reprocess run counts (``crawl_runs.counters``), beside ``pages`` and ``failures``.
RUN_KEYS = ("new", "updated", "unchanged", "kept_original", "failed")


def _counters(counts: Counter[str], pages: int) -> dict[str, Any]:
    """The run row's counters: the outcomes, the raw pages cleaned, the failures by reason."""
    from storage.runs import run_counters

    return run_counters(counts, RUN_KEYS, by_reason={"failures": "failed"}, pages=pages)


def _why(exc: BaseException) -> str:
    from crawler.cli.errors import Terminated

    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by SIGINT (Ctrl-C)"
    if isinstance(exc, Terminated):
        return "stopped by SIGTERM"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
