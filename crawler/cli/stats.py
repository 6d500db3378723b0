"""``thepaper-archive stats``: totals, articles per day and column, failures, last runs."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from crawler.cli.options import add_db, positive_int


def register(sub) -> None:
    sp = sub.add_parser("stats", help="totals, articles per day per column, failures, last runs")
    add_db(sp)
    sp.add_argument("--json", action="store_true", help="one JSON object for scripts")
    sp.add_argument("--days", type=positive_int, default=14, help="days of per-column counts (default 14)")
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.stats import collect, format_stats

    engine, Session = open_archive(args.db)
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
