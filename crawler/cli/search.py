"""``thepaper-archive search``: full-text search over titles and bodies, ranked, with snippets."""

from __future__ import annotations

import io
import json
import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, db_url, int_range

#: The most hits one search returns.
MAX_LIMIT = 10_000


def register(sub) -> None:
    sp = sub.add_parser("search", help="full-text search of titles and bodies (any word length)")
    add_db(sp)
    sp.add_argument("query", help="words separated by spaces; all must occur")
    sp.add_argument("--limit", type=int_range(1, MAX_LIMIT), default=20, help=f"hits shown (default 20, at most {MAX_LIMIT})")
    sp.add_argument("--json", action="store_true", help="JSON list of hits")
    sp.set_defaults(func=run)


def run(args) -> int:
    from storage.db import open_archive
    from storage.search import SearchError, search

    try:
        args.query.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 reach Python as lone surrogates
        raise UsageError("the search query is not valid UTF-8") from None
    tty = not args.json and sys.stdout.isatty()
    open_, close = ("\x1b[1;31m", "\x1b[0m") if tty else ("[", "]")
    engine, Session = open_archive(db_url(args))
    try:
        with Session() as session:
            try:
                hits = search(session, args.query, limit=args.limit, open_=open_, close=close)
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
        buf.write(f"{i:>3}. {h.title_marked}{gone}\n     {when}{col} · {h.url} · score {h.score:g}\n"
                  f"     {h.snippet}\n")
    sys.stdout.write(buf.getvalue())
    return 0
