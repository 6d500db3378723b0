"""Analysis commands of ``thepaper-archive``: stats, export, search, report.

All of them only read the archive (opening it upgrades the schema to the latest
revision first, as every command does).
"""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime, timezone


def _usage(msg: str) -> Exception:
    from crawler.cli import UsageError

    return UsageError(msg)


def _positive(value: str) -> int:
    import argparse

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


def _open(args):
    from storage.db import open_archive

    return open_archive(args.db)


def cmd_stats(args) -> int:
    from storage.stats import collect, format_stats

    engine, Session = _open(args)
    try:
        with Session() as session:
            data = collect(session, days=args.days, now=datetime.now(timezone.utc))
    finally:
        engine.dispose()
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_stats(data))
    return 0


def cmd_export(args) -> int:
    from storage.export import ExportError, export, parse_bound, parse_columns

    try:
        columns = parse_columns(args.columns)
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise _usage(str(exc)) from None
    engine, Session = _open(args)
    try:
        with Session() as session:
            n = _export_to(args.output, args.format, session, columns, since, until, export)
    finally:
        engine.dispose()
    print(f"exported {n} articles ({args.format})", file=sys.stderr)
    return 0


def _export_to(target: str, fmt: str, session, columns, since, until, export) -> int:
    binary = fmt == "parquet"
    if target == "-":
        if binary:
            out = sys.stdout.buffer
            n = export(session, fmt, out, columns=columns, since=since, until=until)
            out.flush()
            return n
        n = export(session, fmt, sys.stdout, columns=columns, since=since, until=until)
        sys.stdout.flush()
        return n
    mode = "wb" if binary else "w"
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    with open(target, mode, **kwargs) as out:
        return export(session, fmt, out, columns=columns, since=since, until=until)


def cmd_search(args) -> int:
    from storage.search import SearchError, search

    tty = not args.json and sys.stdout.isatty()
    open_, close = ("\x1b[1;31m", "\x1b[0m") if tty else ("[", "]")
    engine, Session = _open(args)
    try:
        with Session() as session:
            try:
                hits = search(session, args.query, limit=args.limit, open_=open_, close=close)
            except SearchError as exc:
                raise _usage(str(exc)) from None
    finally:
        engine.dispose()
    if args.json:
        json.dump([h.to_dict() for h in hits], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print("no match", file=sys.stderr)
        return 0
    buf = io.StringIO()
    for i, h in enumerate(hits, 1):
        when = h.published_at.strftime("%Y-%m-%d %H:%M") if h.published_at else "----------"
        col = f" · {h.node_name}" if h.node_name else ""
        gone = " (gone)" if h.content_type == "gone" else ""
        buf.write(f"{i:>3}. {h.title_marked}{gone}\n     {when}{col} · {h.url} · score {h.score:g}\n"
                  f"     {h.snippet}\n")
    sys.stdout.write(buf.getvalue())
    return 0


def cmd_report(args) -> int:
    from storage.report import render_html, report_data

    engine, Session = _open(args)
    try:
        with Session() as session:
            html = render_html(report_data(session, days=args.days, now=datetime.now(timezone.utc)))
    finally:
        engine.dispose()
    if args.output == "-":
        sys.stdout.write(html)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(html)
        print(f"report written to {args.output}", file=sys.stderr)
    return 0


def register(sub, db_opt) -> None:
    """Add the analysis subcommands to the CLI's subparsers (``db_opt(sp)`` adds ``--db``)."""
    from storage.export import COLUMNS, FORMATS

    sp = sub.add_parser("stats", help="totals, articles per day per column, failures, last runs")
    db_opt(sp)
    sp.add_argument("--json", action="store_true", help="one JSON object for scripts")
    sp.add_argument("--days", type=_positive, default=14, help="days of per-column counts (default 14)")
    sp.set_defaults(func=cmd_stats)

    sp = sub.add_parser("export", help="stream the articles as JSON Lines, CSV or Parquet")
    db_opt(sp)
    sp.add_argument("--format", choices=FORMATS, default="jsonl")
    sp.add_argument("--since", help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time")
    sp.add_argument("--until", help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time")
    sp.add_argument("--columns", help=f"comma-separated subset of: {','.join(COLUMNS)}")
    sp.add_argument("-o", "--output", default="-", help="output file, '-' for stdout (default)")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("search", help="full-text search of titles and bodies (any word length)")
    db_opt(sp)
    sp.add_argument("query", help="words separated by spaces; all must occur")
    sp.add_argument("--limit", type=_positive, default=20)
    sp.add_argument("--json", action="store_true", help="JSON list of hits")
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("report", help="write a self-contained HTML page with charts")
    db_opt(sp)
    sp.add_argument("-o", "--output", default="report.html", help="HTML file, '-' for stdout")
    sp.add_argument("--days", type=_positive, default=30, help="days shown (default 30)")
    sp.set_defaults(func=cmd_report)
