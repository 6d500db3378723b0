"""``thepaper-archive report``: a self-contained HTML page with charts, for any span of days."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, date_or_time, day_of, db_url, days

DEFAULT_DAYS = 30


def register(sub) -> None:
    sp = sub.add_parser("report", help="write a self-contained HTML page with charts")
    add_db(sp)
    sp.add_argument(
        "-o", "--output", default="report.html", help="HTML file, written whole or not at all; '-' for stdout"
    )
    sp.add_argument("--days", type=days, help=f"days shown, ending with --end (default {DEFAULT_DAYS})")
    sp.add_argument(
        "--since",
        type=date_or_time,
        metavar="YYYY-MM-DD",
        help="first day shown, instead of --days (e.g. the whole archive: its first day)",
    )
    sp.add_argument(
        "--end", type=date_or_time, metavar="YYYY-MM-DD", help="last day shown (default: the day of the newest article)"
    )
    sp.add_argument(
        "--trend",
        action="append",
        metavar="TERM",
        help="a term whose articles per period are charted (repeat for several; "
        "default: the window's top 5 keywords); a Traditional term is also looked for in "
        "its Simplified forms, as search does",
    )
    sp.set_defaults(func=run)


def run(args) -> int:
    from cleaning.repair.traditional import query_forms
    from crawler.cli.output import atomic_output, check_writable
    from crawler.cli.trends import terms_of
    from storage.db import open_archive
    from storage.report import render_html, report_data

    if args.since and args.days:
        raise UsageError("--since and --days both choose the first day: give one of them")
    if args.output != "-":
        check_writable(args.output, db_url(args))
    terms = terms_of(args.trend) if args.trend else None
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            try:
                data = report_data(
                    session,
                    days=args.days or DEFAULT_DAYS,
                    now=datetime.now(timezone.utc),
                    end=day_of(args.end),
                    since=day_of(args.since),
                    trend_terms=terms,
                    forms=query_forms,
                )
            except ValueError as exc:  # a window that starts after it ends
                raise UsageError(str(exc)) from None
            html = render_html(data)
    finally:
        engine.dispose()
    with atomic_output(args.output, archive_url=db_url(args)) as out:
        out.write(html)
    if args.output != "-":
        print(f"report written to {args.output}", file=sys.stderr)
    return 0
