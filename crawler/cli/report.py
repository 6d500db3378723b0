"""``thepaper-archive report``: a self-contained HTML page with charts."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from crawler.cli.options import add_db, positive_int


def register(sub) -> None:
    sp = sub.add_parser("report", help="write a self-contained HTML page with charts")
    add_db(sp)
    sp.add_argument("-o", "--output", default="report.html", help="HTML file, '-' for stdout")
    sp.add_argument("--days", type=positive_int, default=30, help="days shown (default 30)")
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.report import render_html, report_data

    engine, Session = open_archive(args.db)
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
