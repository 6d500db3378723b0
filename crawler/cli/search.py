"""``thepaper-archive search``: full-text search over titles and bodies, ranked, with snippets.

A word or ``--tag`` typed in Traditional characters is looked for in its Simplified forms too
(:func:`cleaning.repair.traditional.query_forms`: the archive is Simplified); ``--as-typed``
turns that off. ``--since``/``--until``/``--column``/``--tag`` narrow the hits."""

from __future__ import annotations

import io
import json
import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, date_or_time, db_url, int_range, numeric_ids

#: The most hits one search returns.
MAX_LIMIT = 10_000


def register(sub) -> None:
    sp = sub.add_parser("search", help="full-text search of titles and bodies (any word length)")
    add_db(sp)
    sp.add_argument("query", help="words separated by spaces; all must occur")
    sp.add_argument(
        "--limit", type=int_range(1, MAX_LIMIT), default=20, help=f"hits shown (default 20, at most {MAX_LIMIT})"
    )
    sp.add_argument("--json", action="store_true", help="JSON list of hits")
    sp.add_argument(
        "--since", type=date_or_time, help="published on or after this day (YYYY-MM-DD, Asia/Shanghai) or ISO time"
    )
    sp.add_argument(
        "--until",
        type=date_or_time,
        help="published on or before this day (YYYY-MM-DD, inclusive) or before an ISO time",
    )
    sp.add_argument(
        "--column",
        type=numeric_ids,
        action="append",
        metavar="ID",
        help="only articles of this column (栏目, node id); repeat or comma-separate for several",
    )
    sp.add_argument(
        "--tag", action="append", metavar="NAME", help="only articles with this tag; repeat to require several"
    )
    sp.add_argument(
        "--as-typed",
        action="store_true",
        help="look for the words only as typed (by default Traditional words are also looked for in Simplified)",
    )
    sp.set_defaults(func=run)


def filters_of(args, forms=None):
    """The hits' filters from the options (bad dates: a usage error); each tag in its ``forms``."""
    from storage.export import ExportError, parse_bound
    from storage.search import Filters

    try:
        since = parse_bound(args.since, end=False)
        until = parse_bound(args.until, end=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    ids = tuple(int(x) for spec in args.column or () for x in spec.split(","))
    names = [t.strip() for t in args.tag or () if t.strip()]
    if args.tag and not names:
        raise UsageError("--tag needs a tag name")
    tags = tuple(tuple(dict.fromkeys([t, *(forms(t) if forms else ())])) for t in names)
    return Filters(since=since, until=until, node_ids=ids, tags=tags)


def run(args) -> int:
    from cleaning.repair.traditional import query_forms
    from storage.db import open_archive
    from storage.search import SearchError, count_matches, search

    for text in (args.query, *(args.tag or ())):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 reach Python as lone surrogates
            raise UsageError("the search query is not valid UTF-8") from None
    filters = filters_of(args, None if args.as_typed else query_forms)
    tty = not args.json and sys.stdout.isatty()
    open_, close = ("\x1b[1;31m", "\x1b[0m") if tty else ("[", "]")
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            try:
                hits = search(
                    session,
                    args.query,
                    limit=args.limit,
                    open_=open_,
                    close=close,
                    forms=None if args.as_typed else query_forms,
                    filters=filters,
                )
                total = (
                    count_matches(session, args.query, forms=None if args.as_typed else query_forms, filters=filters)
                    if len(hits) == args.limit
                    else len(hits)
                )
            except SearchError as exc:
                raise UsageError(str(exc)) from None
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
        buf.write(f"{i:>3}. {h.title_marked}{gone}\n     {when}{col} · {h.url} · score {h.score:g}\n     {h.snippet}\n")
    sys.stdout.write(buf.getvalue())
    if total > len(hits):
        print(f"{len(hits)} of {total} hits shown; --limit for more", file=sys.stderr)
    return 0
