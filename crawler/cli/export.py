"""``thepaper-archive export``: stream the articles out as JSON Lines, CSV or Parquet, in constant memory."""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, date_or_time, db_url


def register(sub) -> None:
    from storage.export import COLUMNS, FORMATS

    sp = sub.add_parser("export", help="stream the articles as JSON Lines, CSV or Parquet")
    add_db(sp)
    sp.add_argument("--format", choices=FORMATS, default="jsonl")
    sp.add_argument("--since", type=date_or_time,
                    help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time")
    sp.add_argument("--until", type=date_or_time,
                    help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time")
    sp.add_argument("--columns", help=f"comma-separated subset of: {','.join(COLUMNS)}")
    sp.add_argument("-o", "--output", default="-",
                    help="output file, written whole or not at all; '-' for stdout (default)")
    sp.add_argument("--keep-formulas", action="store_true",
                    help="CSV: write cells that begin with = + - @ (formulas to spreadsheets) unchanged, "
                         "instead of with a leading '")
    sp.set_defaults(func=run)


def run(args) -> int:
    from crawler.cli.output import atomic_output, check_writable
    from storage.db import open_archive
    from storage.export import BINARY_FORMATS, ExportError, export, parse_bound, parse_columns

    try:
        columns = parse_columns(args.columns)
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.output != "-":
        check_writable(args.output)  # before any work: a wrong -o is one line, at once
    engine, Session = open_archive(db_url(args))
    try:
        with Session() as session, atomic_output(args.output, binary=args.format in BINARY_FORMATS) as out:
            n = export(session, args.format, out, columns=columns, since=since, until=until,
                       neutralise_formulas=not args.keep_formulas)
    finally:
        engine.dispose()
    print(f"exported {n} articles ({args.format})", file=sys.stderr)
    return 0
