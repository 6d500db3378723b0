"""``thepaper-archive report``: a self-contained HTML page with charts."""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone

from crawler.cli.options import add_db, date_or_time, db_url, days


def register(sub) -> None:
    sp = sub.add_parser("report", help="write a self-contained HTML page with charts")
    add_db(sp)
    sp.add_argument("-o", "--output", default="report.html",
                    help="HTML file, written whole or not at all; '-' for stdout")
    sp.add_argument("--days", type=days, default=30, help="days shown (default 30)")
    sp.add_argument("--end", type=date_or_time, metavar="YYYY-MM-DD",
                    help="last day shown (default: the day of the newest article)")
    sp.set_defaults(func=run)


def run(args) -> int:
    from crawler.cli.output import atomic_output, check_writable
    from storage.db import open_archive
    from storage.report import render_html, report_data

    if args.output != "-":
        check_writable(args.output)
    end = date.fromisoformat(args.end[:10]) if args.end else None
    engine, Session = open_archive(db_url(args))
    try:
        with Session() as session:
            html = render_html(report_data(session, days=args.days, now=datetime.now(timezone.utc), end=end))
    finally:
        engine.dispose()
    with atomic_output(args.output) as out:
        out.write(html)
    if args.output != "-":
        print(f"report written to {args.output}", file=sys.stderr)
    return 0
