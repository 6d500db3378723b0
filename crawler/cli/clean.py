"""``thepaper-archive clean``: the whole cleaning chain on saved pages, printed, no database.

``PATH`` is a file, ``-`` (standard input), a directory (each regular file in it, by name) or
an http(s) URL, fetched once, politely, as the crawl would (:mod:`crawler.fetch_once`);
the record is printed as text (the fields, then the paragraphs), Markdown (a title, a line of
metadata, the paragraphs) or JSON (one object per page, one per line). Only JSON prints the
keywords, so only a JSON run computes them (``clean_document(keywords=...)``): text and Markdown
do not load the word segmenter."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from crawler.cli.errors import EXIT_OK, EXIT_USAGE, UsageError, error_line

_FIELDS = (
    "cont_id",
    "url",
    "title",
    "published_at",
    "author",
    "author_outlet",
    "editor",
    "source",
    "node_name",
    "channel_name",
    "content_type",
    "tags",
    "encoding",
    "encoding_reason",
    "repairs",
    "stripped",
    "mirror_host",
)
FORMATS = ("text", "markdown", "json")


def register(sub) -> None:
    sp = sub.add_parser(
        "clean",
        help="run the cleaning chain on saved pages (a file, - for stdin, a directory) or on a URL "
        "fetched once; print the records",
    )
    sp.add_argument(
        "path",
        metavar="PATH",
        help="a saved page, '-' for standard input, a directory of them, or an http(s) URL to fetch once "
        "(robots.txt, the address guard, USER_AGENT and DOWNLOAD_TIMEOUT as in a crawl)",
    )
    sp.add_argument("--url", help="the URL the page was fetched from (one page only)")
    sp.add_argument(
        "--base-url", help="a URL: the site's URL (e.g. the mock), whose address the guard allows as a crawl's"
    )
    sp.add_argument("--allow-private", action="store_true", help="a URL: let it reach private or loopback addresses")
    sp.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a URL: any Scrapy setting")
    sp.add_argument(
        "--format",
        choices=FORMATS,
        help="text (default), markdown, or json (one object per line; the only one with the keywords, "
        "which only it computes)",
    )
    sp.add_argument("--json", action="store_true", help="the same as --format json")
    sp.add_argument(
        "--explain",
        action="store_true",
        help="also print every repair of the text: where, which rule, decided by the bytes, "
        "the word model or a rule, before and after (text format)",
    )
    sp.set_defaults(func=run)


def _is_url(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


def _inputs(path: str, limit: int) -> list[tuple[str, bytes | None]]:
    """``(name, bytes)`` of every page ``path`` names (each at most ``limit`` bytes, 0: any size);
    bytes None for a file of a directory that cannot be read."""
    from crawler.cli.saved_files import read_saved_file

    if _is_url(path):
        return []  # fetched by run(), with the settings
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1) if limit > 0 else sys.stdin.buffer.read()
        if limit > 0 and len(data) > limit:
            raise UsageError(f"standard input is larger than the download size limit ({limit:,} bytes)")
        return [("-", data)]
    p = Path(path).expanduser()
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
        if not files:
            raise UsageError(f"no files in the directory {path}")
        return [(str(f), _read(f, limit)) for f in files]
    return [(path, read_saved_file(path, limit))]


def _read(path: Path, limit: int) -> bytes | None:
    from crawler.cli.saved_files import read_saved_file

    try:
        return read_saved_file(str(path), limit)
    except UsageError as exc:
        error_line(str(exc))
        return None


def _fetch(args) -> tuple[bytes, str]:
    """The page at the URL ``args.path`` (:func:`crawler.fetch_once.fetch_page`) and the URL it is
    cleaned under: ``--url``, else the canonical URL of an article of the configured site (as
    the crawl cleans it), else where the page was."""
    from crawler.cli.spider_run import build_settings
    from crawler.fetch_once import fetch_page
    from domain.urls import BadURLError, canonical_url, parse_article_ref

    settings = build_settings(args)
    if args.allow_private:
        settings.set("THEPAPER_ALLOW_PRIVATE", True, priority="cmdline")
    page = fetch_page(args.path, settings)
    if args.url:
        return page.body, args.url
    site = urlsplit(settings.get("THEPAPER_SITE_URL") or "").netloc.lower()
    try:
        ref = parse_article_ref(page.url, allow_any_host=True)
    except BadURLError:
        return page.body, page.url
    return page.body, canonical_url(ref.cont_id) if urlsplit(page.url).netloc.lower() == site else page.url


def as_text(record, explain: bool = False) -> str:
    d = record.to_dict()
    head = "".join(f"{key}: {d[key]}\n" for key in _FIELDS if d.get(key) not in (None, "", [], {}))
    if explain:
        from crawler.cli.show import format_repair_log

        head += "\n".join(format_repair_log(record.repair_log)) + "\n"
    return head + "\n" + "\n\n".join(record.paragraphs) + "\n"


def as_markdown(record) -> str:
    """``# title``, an italic line of what is known (time, column, author, source, URL), the paragraphs."""
    when = record.published_at.isoformat(timespec="minutes") if record.published_at else ""
    meta = " · ".join(x for x in (when, record.node_name, record.author, record.source, record.url) if x)
    escape = str.maketrans({c: "\\" + c for c in "*_`#[]"})
    parts = [f"# {record.title.translate(escape)}" if record.title else ""]
    if meta:
        parts.append(f"*{meta.translate(escape)}*")
    parts += [p.translate(escape) for p in record.paragraphs]
    return "\n\n".join(x for x in parts if x) + "\n"


def run(args) -> int:
    from cleaning.document import clean_document
    from domain.record import CleaningError

    fmt = "json" if args.json else (args.format or "text")
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} contradict each other: give one")
    from crawler.cli.saved_files import size_limit

    pages = _inputs(args.path, size_limit(args))
    if args.url and len(pages) > 1:
        raise UsageError("--url names the URL of one page, and the directory holds several")
    url = args.url
    if _is_url(args.path):  # fetched once (an error is one line)
        page, url = _fetch(args)
        pages = [(args.path, page)]
    elif args.base_url or args.allow_private or args.set:
        raise UsageError(f"--base-url, --allow-private and -s apply to a URL, and {args.path} is none")
    cleaned = failed = 0
    for name, data in pages:
        if data is None:
            failed += 1
            continue
        try:
            record = clean_document(data, url=url, keywords=fmt == "json")  # only JSON shows them
        except CleaningError as exc:
            error_line(f"{name}: {exc.reason}: {exc}")
            failed += 1
            continue
        cleaned += 1
        if fmt == "json":
            out = record.to_dict() if len(pages) == 1 else {"path": name, **record.to_dict()}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            if len(pages) > 1:
                sys.stdout.write(
                    ("\n" if cleaned > 1 else "") + (f"<!-- {name} -->\n" if fmt == "markdown" else f"==> {name} <==\n")
                )
            sys.stdout.write(as_markdown(record) if fmt == "markdown" else as_text(record, args.explain))
    if len(pages) > 1:
        print(f"clean: {len(pages)} files: cleaned {cleaned}, failed {failed}", file=sys.stderr)
    return EXIT_OK if cleaned else EXIT_USAGE
