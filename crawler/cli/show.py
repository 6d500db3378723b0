"""``thepaper-archive show ID|URL``: one article as the archive holds it, as text or JSON: its fields,
tags, previous versions, the raw pages it came from (fetch times, status, encodings) and its
failures (:func:`storage.lookup.article_detail`)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, db_url


def register(sub) -> None:
    sp = sub.add_parser("show", help="one article with its versions, tags and raw pages")
    add_db(sp)
    sp.add_argument("article", metavar="ID|URL", help="article id or any URL of it (site, mobile, mirror)")
    sp.add_argument("--json", action="store_true", help="one JSON object (times ISO 8601, +08:00)")
    sp.add_argument("--no-body", action="store_true", help="text: leave out the body text")
    sp.set_defaults(func=run)


def _when(value: datetime | None) -> str:
    from storage.types import SHANGHAI

    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def format_repair_log(entries: list[dict]) -> list[str]:
    """The lines that explain a record's repairs (``repair_log``): one per change, where (field and
    offset in its stored text), the rule, what decided it (bytes, model with its margin, rule, page),
    the text before and after."""
    from_page = sum(1 for e in entries if e.get("by") == "page")
    lines = [
        f"repairs explained: {len(entries)}"
        + (f" ({sum(1 for e in entries if e.get('by') == 'model')} chosen by the word model)" if entries else "")
        + (f" ({from_page} restored from the page's other copy)" if from_page else "")
    ]
    for e in entries:
        by = e.get("by", "")
        if by == "model" and e.get("margin") is not None:
            by += f" {e['margin']:.1f}"
        lines.append(
            f"  {e.get('field', '')}@{e.get('offset', 0):<6} {e.get('rule', ''):<20} {by:<11} "
            f"{json.dumps(e.get('before', ''), ensure_ascii=False)} -> {json.dumps(e.get('after', ''), ensure_ascii=False)}"
        )
    return lines


def format_detail(d: dict, *, body: bool = True) -> str:
    """The text form of :func:`storage.lookup.article_detail`."""
    from storage.lookup import ARTICLE_FIELDS
    from storage.stats import table

    lines = [f"{d['cont_id']}  {d['title']}", "(times in Asia/Shanghai)", ""]
    for f in ARTICLE_FIELDS:
        if f in ("cont_id", "title"):
            continue
        v = d[f]
        if v in (None, "", {}, []) and f not in ("summary",):
            continue
        v = _when(v) if isinstance(v, datetime) else json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
        lines.append(f"{f:<16}{v}")
    lines.append(f"{'tags':<16}{'; '.join(d['tags']) or '-'}")
    lines += ["", *format_repair_log(d.get("repair_log") or [])]
    lines += ["", f"versions before this one: {len(d['versions'])}"]
    if d["versions"]:
        lines.append(
            table(
                ["version", "valid from", "replaced", "type", "cleaner", "raw page", "title"],
                [
                    [
                        v["version"],
                        _when(v["valid_from"]),
                        _when(v["replaced_at"]),
                        v["content_type"],
                        v["cleaner_version"],
                        v["raw_page_id"] or "-",
                        v["title"],
                    ]
                    for v in d["versions"]
                ],
                right={0, 5},
            )
        )
    lines += ["", f"raw pages: {len(d['raw_pages'])}"]
    if d["raw_pages"]:
        lines.append(
            table(
                ["id", "fetched", "status", "kind", "declared", "decoded as", "bytes", "version", "url"],
                [
                    [
                        p["id"],
                        _when(p["fetched_at"]),
                        p["status"] or "-",
                        p["kind"],
                        p["declared_charset"] or "-",
                        p["decoded_as"] or "-",
                        p["body_size"],
                        ",".join(map(str, p["cleaned_into"])) or "-",
                        p["final_url"] or p["url"],
                    ]
                    for p in d["raw_pages"]
                ],
                right={0, 2, 6},
            )
        )
    lines += ["", f"failures: {len(d['failures'])}"]
    if d["failures"]:
        lines.append(
            table(
                ["reason", "attempts", "last", "next retry", "url"],
                [
                    [
                        f["reason"],
                        f["attempts"],
                        _when(f["last_failed_at"]),
                        "dead" if f["dead"] else _when(f["next_retry_at"]),
                        f["url"],
                    ]
                    for f in d["failures"]
                ],
                right={1},
            )
        )
    if body:
        lines += ["", d["body_text"] or "(no body text)"]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from domain.urls import BadURLError, parse_article_ref
    from storage.db import open_archive
    from storage.lookup import article_detail, plain

    try:
        cont_id = parse_article_ref(args.article, allow_any_host=True).cont_id
    except BadURLError as exc:
        raise UsageError(str(exc)) from None
    engine, Session = open_archive(db_url(args), readonly=True)
    try:
        with Session() as session:
            detail = article_detail(session, cont_id)
    finally:
        engine.dispose()
    if detail is None:
        raise UsageError(f"no article {cont_id} in the archive")
    if args.json:
        json.dump(plain(detail), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_detail(detail, body=not args.no_body))
    return 0
