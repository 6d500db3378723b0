"""``thepaper-archive export``: stream the articles out as JSON Lines, CSV or Parquet, in constant memory;
``--format warc``: the raw pages as WARC/1.1 (:mod:`storage.warc_out`)."""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db


def register(sub) -> None:
    from storage.export import COLUMNS, FORMATS

    sp = sub.add_parser("export", help="stream the articles as JSON Lines, CSV or Parquet, or the raw pages as WARC")
    add_db(sp)
    sp.add_argument("--format", choices=FORMATS + ("warc",), default="jsonl",
                    help="warc: the raw pages (every fetched response) as WARC/1.1, gzip per record")
    sp.add_argument("--since", help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time "
                                    "(warc: fetched on or after)")
    sp.add_argument("--until", help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time "
                                    "(warc: fetched)")
    sp.add_argument("--columns", help=f"comma-separated subset of: {','.join(COLUMNS)}")
    sp.add_argument("-o", "--output", default="-", help="output file, '-' for stdout (default)")
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.export import ExportError, parse_bound, parse_columns

    if args.format == "warc" and args.columns:
        raise UsageError("--columns does not apply to --format warc (it writes whole raw pages)")
    try:
        columns = parse_columns(args.columns)
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "warc":
        return _export_warc(args, since, until)
    engine, Session = open_archive(args.db)
    try:
        with Session() as session:
            n = _export_to(args.output, args.format, session, columns, since, until)
    finally:
        engine.dispose()
    print(f"exported {n} articles ({args.format})", file=sys.stderr)
    return 0


def _export_to(target: str, fmt: str, session, columns, since, until) -> int:
    from storage.export import export

    binary = fmt == "parquet"
    if target == "-":
        out = sys.stdout.buffer if binary else sys.stdout
        n = export(session, fmt, out, columns=columns, since=since, until=until)
        out.flush()
        return n
    mode = "wb" if binary else "w"
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    with open(target, mode, **kwargs) as out:
        return export(session, fmt, out, columns=columns, since=since, until=until)


def _export_warc(args, since, until) -> int:
    """The raw pages as WARC: to a temporary file beside the target, renamed when complete
    (a plain WARC when the name does not end in .gz)."""
    import os
    import tempfile

    from storage.db import open_archive
    from storage.warc_out import export_warc

    target = args.output
    gzip = target == "-" or target.endswith(".gz")
    engine, Session = open_archive(args.db)
    try:
        with Session() as session:
            if target == "-":
                counts = export_warc(session, sys.stdout.buffer, since=since, until=until, gzip=gzip)
                sys.stdout.buffer.flush()
            else:
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)),
                                           prefix=".", suffix=".part")
                try:
                    with os.fdopen(fd, "wb") as out:
                        counts = export_warc(session, out, since=since, until=until, gzip=gzip,
                                             filename=os.path.basename(target))
                    os.replace(tmp, target)
                except BaseException:
                    os.unlink(tmp)
                    raise
    finally:
        engine.dispose()
    print(f"exported {counts['pages']} raw pages (warc): {counts['response']} responses, {counts['request']} "
          f"requests, {counts['resource']} resources, {counts['metadata']} metadata records", file=sys.stderr)
    return 0
