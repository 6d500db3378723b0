"""Datasette plugin of ``thepaper-archive browse``: a search-box query of 1 or 2 characters.

The articles' search box uses the trigram index, which finds nothing shorter than 3
characters; such a query is redirected to the canned query ``articles_containing`` (LIKE, any
length), whose page says why. Loaded with ``--plugins-dir`` by :mod:`crawler.cli.browse`."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode

from datasette import hookimpl

#: The trigram index finds words of at least this many characters.
TRIGRAM_MIN = 3
TABLES = ("articles", "article_overview")


def short_search_target(path: str, query_string: str) -> str | None:
    """Where a search-box request for a 1-2 character word goes, or None to serve it as asked."""
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    database, table = parts
    suffix = ".json" if table.endswith(".json") else ""
    if table.removesuffix(".json") not in TABLES:
        return None
    term = " ".join(parse_qs(query_string).get("_search", [""])[0].split())
    if not term or len(term) >= TRIGRAM_MIN:
        return None
    args = {"term": term, **({"_shape": parse_qs(query_string)["_shape"][0]} if "_shape" in parse_qs(query_string)
                             else {})}
    return f"/{quote(database)}/articles_containing{suffix}?{urlencode(args)}"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def redirect_short_searches(scope, receive, send):
            if scope.get("type") == "http":
                target = short_search_target(scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"))
                if target is not None:
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", target.encode("utf-8"))]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)
        return redirect_short_searches
    return wrap
