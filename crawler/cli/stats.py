"""``thepaper-archive stats``: totals, articles per day and column, failures, last runs."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone

from crawler.cli.options import add_db, date_or_time, db_url, days


def register(sub) -> None:
    sp = sub.add_parser("stats", help="totals, articles per day per column, failures, last runs")
    add_db(sp)
    sp.add_argument("--json", action="store_true", help="one JSON object for scripts")
    sp.add_argument("--days", type=days, default=14, help="days of per-column counts (default 14)")
    sp.add_argument(
        "--end",
        type=date_or_time,
        metavar="YYYY-MM-DD",
        help="last day of the per-column counts (default: the day of the newest article)",
    )
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.stats import collect, format_stats

    end = date.fromisoformat(args.end[:10]) if args.end else None
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            data = collect(session, days=args.days, now=datetime.now(timezone.utc), end=end)
    finally:
        engine.dispose()
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_stats(data))
    return 0
