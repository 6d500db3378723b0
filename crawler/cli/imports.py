"""``thepaper-archive import``: archive single articles, by URL (any form, mirrors too), id or saved file;
``--warc FILE...``: the article captures of WARC files (:mod:`jobs.warc_in`)."""

from __future__ import annotations

import os
import sys

from crawler.cli.errors import EXIT_OK, UsageError, error_line
from crawler.cli.options import add_crawl, db_url, positive_int
from crawler.cli.spider_run import build_settings, exit_code_for, failure_lines, run_spider, spider_lock, summary_line


def register(sub) -> None:
    sp = sub.add_parser("import", help="archive single articles: URLs, ids, mirror URLs or saved files")
    add_crawl(sp)
    sp.add_argument("targets", nargs="*", help="article URL (any form), bare id, mirror URL, or a file")
    sp.add_argument("--file", help="read targets from this file, one per line ('-' = stdin)")
    sp.add_argument("--url", help="origin URL of a saved file (for its cont_id and mirror host)")
    sp.add_argument(
        "--allow-any-host",
        action="store_true",
        help="accept article paths on hosts that are neither thepaper.cn nor mirrors",
    )
    sp.add_argument(
        "--allow-private",
        action="store_true",
        help="let mirror URLs and redirects reach private or loopback addresses (refused "
        "otherwise, whatever the spelling or the name that resolves to them)",
    )
    sp.add_argument(
        "--warc",
        nargs="+",
        metavar="FILE",
        help="WARC files (.warc or .warc.gz: Common Crawl, Wayback, wget --warc-file): every "
        "thepaper.cn article capture in them, with its capture time",
    )
    sp.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="with --warc: processes that clean the captures (default: the number of CPUs; 1 cleans in this process)",
    )
    sp.set_defaults(func=run)


def _targets(args) -> list[str]:
    values = list(args.targets)
    if args.file:
        if args.file == "-":
            values += _lines(sys.stdin)
        else:
            try:
                with open(args.file, encoding="utf-8") as stream:
                    values += _lines(stream)
            except OSError as exc:
                raise UsageError(f"cannot read --file {args.file}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise UsageError(f"--file {args.file} is not UTF-8 text (one URL or id per line)") from None
    return values


def _names_a_file(value: str) -> bool:
    """A target written as a path (``/x``, ``./x``, ``../x``, ``~/x``), not as a URL or an id."""
    return value.startswith(("/", "./", "../", "~")) or value.startswith(os.sep)


def _lines(stream) -> list[str]:
    return [line.strip() for line in stream if line.strip() and not line.startswith("#")]


def run(args) -> int:
    from domain.hosts import literal_refusal
    from domain.urls import BadURLError, parse_article_ref

    values = _targets(args)
    if args.warc:
        code = _import_warcs(args)
        if not values:
            return code
    if not values:
        raise UsageError("nothing to import: give URLs, ids or files, or --file LIST")
    files, refs = [], []
    for value in values:
        if os.path.exists(value) and not value.isdigit():
            if os.path.isdir(value):
                raise UsageError(f"{value} is a directory (give the saved files, or --file LIST)")
            files.append(value)
            continue
        if _names_a_file(value):
            raise UsageError(f"no such file: {value}")
        try:
            ref = parse_article_ref(value, allow_any_host=args.allow_any_host)
        except BadURLError as exc:
            raise UsageError(str(exc)) from None
        # Names are checked on what they resolve to, when the crawl connects (crawler.addresses).
        why = literal_refusal(ref.host) if ref.is_mirror and ref.host else None
        if why and not args.allow_private:
            raise UsageError(f"refused {value!r}: {why} (private or loopback addresses need --allow-private)")
        refs.append(ref)
    code = EXIT_OK
    if files:
        code = max(code, _import_files(args, files))
    if refs:
        settings = build_settings(args)
        ids = sorted({r.cont_id for r in refs})
        # Mirror URLs: the original is fetched too; the storage keeps the mirror copy
        # as the article only when the original is gone (it is archived either way).
        mirrors = {r.cont_id: r.url for r in refs if r.is_mirror}
        if args.allow_private:
            settings.set("THEPAPER_ALLOW_PRIVATE", True, priority="cmdline")
        with spider_lock(settings):
            state, stats = run_spider(settings, articles=",".join(map(str, ids)), mirrors=mirrors)
        if state.fatal:
            error_line(state.fatal)
        for line in failure_lines(state):
            print(line, file=sys.stderr)
        print(summary_line(state, stats), file=sys.stderr)
        code = max(code, exit_code_for(state, stats))
    return code


def _import_files(args, paths) -> int:
    """Each saved file archived raw, then cleaned and stored (or its failure recorded), one transaction each."""
    from datetime import datetime, timezone

    from domain.record import CleaningError
    from cleaning.page import clean_page
    from storage.articles import save_article
    from storage.db import open_archive
    from crawler.cli.saved_files import read_saved_file, size_limit
    from storage.failures import record_failure, resolve_failures
    from storage.raw import archive_raw

    limit = size_limit(args)
    for path in paths:  # a file over the limit refuses the import before anything is stored
        if os.path.isfile(path) and limit > 0 and os.path.getsize(path) > limit:
            read_saved_file(path, limit)
    engine, Session = open_archive(db_url(args), create=True)
    counts: dict[str, int] = {}
    try:
        for path in paths:
            data = read_saved_file(path, limit)
            now = datetime.now(timezone.utc)
            # the file's failure and its success name it the same way: the URL given, else the file
            key = args.url or f"file://{os.path.abspath(path)}"
            with Session() as session:
                raw = archive_raw(
                    session,
                    url=key,
                    final_url=args.url or None,
                    status=200,
                    headers={},
                    body=data,
                    fetched_at=now,
                    kind="file",
                    note=os.path.abspath(path),
                )
                session.flush()
                try:
                    record = clean_page(data, url=args.url)
                except CleaningError as exc:
                    record_failure(
                        session, url=key, cont_id=None, reason=exc.reason, message=str(exc), run_id=None, now=now
                    )
                    session.commit()
                    if not args.quiet:
                        print(f"{path}: not stored, recorded as a failure: {exc.reason}: {exc}", file=sys.stderr)
                    counts["failed"] = counts.get("failed", 0) + 1
                    continue
                outcome = save_article(session, record, raw_page_id=raw.id, now=now)
                # the failures of this file (also as the path was typed, before this release), of its URL
                # and of its article are resolved: it is stored
                resolve_failures(
                    session, {key, path, record.url or key}, [record.cont_id] if record.cont_id is not None else []
                )
                session.commit()
                counts[outcome] = counts.get(outcome, 0) + 1
                if not args.quiet:
                    print(f"{path}: {record.cont_id} {outcome}: {record.title}", file=sys.stderr)
    finally:
        engine.dispose()
    # Failures are recorded (the failures table) and counted, as in a crawl: exit code 0.
    print(
        f"import: {len(paths)} files: "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("new", "updated", "unchanged", "kept_original", "failed")),
        file=sys.stderr,
    )
    return EXIT_OK


def _import_warcs(args) -> int:
    """The WARC files' captures through the crawl's save path; progress and one summary line."""
    import time
    from collections import Counter

    from jobs.warc_in import WarcError, import_warcs, not_a_warc
    from storage.db import open_archive
    from storage.runs import RunRecord, outcome_status, run_counters

    for path in args.warc:
        if not os.path.isfile(path):
            raise UsageError(f"no such WARC file: {path}")
        why = not_a_warc(path)
        if why:
            raise UsageError(f"{path} is not a WARC file: {why}; nothing was imported")
    engine, Session = open_archive(db_url(args), create=True)
    last = time.monotonic()

    def progress(counts: Counter) -> None:
        nonlocal last
        if not args.quiet and time.monotonic() - last >= 10:
            last = time.monotonic()
            print(f"import: {counts['captures']} captures read, {counts['new']} new", file=sys.stderr)

    run = RunRecord.open(Session, "import", {"warc": [os.path.abspath(p) for p in args.warc]})
    run_id = run.id
    counts: Counter = Counter()
    error, done = None, False
    try:
        jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
        import_warcs(Session, args.warc, run_id=run_id, progress=progress, counts=counts, jobs=jobs)
        done = True
    except WarcError as exc:
        error, done = exc, True
    finally:
        keys = ("new", "updated", "unchanged", "versioned", "kept_original", "gone", "failed", "captures", "list_pages")
        counters = run_counters(
            counts, keys, by_reason={"skipped": "skipped"}, duration_s=round(time.monotonic() - run.started, 3)
        )
        status = outcome_status(done=done, error=error, failed=counts.get("failed", 0))
        run.finish(status, counters, str(error) if error else "finished")
        engine.dispose()
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(counters["skipped"].items()))
    print(
        f"run {run_id} {status}: new {counters['new']}, updated {counters['updated']}, unchanged "
        f"{counters['unchanged']}, versioned {counters['versioned']}, kept original {counters['kept_original']}, "
        f"gone {counters['gone']}, failed {counters['failed']}; {counters['captures']} captures, "
        f"{counters['list_pages']} of them list pages{f' (skipped: {skipped})' if skipped else ''} "
        f"in {counters['duration_s']:.1f}s",
        file=sys.stderr,
    )
    if error:
        raise UsageError(f"{error} (the {counters['captures']} captures read up to there are stored)")
    return EXIT_OK
