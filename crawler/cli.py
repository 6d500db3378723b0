"""``thepaper-archive``: the command line.

Exit codes (for cron/systemd): 0 success (articles that failed are recorded in
the failures table and counted in the summary line); 1 unexpected error;
2 bad usage or bad input; 3 the site or the network is unreachable;
4 another run holds the lock; 5 the run was stopped because the site blocks us.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from urllib.parse import urlsplit

from crawler.listapi import comma_list

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_LOCKED = 4
EXIT_BLOCKED = 5


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _err(msg: str) -> None:
    print(f"thepaper-archive: error: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------- settings
def build_settings(args) -> "scrapy.settings.Settings":  # noqa: F821
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    base = getattr(args, "base_url", None)
    profile = getattr(args, "profile", None)
    if base:
        base = _check_base_url(base)
        settings.set("THEPAPER_SITE_URL", base, priority="cmdline")
        settings.set("THEPAPER_API_URL", base, priority="cmdline")
        if profile is None and _is_loopback(base):
            profile = "mock"
    for name in ("site_url", "api_url"):
        value = getattr(args, name, None)
        if value:
            settings.set(f"THEPAPER_{name.upper()}", _check_base_url(value), priority="cmdline")
    profiles = settings.getdict("PROFILES")
    if profile:
        if profile not in profiles:
            raise UsageError(f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))})")
        for key, value in profiles[profile].items():
            settings.set(key, value, priority="cmdline")
    if getattr(args, "db", None):
        # Through the environment, not a Scrapy setting: Scrapy logs overridden
        # settings, and a database URL may carry a password.
        os.environ["THEPAPER_ARCHIVE_DB"] = args.db
    if getattr(args, "channels", None) is not None:
        settings.set("THEPAPER_CHANNELS", comma_list(args.channels), priority="cmdline")
    if getattr(args, "nodes", None) is not None:
        settings.set("THEPAPER_NODES", comma_list(args.nodes), priority="cmdline")
    if getattr(args, "max_articles", None) is not None:
        settings.set("THEPAPER_MAX_ARTICLES", args.max_articles, priority="cmdline")
    if getattr(args, "quiet", False):
        settings.set("THEPAPER_PROGRESS_INTERVAL", 0, priority="cmdline")
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if getattr(args, "log_level", None):
        settings.set("LOG_LEVEL", args.log_level.upper(), priority="cmdline")
    for pair in getattr(args, "set", None) or []:
        if "=" not in pair:
            raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        settings.set(key.strip(), value, priority="cmdline")
    return settings


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) base URL: {value!r}")
    return value.rstrip("/")


def _is_private_host(host: str | None) -> bool:
    """Loopback, private, link-local or reserved IP literals, and localhost names."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_unspecified


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- crawl
def run_spider(settings, **spider_args) -> dict:
    """Run the ``thepaper`` spider in this process; return its final stats."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler("thepaper")
    process.crawl(crawler, **spider_args)
    process.start()
    return crawler.stats.get_stats()


def summary_line(stats: dict) -> str:
    from pipelines.scrapy_stages import run_counters

    c = run_counters(stats)
    return (
        f"run {stats.get('thepaper/run_id', '?')} {stats.get('thepaper/run_status', '?')}: "
        f"new {c['new']}, updated {c['updated']}, unchanged {c['unchanged']}, gone {c['gone']}, "
        f"failed {c['failed']}; {c['articles_fetched']} article pages, {c['list_pages']} list pages"
        + (f" in {stats.get('elapsed_time_seconds', 0):.1f}s" if stats.get("elapsed_time_seconds") else "")
        + (f"; {stats['log_count/ERROR']} errors logged" if stats.get("log_count/ERROR") else "")
    )


def exit_code_for(stats: dict) -> int:
    reason = stats.get("finish_reason")
    if reason == "site_unreachable":
        return EXIT_UNREACHABLE
    if reason == "blocked":
        return EXIT_BLOCKED
    if stats.get("thepaper/run_status") in (None, "aborted"):
        return EXIT_ERROR
    if stats.get("log_count/ERROR"):  # a bug somewhere: the log says where
        return EXIT_ERROR
    return EXIT_OK


class Locked(Exception):
    """Another run holds the lock: exit code 4."""


class run_lock:
    """Hold the archive's run lock ``name`` for the duration of a crawl or import.

    Runs left ``running`` by a dead process are marked ``aborted`` first; a lock
    whose holder died (same host) or stopped beating is taken over.
    """

    def __init__(self, settings=None, name: str = "crawl", *, db_url: str | None = None):
        self.settings = settings
        self.name = name
        self.db_url = db_url if settings is None else (settings.get("THEPAPER_DB_URL") or None)
        self.stale_s = settings.getfloat("THEPAPER_LOCK_STALE_S", 600) if settings is not None else 600

    def __enter__(self):
        from datetime import datetime, timezone

        from storage import repository
        from storage.db import open_archive

        self.engine, self.Session = open_archive(self.db_url)
        Session = self.Session
        with Session() as session:
            repository.abort_dead_runs(session, datetime.now(timezone.utc))
            session.commit()
        if not repository.acquire_lock(self.engine, self.name, stale_after_s=self.stale_s):
            holder = repository.lock_holder(self.engine, self.name)
            who = f"{holder.holder}, started {holder.acquired_at:%Y-%m-%d %H:%M:%S %Z}" if holder else "unknown"
            self.engine.dispose()
            raise Locked(f"another run is in progress ({who}); exiting")
        if self.settings is not None:
            self.settings.set("THEPAPER_LOCK_NAME", self.name, priority="cmdline")
        return self

    def __exit__(self, *exc):
        from storage import repository

        repository.release_lock(self.engine, self.name)
        self.engine.dispose()
        return False


def cmd_crawl(args) -> int:
    settings = build_settings(args)
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
            _err(problem)
            return EXIT_UNREACHABLE
        apply_settings(settings, args.redis, args.role)
    if args.redis and args.role == "worker":
        stats = run_spider(settings)  # any number of workers: no run lock
    else:
        with run_lock(settings):
            stats = run_spider(settings)
    fatal = stats.get("thepaper/fatal")
    if fatal:
        _err(fatal)
    print(summary_line(stats), file=sys.stderr)
    return exit_code_for(stats)


# --------------------------------------------------------------------------- import
def cmd_import(args) -> int:
    from crawler.urls import BadURLError, parse_article_ref

    values = list(args.targets)
    if args.file:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with stream if stream is not sys.stdin else _nullctx(stream):
            values += [line.strip() for line in stream if line.strip() and not line.startswith("#")]
    if not values:
        raise UsageError("nothing to import: give URLs, ids or files, or --file LIST")
    files, refs = [], []
    for value in values:
        if os.path.exists(value) and not value.isdigit():
            files.append(value)
            continue
        try:
            ref = parse_article_ref(value, allow_any_host=args.allow_any_host)
        except BadURLError as exc:
            raise UsageError(str(exc)) from None
        if ref.is_mirror and _is_private_host(ref.host) and not args.allow_private:
            raise UsageError(f"refused {value!r}: {ref.host} is a private or loopback address "
                             "(use --allow-private to import from it)")
        refs.append(ref)
    code = EXIT_OK
    if files:
        code = max(code, _import_files(args, files))
    if refs:
        settings = build_settings(args)
        ids = sorted({r.cont_id for r in refs})
        # Mirror URLs: the original is fetched too; the storage keeps the mirror copy
        # as the article only when the original is gone (it is archived either way).
        mirrors = {r.cont_id: r.given for r in refs if r.is_mirror}
        with run_lock(settings):
            stats = run_spider(settings, articles=",".join(map(str, ids)), mirrors=mirrors)
        if stats.get("thepaper/fatal"):
            _err(stats["thepaper/fatal"])
        print(summary_line(stats), file=sys.stderr)
        code = max(code, exit_code_for(stats))
    return code


class _nullctx:
    def __init__(self, obj):
        self.obj = obj

    def __enter__(self):
        return self.obj

    def __exit__(self, *exc):
        return False


def _import_files(args, paths) -> int:
    from datetime import datetime, timezone

    from pipelines.chain import clean_document
    from pipelines.record import CleaningError
    from pipelines.scrapy_stages import validate_record
    from storage import repository
    from storage.db import open_archive

    engine, Session = open_archive(args.db)
    failed = 0
    try:
        for path in paths:
            with open(path, "rb") as fh:
                data = fh.read()
            now = datetime.now(timezone.utc)
            with Session() as session:
                raw = repository.archive_raw(session, url=args.url or f"file://{os.path.abspath(path)}",
                                             final_url=args.url or None, status=200, headers={}, body=data,
                                             fetched_at=now, kind="file", note=os.path.abspath(path))
                session.flush()
                try:
                    record = clean_document(data, url=args.url)
                    validate_record(record)
                except CleaningError as exc:
                    repository.record_failure(session, url=args.url or path, cont_id=None, reason=exc.reason,
                                              message=str(exc), run_id=None, now=now)
                    session.commit()
                    _err(f"{path}: {exc.reason}: {exc}")
                    failed += 1
                    continue
                outcome = repository.save_article(session, record, raw_page_id=raw.id, now=now)
                session.commit()
                print(f"{path}: {record.cont_id} {outcome}: {record.title}", file=sys.stderr)
    finally:
        engine.dispose()
    return EXIT_ERROR if failed else EXIT_OK


# --------------------------------------------------------------------------- reprocess
def cmd_reprocess(args) -> int:
    from pipelines.reprocess import reprocess_archive

    since = None
    if args.since:
        from datetime import datetime, timezone

        from crawler.incremental import parse_since

        try:
            since = datetime.fromtimestamp(parse_since(args.since) / 1000, tz=timezone.utc)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    cont_ids = comma_list(args.cont_id) if args.cont_id else None
    if cont_ids and not all(c.isdigit() for c in cont_ids):
        raise UsageError(f"--cont-id expects numeric ids, got {' '.join(cont_ids)}")
    jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError(f"--jobs expects a number of processes of at least 1, got {jobs}")

    def progress(counts):
        if not args.quiet:
            print(f"[thepaper-archive] reprocessed {sum(v for k, v in counts.items() if '/' not in k)}",
                  file=sys.stderr, flush=True)

    with run_lock(db_url=args.db) as lock:
        counts = reprocess_archive(lock.Session, since=since, cont_ids=[int(c) for c in cont_ids] if cont_ids else None,
                                   jobs=jobs, progress=progress)
    print("reprocess: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in
                                    ("new", "updated", "unchanged", "kept_original", "failed")), file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- clean
def cmd_clean(args) -> int:
    from pipelines.chain import clean_document
    from pipelines.record import CleaningError

    try:
        with open(args.path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {args.path}: {exc.strerror}") from None
    try:
        record = clean_document(data, url=args.url)
    except CleaningError as exc:
        _err(f"{args.path}: {exc.reason}: {exc}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps(record.to_dict(), ensure_ascii=False, indent=None))
        return EXIT_OK
    d = record.to_dict()
    for key in ("cont_id", "url", "title", "published_at", "author", "author_outlet", "editor", "source",
                "node_name", "channel_name", "content_type", "tags", "encoding", "encoding_reason",
                "repairs", "stripped", "mirror_host"):
        if d.get(key) not in (None, "", [], {}):
            print(f"{key}: {d[key]}")
    print()
    print("\n\n".join(record.paragraphs))
    return EXIT_OK


# --------------------------------------------------------------------------- mock
def cmd_mock(args) -> int:
    from tests.mocksite.__main__ import main as mock_main

    argv = ["--port", str(args.port), "--articles", str(args.articles), "--seed", str(args.seed),
            "--host", args.host]
    if args.verbose:
        argv.append("--verbose")
    return mock_main(argv) or 0


# --------------------------------------------------------------------------- db
def cmd_db(args) -> int:
    from storage.db import resolve_db_url, upgrade

    from sqlalchemy.engine import make_url

    url = resolve_db_url(args.db)
    upgrade(url)
    print(f"database {make_url(url).render_as_string(hide_password=True)} is at the latest schema",
          file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="thepaper-archive",
                                description="Crawl, clean and archive thepaper.cn technology articles.")
    sub = p.add_subparsers(dest="command", required=True)

    def db_opt(sp):
        sp.add_argument("--db", help="SQLAlchemy URL or SQLite file (default: $THEPAPER_ARCHIVE_DB or "
                                     "./data/archive.sqlite3)")

    def crawl_opts(sp):
        db_opt(sp)
        sp.add_argument("--base-url", help="serve both the site and the API from this URL (e.g. the mock)")
        sp.add_argument("--site-url", help="base URL of article pages (default https://www.thepaper.cn)")
        sp.add_argument("--api-url", help="base URL of the list API (default https://api.thepaper.cn)")
        sp.add_argument("--profile", help="settings profile: polite (default), mock, bench "
                                          "(mock is the default for a loopback --base-url)")
        sp.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="any Scrapy setting")
        sp.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR")
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress lines, warnings only")

    sp = sub.add_parser("crawl", help="walk the channel/column lists and archive every article")
    crawl_opts(sp)
    sp.add_argument("--channels", nargs="+", help="channel ids for getByChannelId (default 119908)")
    sp.add_argument("--nodes", nargs="+", help="column ids for getByNodeIdPortal")
    sp.add_argument("--max-articles", type=int, help="stop after scheduling N article pages")
    sp.add_argument("--full", action="store_true", help="walk every list to its end (backfill), ignoring cursors")
    sp.add_argument("--since", help="walk every list back to this date (YYYY-MM-DD, Beijing time)")
    sp.add_argument("--refetch", action="store_true", help="fetch listed articles even when stored and unchanged")
    sp.add_argument("--overlap-hours", type=float,
                    help="page this far past the last run's newest article (default 24)")
    sp.add_argument("--max-runtime", type=float, metavar="SECONDS",
                    help="stop the run after this long (the next run resumes)")
    sp.add_argument("--redis", metavar="URL",
                    help="distributed mode: share the article queue in Redis (redis://host:port/db)")
    sp.add_argument("--role", choices=["walker", "worker"], default="walker",
                    help="with --redis: walk the lists and queue articles (walker) or fetch queued "
                         "articles (worker)")
    sp.set_defaults(func=cmd_crawl)

    sp = sub.add_parser("import", help="archive single articles: URLs, ids, mirror URLs or saved files")
    crawl_opts(sp)
    sp.add_argument("targets", nargs="*", help="article URL (any form), bare id, mirror URL, or a file")
    sp.add_argument("--file", help="read targets from this file, one per line ('-' = stdin)")
    sp.add_argument("--url", help="origin URL of a saved file (for its cont_id and mirror host)")
    sp.add_argument("--allow-any-host", action="store_true",
                    help="accept article paths on hosts that are neither thepaper.cn nor mirrors")
    sp.add_argument("--allow-private", action="store_true",
                    help="accept mirror URLs on private or loopback addresses")
    sp.set_defaults(func=cmd_import)

    sp = sub.add_parser("reprocess", help="clean the raw archive again with the current code (no network)")
    db_opt(sp)
    sp.add_argument("--since", help="only articles published (or pages fetched) on or after this date")
    sp.add_argument("--cont-id", nargs="+", help="only these article ids")
    sp.add_argument("--jobs", type=int, metavar="N",
                    help="processes that clean pages (default: the number of CPUs; 1 cleans in this process)")
    sp.add_argument("-q", "--quiet", action="store_true")
    sp.set_defaults(func=cmd_reprocess)

    sp = sub.add_parser("clean", help="run the cleaning chain on one saved file; print the record")
    sp.add_argument("path")
    sp.add_argument("--url", help="the URL the file was fetched from")
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.set_defaults(func=cmd_clean)

    sp = sub.add_parser("mock", help="serve the offline mock of thepaper.cn")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--articles", type=int, default=300)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--verbose", action="store_true")
    sp.set_defaults(func=cmd_mock)

    from crawler import cli_analysis

    cli_analysis.register(sub, db_opt)

    sp = sub.add_parser("db", help="database maintenance")
    dsub = sp.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    db_opt(up)
    up.set_defaults(func=cmd_db)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except Locked as exc:
        _err(str(exc))
        return EXIT_LOCKED
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:  # `thepaper-archive export - | head`: the reader is done
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
