"""``thepaper-archive db``: database maintenance (``db upgrade``, ``db compact``)."""

from __future__ import annotations

import sys

import argparse
import time

from crawler.cli.errors import EXIT_OK
from crawler.cli.options import add_db, db_url, positive_int


def register(sub) -> None:
    sp = sub.add_parser("db", help="database maintenance")
    dsub = sp.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    add_db(up)
    up.set_defaults(func=upgrade)
    co = dsub.add_parser(
        "compact",
        help="re-encode the raw pages with a zstd dictionary trained on the archive (resumable: stop it at any time)",
    )
    add_db(co)
    co.add_argument(
        "--retrain", action="store_true", help="train a new dictionary on the archive's pages even if it has one"
    )
    co.add_argument("--level", type=_zstd_level, default=None, help="zstd level 1-22 (default 9)")
    co.add_argument("--batch", type=positive_int, default=200, help="pages per transaction (default 200)")
    co.add_argument(
        "--no-vacuum",
        action="store_true",
        help="do not VACUUM at the end (it gives the freed space back and an older SQLite archive 16 KiB pages)",
    )
    co.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    co.set_defaults(func=compact)


def _zstd_level(value: str) -> int:
    try:
        level = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= level <= 22:
        raise argparse.ArgumentTypeError(f"zstd levels are 1 to 22, not {level}")
    return level


def upgrade(args) -> int:
    from storage.db import display_url, resolve_db_url, upgrade_archive

    url = resolve_db_url(db_url(args))
    before, after = upgrade_archive(url)  # creates or migrates
    where = display_url(url)
    if before is None:
        print(f"created the archive {where} at schema revision {after} (the latest)", file=sys.stderr)
    elif before != after:
        print(f"upgraded the archive {where} from schema revision {before} to {after} (the latest)", file=sys.stderr)
    else:
        print(f"the archive {where} is at the latest schema revision ({after}); nothing to do", file=sys.stderr)
    return EXIT_OK


def compact(args) -> int:
    from storage.codec import DEFAULT_LEVEL
    from storage.compact import compact_archive, reclaim_space, small_pages
    from storage.db import open_archive

    engine, Session = open_archive(db_url(args))
    started = last = time.monotonic()

    def progress(counts) -> None:
        nonlocal last
        if not args.quiet and time.monotonic() - last >= 10:
            last = time.monotonic()
            print(f"compact: {counts['pages']} pages re-encoded", file=sys.stderr)

    try:
        counts, note = compact_archive(
            Session, batch=args.batch, level=args.level or DEFAULT_LEVEL, retrain=args.retrain, progress=progress
        )
        # VACUUM when pages were re-encoded, or to give an older SQLite archive 16 KiB pages
        vacuum = "" if args.no_vacuum or not (counts["pages"] or small_pages(engine)) else f"; {reclaim_space(engine)}"
    finally:
        engine.dispose()
    before, after = counts["bytes_before"], counts["bytes_after"]
    ratio = f" ({before / after:.1f} x smaller)" if after else ""
    dictionary = (
        f"new dictionary {counts['dictionary_id']}"
        if counts["dictionary_trained"]
        else f"dictionary {counts['dictionary_id']}"
        if counts["dictionary_id"]
        else f"no dictionary ({note})"
    )
    damaged = f", {counts['damaged']} damaged bodies left as they were" if counts["damaged"] else ""
    print(
        f"compacted {counts['pages']} raw pages: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB{ratio} "
        f"with {dictionary}{damaged}{vacuum} in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return EXIT_OK
