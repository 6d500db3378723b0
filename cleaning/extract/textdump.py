"""Plain-text dumps of article pages (what a mirror served, saved as text), and the visible
text of HTML no known layout claims: fields found by their shapes.

``[chrome, site name] / title / [byline] [来源] / time (alone, or with byline/来源 on the same
line) / [来源] [byline] / [字号] / [原创 <writer> [<account>]] / body / [chrome]``. A site's own
name line above the title is chrome (:func:`is_site_name`); the page's own heading, when
given (``title_hint``), names the title."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice
from typing import cast

from cleaning import boilerplate as bp
from cleaning import metadata as md
from cleaning.extract import html as h
from cleaning.extract.base import Extracted
from domain.record import Image
from cleaning.lazyre import lazy

_HEAD_WINDOW = 25
_BYLINE_HINT = lazy(r"记者|記者|实习生|實習生|通讯员|通訊員|/@|／@")
# An image URL a mirror inlined as text (site notes §6 item 8): a picture file, or any URL on
# the site's image hosts.
_IMAGE_URL = lazy(
    r"(?:https?:)?//[^\s\"'<>()（）]+?(?:\.(?:jpe?g|png|gif|webp|bmp)(?:\?[^\s\"'<>()（）]*)?"
    r"|(?<=//)image(?:cloud)?\.thepaper\.cn/[^\s\"'<>()（）]+)(?=$|[\s\"'<>()（）]|[^\x00-\x7f])",
    re.I,
)


def take_image_urls(paragraphs: Sequence[str], ex: Extracted) -> list[str]:
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
    return len(line) <= 60 and (
        re.match(r"^(?:图|圖)(?:为|為|片|源|\s*\d)", line) is not None or not re.search(r"[。！？]$", line)
    )


# A lone ideographic space inside a line may be bytes of a torn run (场。 -> A1 A1 = U+3000):
# kept for the repair stage, which normalises what is left of it afterwards.
_LONE_IDEO_SPACE = lazy(r"(?<=\S)\u3000(?=\S)")


def _line(raw: str) -> str:
    if "\u3000" not in raw:
        return h.normalize_ws(raw)
    return h.normalize_ws(_LONE_IDEO_SPACE.sub("\x00", raw)).replace("\x00", "\u3000")


def lines_of(text: str) -> list[str]:
    return [ln for ln in (_line(x) for x in text.splitlines()) if ln]


def _is_title_like(line: str) -> bool:
    return 2 <= len(line) <= 120 and not re.search(r"[。！？]$", line)


_SITE_NAME = lazy(
    r"^(?:[\u4e00-\u9fffA-Za-z0-9·]{1,14}(?:网|網|新闻|新聞|频道|頻道|资讯|資訊|在线|在線|门户|"
    r"日报|日報|晚报|晚報|时报|時報|早报|早報|周刊|週刊|科技|财经|財經)"
    r"(?:首页|首頁|官网|官網)?|(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+)$",
    re.I,
)


def is_site_name(line: str) -> bool:
    """A repost site's own name line (``某某科技网``, ``www.example.com``)."""
    return len(line) <= 20 and _SITE_NAME.match(line) is not None


def _title_candidate(line: str, hint: str = "") -> bool:
    """A line above the time line that may be the title: title-like, neither chrome nor spam
    nor a site's name (unless the page's own heading says it is the title)."""
    if hint and line == hint:
        return True
    return (
        bp.classify(line) is None and not bp.is_keyword_spam(line) and _is_title_like(line) and not is_site_name(line)
    )


#: A time inside a short head line: ``2023-10-07 13:41 来源：澎湃新闻``, ``记者 王某 2023-10-07 13:41``.
_TIME_IN_LINE = lazy(
    r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
    r"|\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}:\d{2}"
)


def _time_line(line: str) -> bool:
    """The head's time line: the time alone, or with a byline and/or 来源 on the same line."""
    if md.TIME_LINE.match(line):
        return True
    m = _TIME_IN_LINE.search(line)
    if not m or len(line) > 60:
        return False
    rest = (line[: m.start()] + " " + line[m.end() :]).strip()
    return not re.search(r"[。！？]", rest) and (
        not rest or bool(md.parse_source(rest)) or bool(_BYLINE_HINT.search(rest)) or len(rest) <= 12
    )


def _same_line_fields(ex: Extracted, line: str) -> None:
    """Source and byline written on the time line itself."""
    m = _TIME_IN_LINE.search(line)
    rest = (line[: m.start()] + " " + line[m.end() :]).strip() if m else ""
    if not rest:
        return
    src = md.parse_source(rest)
    if src:
        ex.source = ex.source or src
        rest = re.sub(r"(?:来源|來源)\s*[：:]\s*\S+", " ", rest).strip()
    if rest and _BYLINE_HINT.search(rest) and md.parse_author(rest)[0] and not ex.author_raw:
        ex.author_raw = rest


def _byline_line(line: str) -> bool:
    return bool(_BYLINE_HINT.search(line)) and bool(md.parse_author(line)[0]) and len(line) <= 40


def extract_text(text: str, *, layout: str = "text_dump", title_hint: str = "") -> Extracted:
    """A dump's fields by their shapes (module doc); ``title_hint`` is the page's own heading
    (an ``<h1>``, the ``<title>``'s first part) when the text comes from HTML."""
    return extract_lines(lines_of(text), layout=layout, title_hint=title_hint)


def _at(lines: Sequence[str], i: int) -> str | None:
    """``lines[i]``, None past the end (asked without ``len``: lines read lazily are read only
    as far as they are asked for, :class:`cleaning.extract.html.BodyLines`)."""
    try:
        return lines[i]
    except IndexError:
        return None


def extract_lines(
    lines: Sequence[str], *, layout: str = "text_dump", title_hint: str = "", head_only: bool = False
) -> Extracted:
    """The fields of a text's lines by their shapes (module doc). ``head_only``: only the time,
    byline, 来源 and 澎湃号 byline are wanted (what is read after them, the title, the chrome
    counts and the body's image URLs, is left undone; so are the lines after those it reads)."""
    ex = Extracted(layout=layout)
    if not lines:
        return ex
    t = next((i for i, ln in enumerate(islice(lines, _HEAD_WINDOW)) if _time_line(ln)), None)
    if t is None:
        return _no_time_line(ex, lines, title_hint, head_only)
    ex.published_at = md.parse_time(lines[t])
    _same_line_fields(ex, lines[t])
    ex.count("byline")
    # after the time line: source, 字号, 原创 byline, column link — until the body starts
    j = t + 1
    while (ln := _at(lines, j)) is not None:
        if md.parse_source(ln) and len(ln) <= 40:
            ex.source = ex.source or md.parse_source(ln)
            ex.count("byline")
        elif re.match(r"^(?:原创|原創)\s+\S", ln) and len(ln) <= 40:
            ex.pph_byline = ln
            nxt = _at(lines, j + 1) or ""
            if len(ln.split()) == 2 and _account_line(nxt):  # ``原创 <writer>`` / ``<account>``
                ex.pph_byline = f"{ln} {nxt}"
                j += 1
            ex.count("byline")
        elif _byline_line(ln) and not ex.author_raw:
            ex.author_raw = ln
            ex.count("byline")
        elif bp.classify(ln) in ("widget", "column_link", "counter", "breadcrumb"):
            ex.count(cast(str, bp.classify(ln)))  # cast: the elif saw it is one of four kinds
        else:
            break
        j += 1
    # above the time line: byline (news), then the title; anything higher is chrome or spam
    above = lines[:t]
    k = len(above) - 1
    while k >= 0 and (_byline_line(above[k]) or (md.parse_source(above[k]) and len(above[k]) <= 40)):
        if md.parse_source(above[k]) and len(above[k]) <= 40:  # 来源 under the title
            ex.source = ex.source or md.parse_source(above[k])
        elif not ex.author_raw:
            ex.author_raw = above[k]
        ex.count("byline")
        k -= 1
    if head_only:
        return ex
    body = lines[j:]
    while k >= 0 and bp.classify(above[k]) is not None:
        k -= 1
    body_text = "".join(body[:40])
    title_at = next((i for i in range(k, -1, -1) if title_hint and above[i] == title_hint), None)
    for i in range(k if title_at is None else -1, -1, -1):
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
        if is_site_name(ln):
            ex.count("site_name")
            continue
        kind = bp.classify(ln) or ("spam_header" if bp.is_keyword_spam(ln) else None)
        if kind is None and i < (title_at if title_at is not None else len(above)):
            kind = "repeated_headline" if above.count(ln) > 1 else "spam_header"
        if kind and not (kind == "title_mismatch"):
            ex.count(kind)
    ex.paragraphs = take_image_urls(body, ex)
    return ex


def _account_line(line: str) -> bool:
    """The 澎湃号 account on the line after ``原创 <writer>``: a short name, no punctuation."""
    return 1 <= len(line) <= 16 and not re.search(r"[，。！？、：:;；|]|\d{4}-", line) and bp.classify(line) is None


def _no_time_line(ex: Extracted, lines: Sequence[str], title_hint: str = "", head_only: bool = False) -> Extracted:
    """No time line: the page's heading (``title_hint``) or the first title-like line that is
    not chrome heads the rest."""
    if title_hint and title_hint in lines[:_HEAD_WINDOW]:
        i = lines.index(title_hint)
        ex.title = title_hint
        if head_only:
            _head_fields(ex, lines[i + 1 : i + 1 + _HEAD_FIELDS])
            return ex
        ex.count("site_name", sum(1 for ln in lines[:i] if is_site_name(ln)))
        ex.paragraphs = take_image_urls(_head_fields(ex, lines[i + 1 :]), ex)
        return ex
    i = 0
    while _at(lines, i) is not None and (
        bp.classify(lines[i]) is not None or bp.is_keyword_spam(lines[i]) or is_site_name(lines[i])
    ):
        ex.count(bp.classify(lines[i]) or ("site_name" if is_site_name(lines[i]) else "spam_header"))
        i += 1
    if _at(lines, i) is not None and _is_title_like(lines[i]) and _at(lines, i + 1) is not None:
        ex.title = lines[i]
        i += 1
    body = _head_fields(ex, lines[i : i + _HEAD_FIELDS] if head_only else lines[i:])
    if not head_only:
        ex.paragraphs = take_image_urls(body, ex)
    return ex


#: The most lines :func:`_head_fields` reads.
_HEAD_FIELDS = 4


def _head_fields(ex: Extracted, lines: Sequence[str]) -> Sequence[str]:
    """Bylines and 来源 lines at the head of a body without a time line: taken, not body."""
    j = 0
    while j < min(len(lines), _HEAD_FIELDS):
        ln = lines[j]
        if md.parse_source(ln) and len(ln) <= 40:
            ex.source = ex.source or md.parse_source(ln)
        elif _byline_line(ln) and not ex.author_raw:
            ex.author_raw = ln
        else:
            break
        ex.count("byline")
        j += 1
    return lines[j:]
