"""``thepaper-archive trends TERM...``: how many articles per day, week or month mention each term."""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, add_format, add_window, db_url, numeric_ids, window_of


def register(sub) -> None:
    from storage.columns import MAX_TERMS

    sp = sub.add_parser("trends", help="articles per day, week or month that mention each term")
    add_db(sp)
    sp.add_argument(
        "terms",
        nargs="+",
        metavar="TERM",
        help=f"words to count (title or body, as search matches them; at most {MAX_TERMS})",
    )
    sp.add_argument(
        "--by",
        choices=["day", "week", "month"],
        help="period (default: days up to 60 days, weeks up to 730, months beyond)",
    )
    add_window(sp)
    sp.add_argument(
        "--as-typed",
        action="store_true",
        help="count the terms only as typed (by default a Traditional term is also looked for in "
        "its Simplified forms, as search does)",
    )
    sp.add_argument(
        "--column",
        type=numeric_ids,
        action="append",
        metavar="ID",
        help="only articles of this column (node id; repeat or comma-separate for several)",
    )
    add_format(sp)
    sp.set_defaults(func=run)


def terms_of(values: list[str]) -> list[str]:
    """The terms as given, stripped, without repeats; UsageError for an empty or bad one."""
    from storage.columns import MAX_TERMS

    out: list[str] = []
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError("a term is not valid UTF-8") from None
        term = " ".join(value.split())
        if not term:
            raise UsageError("empty term")
        if term not in out:
            out.append(term)
    if len(out) > MAX_TERMS:
        raise UsageError(f"too many terms: {len(out)} (at most {MAX_TERMS})")
    return out


def run(args) -> int:
    from cleaning.repair.traditional import query_forms
    from crawler.cli.output import write_rows
    from storage.db import open_archive
    from storage.periods import choose_unit
    from storage.trends import term_trends, trend_rows

    terms = terms_of(args.terms)
    nodes = [int(x) for value in args.column or [] for x in value.split(",")]
    if args.output != "-":
        from crawler.cli.output import check_writable

        check_writable(args.output, db_url(args))  # before the archive is opened: a wrong -o is one line, at once
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            window = window_of(session, args)
            data = term_trends(
                session,
                terms,
                window,
                args.by or choose_unit(window.days),
                nodes,
                forms=None if args.as_typed else query_forms,
            )
    finally:
        engine.dispose()
    headers, rows = trend_rows(data)
    write_rows(
        args,
        headers,
        rows,
        data,
        title=f"Articles per {data['unit']} mentioning each term, {data['first']} to {data['last']} (Asia/Shanghai)",
    )
    if args.output != "-":
        print(f"trends written to {args.output}", file=sys.stderr)
    return 0
