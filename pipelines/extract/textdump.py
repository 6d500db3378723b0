"""Plain-text dumps of article pages (what a mirror served, saved as text):
``[chrome] / title / [byline] / time / 来源 / [字号] / [原创 …] / body / [chrome]``."""

from __future__ import annotations

import re

from pipelines import boilerplate as bp
from pipelines import metadata as md
from pipelines.extract import html as h
from pipelines.extract.base import Extracted
from domain.record import Image

_HEAD_WINDOW = 25
_BYLINE_HINT = re.compile(r"记者|記者|实习生|實習生|通讯员|通訊員|/@|／@")
# An image URL a mirror inlined as text (site notes §6 item 8): a picture file, or any URL on
# the site's image hosts.
_IMAGE_URL = re.compile(
    r"(?:https?:)?//[^\s\"'<>()（）]+?(?:\.(?:jpe?g|png|gif|webp|bmp)(?:\?[^\s\"'<>()（）]*)?"
    r"|(?<=//)image(?:cloud)?\.thepaper\.cn/[^\s\"'<>()（）]+)(?=$|[\s\"'<>()（）]|[^\x00-\x7f])", re.I)


def take_image_urls(paragraphs: list[str], ex: Extracted) -> list[str]:
    """Image URLs inlined as text go to ``ex.images`` (a caption-like line right after one stays
    in the text, where the site prints captions, and becomes its caption too); what remains of
    each paragraph is kept."""
    out: list[str | None] = []  # None: a paragraph that was only image URLs
    for para in paragraphs:
        urls = [m.group() for m in _IMAGE_URL.finditer(para)]
        if not urls:
            if ex.images and out and out[-1] is None and _is_caption_like(para):
                ex.images[-1] = Image(src=ex.images[-1].src, caption=para)
            out.append(para)
            continue
        ex.images.extend(Image(src=u if not u.startswith("//") else "https:" + u) for u in urls)
        ex.count("inline_image", len(urls))
        rest = h.normalize_ws(_IMAGE_URL.sub(" ", para))
        out.append(rest or None)
    return [p for p in out if p]


def _is_caption_like(line: str) -> bool:
    return len(line) <= 60 and (re.match(r"^(?:图|圖)(?:为|為|片|源|\s*\d)", line) is not None
                                or not re.search(r"[。！？]$", line))


# A lone ideographic space inside a line may be bytes of a torn run (场。 -> A1 A1 = U+3000):
# kept for the repair stage, which normalises what is left of it afterwards.
_LONE_IDEO_SPACE = re.compile(r"(?<=\S)\u3000(?=\S)")


def _line(raw: str) -> str:
    if "\u3000" not in raw:
        return h.normalize_ws(raw)
    return h.normalize_ws(_LONE_IDEO_SPACE.sub("\x00", raw)).replace("\x00", "\u3000")


def lines_of(text: str) -> list[str]:
    return [ln for ln in (_line(x) for x in text.splitlines()) if ln]


def _is_title_like(line: str) -> bool:
    return 2 <= len(line) <= 120 and not re.search(r"[。！？]$", line)


def _title_candidate(line: str) -> bool:
    """A line above the time line that may be the title: title-like, neither chrome nor spam."""
    return bp.classify(line) is None and not bp.is_keyword_spam(line) and _is_title_like(line)


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
        if not _title_candidate(cand):
            continue
        if bp.belongs_to(cand, body_text):
            title_at = i
            break
        ex.count("title_mismatch")
    if title_at is None and k >= 0 and _title_candidate(above[k]) and above.count(above[k]) == 1:
        # Right above the time line and said once: the title, even if the body does not echo
        # its words (a feature's figurative headline); an unrelated headline the mirror
        # inserts comes repeated, or glued onto the first paragraph.
        title_at = k
        ex.stripped.pop("title_mismatch", None)
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
    ex.paragraphs = take_image_urls(body, ex)
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
    ex.paragraphs = take_image_urls(lines[i:], ex)
    return ex
