"""``thepaper-archive export``: stream the articles out as JSON Lines, CSV or Parquet, in constant memory."""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db


def register(sub) -> None:
    from storage.export import COLUMNS, FORMATS

    sp = sub.add_parser("export", help="stream the articles as JSON Lines, CSV or Parquet")
    add_db(sp)
    sp.add_argument("--format", choices=FORMATS, default="jsonl")
    sp.add_argument("--since", help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time")
    sp.add_argument("--until", help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time")
    sp.add_argument("--columns", help=f"comma-separated subset of: {','.join(COLUMNS)}")
    sp.add_argument("-o", "--output", default="-", help="output file, '-' for stdout (default)")
    sp.add_argument("--keep-formulas", action="store_true",
                    help="CSV: write cells that begin with = + - @ (formulas to spreadsheets) unchanged, "
                         "instead of with a leading '")
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.export import ExportError, parse_bound, parse_columns

    try:
        columns = parse_columns(args.columns)
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    engine, Session = open_archive(args.db)
    try:
        with Session() as session:
            n = _export_to(args.output, args.format, session, columns, since, until,
                           neutralise_formulas=not args.keep_formulas)
    finally:
        engine.dispose()
    print(f"exported {n} articles ({args.format})", file=sys.stderr)
    return 0


def _export_to(target: str, fmt: str, session, columns, since, until, **options) -> int:
    from storage.export import export

    binary = fmt == "parquet"
    if target == "-":
        out = sys.stdout.buffer if binary else sys.stdout
        n = export(session, fmt, out, columns=columns, since=since, until=until, **options)
        out.flush()
        return n
    mode = "wb" if binary else "w"
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    with open(target, mode, **kwargs) as out:
        return export(session, fmt, out, columns=columns, since=since, until=until, **options)
