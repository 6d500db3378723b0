"""Plain-text dumps of article pages (what a mirror served, saved as text):
``[chrome] / title / [byline] / time / 来源 / [字号] / [原创 …] / body / [chrome]``."""

from __future__ import annotations

import re

from pipelines import boilerplate as bp
from pipelines import metadata as md
from pipelines.extract import html as h
from pipelines.extract.base import Extracted

_HEAD_WINDOW = 25
_BYLINE_HINT = re.compile(r"记者|記者|实习生|實習生|通讯员|通訊員|/@|／@")


def lines_of(text: str) -> list[str]:
    return [ln for ln in (h.normalize_ws(x) for x in text.splitlines()) if ln]


def _is_title_like(line: str) -> bool:
    return 2 <= len(line) <= 120 and not re.search(r"[。！？]$", line)


def extract_text(text: str, *, layout: str = "text_dump") -> Extracted:
    ex = Extracted(layout=layout)
    lines = lines_of(text)
    if not lines:
        return ex
    t = next((i for i, ln in enumerate(lines[:_HEAD_WINDOW]) if md.TIME_LINE.match(ln)), None)
    if t is None:
        return _no_time_line(ex, lines)
    ex.published_at = md.parse_time(lines[t])
    ex.count("byline")
    # after the time line: source, 字号, 原创 byline, column link — until the body starts
    j = t + 1
    while j < len(lines):
        ln = lines[j]
        if md.parse_source(ln) and len(ln) <= 40:
            ex.source = ex.source or md.parse_source(ln)
            ex.count("byline")
        elif re.match(r"^(?:原创|原創)\s+\S", ln) and len(ln) <= 40:
            ex.pph_byline = ln
            ex.count("byline")
        elif bp.classify(ln) in ("widget", "column_link", "counter", "breadcrumb"):
            ex.count(bp.classify(ln))
        else:
            break
        j += 1
    body = lines[j:]
    # above the time line: byline (news), then the title; anything higher is chrome or spam
    above = lines[:t]
    k = len(above) - 1
    if k >= 0 and _BYLINE_HINT.search(above[k]) and md.parse_author(above[k])[0] and len(above[k]) <= 40:
        ex.author_raw = above[k]
        ex.count("byline")
        k -= 1
    while k >= 0 and bp.classify(above[k]) is not None:
        k -= 1
    body_text = "".join(body[:40])
    title_at = None
    for i in range(k, -1, -1):
        cand = above[i]
        if bp.classify(cand) is not None or bp.is_keyword_spam(cand) or not _is_title_like(cand):
            continue
        if bp.belongs_to(cand, body_text):
            title_at = i
            break
        ex.count("title_mismatch")
    if title_at is not None:
        ex.title = above[title_at]
    for i, ln in enumerate(above):
        if i == title_at or ln == ex.author_raw:
            continue
        kind = bp.classify(ln) or ("spam_header" if bp.is_keyword_spam(ln) else None)
        if kind is None and i < (title_at if title_at is not None else len(above)):
            kind = "repeated_headline" if above.count(ln) > 1 else "spam_header"
        if kind and not (kind == "title_mismatch"):
            ex.count(kind)
    ex.paragraphs = body
    return ex


def _no_time_line(ex: Extracted, lines: list[str]) -> Extracted:
    """No time line: the first title-like line that is not chrome heads the rest."""
    i = 0
    while i < len(lines) and (bp.classify(lines[i]) is not None or bp.is_keyword_spam(lines[i])):
        ex.count(bp.classify(lines[i]) or "spam_header")
        i += 1
    if i < len(lines) and _is_title_like(lines[i]) and len(lines) - i > 1:
        ex.title = lines[i]
        i += 1
    ex.paragraphs = lines[i:]
    return ex
