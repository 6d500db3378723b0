"""``thepaper-archive keywords``: the top keywords of the articles of a window of days."""

from __future__ import annotations

import sys

from crawler.cli.options import add_db, add_format, add_window, db_url, int_range, window_of

#: The most keywords one listing shows.
MAX_TOP = 10_000


def register(sub) -> None:
    sp = sub.add_parser("keywords", help="top keywords of the articles published in a window of days")
    add_db(sp)
    add_window(sp)
    sp.add_argument(
        "--top", type=int_range(1, MAX_TOP), default=50, help=f"keywords shown (default 50, at most {MAX_TOP})"
    )
    add_format(sp)
    sp.set_defaults(func=run)


def run(args) -> int:
    from crawler.cli.output import write_rows
    from storage.db import open_archive
    from storage.keywords import keyword_coverage, top_keywords

    if args.output != "-":
        from crawler.cli.output import check_writable

        check_writable(args.output, db_url(args))  # before the archive is opened: a wrong -o is one line, at once
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            window = window_of(session, args)
            top = top_keywords(session, window, args.top)
            coverage = keyword_coverage(session, window)
    finally:
        engine.dispose()
    data = {
        "first": window.first.isoformat(),
        "last": window.last.isoformat(),
        **coverage,
        "keywords": [{"keyword": k, "articles": n} for k, n in top],
    }
    write_rows(
        args,
        ["keyword", "articles"],
        [[k, n] for k, n in top],
        data,
        title=f"Top keywords of {coverage['articles']} articles, {data['first']} to {data['last']} (Asia/Shanghai)",
    )
    if coverage["not_yet_reprocessed"]:
        print(
            f"thepaper-archive: warning: {coverage['not_yet_reprocessed']} of these articles were stored by an "
            "older cleaner and have no keywords yet (run thepaper-archive reprocess)",
            file=sys.stderr,
        )
    if args.output != "-":
        print(f"keywords written to {args.output}", file=sys.stderr)
    return 0
