"""``thepaper-archive export``: stream the articles out as JSON Lines, CSV, Parquet or xlsx, in constant memory;
``--format warc``: the raw pages as WARC/1.1 (:mod:`storage.warc_out`)."""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, date_or_time, db_url


def register(sub) -> None:
    from storage.columns import COLUMNS, FORMATS, OPTIONAL_COLUMNS

    sp = sub.add_parser(
        "export", help="stream the articles as JSON Lines, CSV, Parquet or xlsx, or the raw pages as WARC"
    )
    add_db(sp)
    sp.add_argument(
        "--format",
        choices=FORMATS + ("warc",),
        help="default: from -o's extension (.jsonl .csv .parquet .xlsx .warc .warc.gz), else jsonl; "
        "warc: the raw pages (every fetched response) as WARC/1.1, gzip per record",
    )
    sp.add_argument(
        "--since",
        type=date_or_time,
        help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time (warc: fetched on or after)",
    )
    sp.add_argument(
        "--until",
        type=date_or_time,
        help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time (warc: fetched)",
    )
    sp.add_argument(
        "--where",
        metavar="CONDITION",
        help="only articles for which this SQL condition on the articles table holds, e.g. "
        "\"node_name = '科学湃' and word_count > 1000\" (read through a read-only connection)",
    )
    sp.add_argument(
        "--columns",
        help=f"comma-separated subset of: {','.join(COLUMNS)}; also, only when named: "
        f"{','.join(OPTIONAL_COLUMNS)} (every repair of the text explained)",
    )
    sp.add_argument(
        "-o", "--output", default="-", help="output file, written whole or not at all; '-' for stdout (default)"
    )
    sp.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: write cells that begin with = + - @ (formulas to spreadsheets) unchanged, "
        "instead of with a leading '",
    )
    sp.add_argument(
        "--excel",
        action="store_true",
        help="CSV for Excel: a UTF-8 byte order mark first (lines end with CRLF, as always)",
    )
    sp.set_defaults(func=run)


#: Output file extensions -> the format they name (longest first: ``.warc.gz`` before ``.gz``).
EXTENSIONS = {
    ".warc.gz": "warc",
    ".warc": "warc",
    ".jsonl": "jsonl",
    ".jl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
}


def format_of(output: str, given: str | None) -> str:
    """The format: ``--format``, else the one ``-o``'s extension names, else jsonl; a
    ``--format`` that the extension contradicts is a usage error (``-o x.csv --format xlsx``)."""
    name = output.lower() if output != "-" else ""
    implied = next((fmt for ext, fmt in EXTENSIONS.items() if name.endswith(ext)), None)
    if given and implied and given != implied:
        raise UsageError(
            f"--format {given} contradicts -o {output}, whose extension means {implied}: "
            "give one of them, or a matching name"
        )
    return given or implied or "jsonl"


def run(args) -> int:
    import sqlalchemy as sa

    from crawler.cli.output import atomic_output, check_writable
    from storage.db import open_archive
    from storage.export import BINARY_FORMATS, XLSX_CELL_MAX, ExportError, XlsxStats, export, parse_bound, parse_columns

    args.format = format_of(args.output, args.format)
    if args.where is not None and (args.format == "warc" or ";" in args.where or not args.where.strip()):
        raise UsageError(
            "--where takes one SQL condition on the articles table (no ';'), and not with --format warc"
            if args.format != "warc"
            else "--where does not apply to --format warc (it writes raw pages)"
        )
    if args.format == "warc" and args.columns:
        raise UsageError("--columns does not apply to --format warc (it writes whole raw pages)")
    if args.excel and args.format != "csv":
        raise UsageError(f"--excel applies to --format csv only (xlsx is Excel's own format), not {args.format}")
    try:
        columns = parse_columns(args.columns)
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.output == "-" and (args.format in BINARY_FORMATS or args.format == "warc") and sys.stdout.isatty():
        raise UsageError(
            f"--format {args.format} is binary and stdout is a terminal: give -o FILE or redirect stdout to a file"
        )
    if args.output != "-":
        check_writable(args.output, db_url(args))  # before any work: a wrong -o is one line, at once
    if args.format == "warc":
        return _export_warc(args, since, until)
    xlsx = XlsxStats()
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with (
            Session() as session,
            atomic_output(args.output, binary=args.format in BINARY_FORMATS, archive_url=db_url(args)) as out,
        ):
            n = export(
                session,
                args.format,
                out,
                columns=columns,
                since=since,
                until=until,
                neutralise_formulas=not args.keep_formulas,
                bom=args.excel,
                xlsx_stats=xlsx,
                where=args.where,
            )
    except sa.exc.DBAPIError as exc:
        if args.where is None:
            raise
        from crawler.cli.query import statement_error

        raise UsageError(f"--where {args.where!r}: {statement_error(exc).args[0]}") from None
    finally:
        engine.dispose()
    cut = f"; {xlsx.cut_cells} text cells cut at Excel's {XLSX_CELL_MAX:,} characters" if xlsx.cut_cells else ""
    print(f"exported {n} articles ({args.format}){cut}", file=sys.stderr)
    return 0


def _export_warc(args, since, until) -> int:
    """The raw pages as WARC, written whole or not at all (a plain WARC when the name does not end in .gz)."""
    import os

    from crawler.cli.output import atomic_output
    from storage.db import open_archive
    from storage.warc_out import export_warc

    target = args.output
    gzip = target == "-" or target.endswith(".gz")
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session, atomic_output(target, binary=True, archive_url=db_url(args)) as out:
            counts = export_warc(
                session,
                out,
                since=since,
                until=until,
                gzip=gzip,
                filename=None if target == "-" else os.path.basename(target),
            )
    finally:
        engine.dispose()
    print(
        f"exported {counts['pages']} raw pages (warc): {counts['response']} responses, {counts['request']} "
        f"requests, {counts['resource']} resources, {counts['metadata']} metadata records",
        file=sys.stderr,
    )
    return 0
