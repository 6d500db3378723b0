"""``thepaper-archive failures [--open|--dead]``: what could not be stored — reason, attempts, last
attempt, next retry (:func:`storage.lookup.list_failures`)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from crawler.cli.options import add_db, db_url, positive_int


def register(sub) -> None:
    sp = sub.add_parser("failures", help="failed URLs: reason, attempts, next retry")
    add_db(sp)
    state = sp.add_mutually_exclusive_group()
    state.add_argument("--open", dest="state", action="store_const", const="open", help="only failures still retried")
    state.add_argument(
        "--dead",
        dest="state",
        action="store_const",
        const="dead",
        help="only failures given up (attempts reached the cap)",
    )
    sp.set_defaults(state="all")
    sp.add_argument("--reason", help="only this reason (e.g. http_503, timeout, empty_article)")
    sp.add_argument("--limit", type=positive_int, default=100, help="rows shown (default 100)")
    sp.add_argument("--json", action="store_true", help="JSON: the counts by reason and the rows")
    sp.set_defaults(func=run)


def run(args) -> int:
    from crawler.cli.show import _when
    from storage.db import open_archive
    from storage.lookup import failure_reasons, list_failures, plain
    from storage.stats import table

    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            rows = list_failures(session, args.state, reason=args.reason, limit=args.limit)
            reasons = failure_reasons(session, args.state)
    finally:
        engine.dispose()
    if args.json:
        json.dump(
            plain({"state": args.state, "by_reason": reasons, "failures": rows}),
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    total = sum(reasons.values())
    what = {"all": "failures", "open": "open failures", "dead": "dead failures"}[args.state]
    if not total:
        print(f"no {what}", file=sys.stderr)
        return 0
    if args.reason and not rows:
        print(f"no {what} with reason {args.reason} (reasons: " + ", ".join(reasons) + ")", file=sys.stderr)
        return 0
    matching = reasons.get(args.reason, len(rows)) if args.reason else total
    now = datetime.now(timezone.utc)
    print(f"{total} {what}: " + ", ".join(f"{r} {n}" for r, n in reasons.items()))
    print(
        table(
            ["reason", "attempts", "first", "last", "next retry", "cont_id", "url", "message"],
            [
                [
                    f["reason"],
                    f["attempts"],
                    _when(f["first_failed_at"]),
                    _when(f["last_failed_at"]),
                    "dead"
                    if f["dead"]
                    else ("due" if f["next_retry_at"] and f["next_retry_at"] <= now else _when(f["next_retry_at"])),
                    f["cont_id"] or "-",
                    f["url"],
                    " ".join((f["message"] or "").split())[:60],
                ]
                for f in rows
            ],
            right={1},
        )
    )
    if len(rows) < matching:
        print(f"({len(rows)} of {matching} shown; --limit for more)")
    return 0
