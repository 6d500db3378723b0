"""Whether text has an article's shape, and the page's own heading: for HTML no known layout
claims and for plain text.

An article is prose: :func:`not_an_article` says why a body is not one — too little prose
(a home page or a list page is headlines and links, without sentences), or lines that are
a log's or a README's (timestamps or levels opening most lines, Markdown headings, lists and
code fences). Prose lines hold at least 8 Han characters and a sentence mark, full-width or
half-width (``,`` ``?`` after a Han character or before a space). The check runs on the repaired
text (:func:`cleaning.document.clean_document`): a page read with the wrong charset is judged on
what the repair restores. A short piece (a brief, a live post, a one-paragraph excerpt) that has
a title and a time needs one prose line, not :data:`MIN_PROSE_HAN` characters of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from cleaning.extract import html as h
from lxml.html import HtmlElement
from cleaning.lazyre import lazy

_HAN = lazy(r"[\u3400-\u9fff]")
_SENTENCE = lazy(r"[。！？；，]|(?<=[\u3400-\u9fff])[,.!?;]|[,.!?;](?=\s|$)")
_LOG_LINE = lazy(
    r"^\s*\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d\d:\d\d:\d\d|(?:DEBUG|INFO|WARN(?:ING)?|ERROR|"
    r"CRITICAL|TRACE|FATAL)\b)",
    re.I,
)
_MARKDOWN_LINE = lazy(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+\.\s|```|~~~|\||>\s|!\[|\[[^\]]+\]\()")
MIN_PROSE_HAN = 20
MIN_SHORT_PIECE_HAN = 8
MIN_PROSE_SHARE = 0.4
MIN_TITLED_PROSE_SHARE = 0.2  # a titled, timed page whose prose shares the body with a table of facts
MAX_MACHINE_SHARE = 0.3
#: A list of threads or headlines shows a count (replies, views) on a line of its own beside each
#: item: a body of at least MIN_LIST_LINES lines of which this share are bare counts is a list.
_COUNTER = lazy(r"^\s*\d[\d,.]*\s*[万wWkK]?\s*$")
MAX_COUNTER_SHARE = 0.5
MIN_LIST_LINES = 10


def is_prose(line: str) -> bool:
    return len(_HAN.findall(line)) >= 8 and bool(_SENTENCE.search(line))


#: A field of a document set out as a form: a short label, then a colon (``地  点：``, ``发文机关：``).
_FIELD = lazy(r"^\s*[\u3400-\u9fff][\u3400-\u9fff\s]{0,7}[：:]")
#: An entry of a programme or schedule: it opens with a clock time or a date (``8:30－8:50 开幕式``,
#: ``12月10日 代表注册``) and names what happens then.
_ENTRY = lazy(r"^\s*(?:\d{1,2}[:：]\d{2}|\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d\d\s*[-/.年]\s*\d{1,2})")
MIN_SET_OUT_LINES = 5
MIN_SET_OUT_SHARE = 0.2
MAX_LINK_SHARE = 0.1


def is_field(line: str) -> bool:
    return bool(_FIELD.match(line))


def _is_set_out(line: str) -> bool:
    return is_field(line) or (bool(_ENTRY.match(line)) and len(_HAN.findall(line)) >= 2)


def _squash(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text)


def anchors(link_texts: Collection[str]) -> list[str]:
    return [a for a in {_squash(t) for t in link_texts} if len(a) >= 2]


def is_link_line(line: str, anchor_texts: list[str]) -> bool:
    """A line at least half of which one link's text holds (``anchor_texts`` from :func:`anchors`)."""
    sq = _squash(line)
    return any(len(a) * 2 >= len(sq) and a in sq for a in anchor_texts)


def link_share(lines: list[str], link_texts: Collection[str]) -> float:
    """Share of ``lines`` that are link text (:func:`is_link_line`)."""
    found = anchors(link_texts)
    return sum(1 for ln in lines if is_link_line(ln, found)) / max(1, len(lines))


def is_set_out_document(lines: list[str], link_texts: Collection[str] | None) -> bool:
    """A document set out as fields and timed entries (a programme, a notice, a schedule): the
    page's own text, not links, though it has few sentences. A home or list page is links; verse
    (lyrics) has neither fields nor entries. Unknown without the page's links (plain text)."""
    if link_texts is None:
        return False
    set_out = sum(1 for ln in lines if _is_set_out(ln))
    return (
        set_out >= MIN_SET_OUT_LINES
        and set_out / len(lines) >= MIN_SET_OUT_SHARE
        and link_share(lines, link_texts) <= MAX_LINK_SHARE
    )


#: A clause break written as a space between Han characters (blog writing without punctuation:
#: ``已將山巒披上嫣紅的彩衣 玉峰道路一路上雲氣山嵐滯留山頭``).
_SPACED_CLAUSE = lazy(r"[\u3400-\u9fff]\s+[\u3400-\u9fff]")
MIN_SPACED_PROSE_HAN = 16


def _is_spaced_prose(line: str) -> bool:
    """Clauses broken by spaces: prose on a page that has a title and a time (a home page's
    headlines may carry a space too, so it counts only there)."""
    return len(_HAN.findall(line)) >= MIN_SPACED_PROSE_HAN and bool(_SPACED_CLAUSE.search(line))


_NUMBERED = lazy(r"^\s*\d+\.\s")


def _is_machine(line: str) -> bool:
    """A log line or a Markdown line; a numbered point that is prose is an article's."""
    if _LOG_LINE.match(line):
        return True
    return bool(_MARKDOWN_LINE.match(line)) and not (_NUMBERED.match(line) and is_prose(line))


def not_an_article(
    lines: list[str], *, titled_and_timed: bool = False, link_texts: Collection[str] | None = None
) -> str | None:
    """Why ``lines`` (a page's body, or a whole text) are not an article, or None.
    ``titled_and_timed``: the page has a title and a time, so a short piece is an article, and
    so is a document set out as fields and entries (:func:`is_set_out_document`; ``link_texts``:
    the texts of the page's links)."""
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return "no body text"
    machine = sum(1 for ln in lines if _is_machine(ln))
    if machine / len(lines) >= MAX_MACHINE_SHARE:
        return f"{machine} of {len(lines)} lines are log or Markdown lines, not prose"
    counters = sum(1 for ln in lines if _COUNTER.match(ln))
    if len(lines) >= MIN_LIST_LINES and counters / len(lines) >= MAX_COUNTER_SHARE:
        return f"{counters} of {len(lines)} lines are bare counts (replies, views): a list page"
    prose = [ln for ln in lines if is_prose(ln) or (titled_and_timed and _is_spaced_prose(ln))]
    han = sum(len(_HAN.findall(ln)) for ln in prose)
    if titled_and_timed and is_set_out_document(lines, link_texts):
        return None
    total = sum(len(ln) for ln in lines) or 1
    if han < (MIN_SHORT_PIECE_HAN if titled_and_timed else MIN_PROSE_HAN):
        return f"no prose ({han} Han characters in sentences)"
    if sum(len(ln) for ln in prose) / total < (MIN_TITLED_PROSE_SHARE if titled_and_timed else MIN_PROSE_SHARE):
        return "mostly headlines and links, little prose (a home or list page)"
    return None


_TITLE_SPLIT = lazy(r"\s*(?:_|\s[-|–—]\s|｜|\|)\s*")


def page_heading(doc: HtmlElement) -> str:
    """The page's own heading: its single ``<h1>``, else the first part of its ``<title>``
    (``标题_站名``, ``标题 - 站名``)."""
    h1s = [h.text_of(el) for el in doc.xpath("//body//h1")]
    h1s = [t for t in h1s if t]
    title = h.text_of(h.first(doc, "//title"))
    parts = [p for p in _TITLE_SPLIT.split(title) if p]
    if len(h1s) == 1 and not (len(parts) > 1 and h1s[0] == parts[-1]):  # not the site's name (a logo)
        return h1s[0]
    return parts[0] if len(parts) > 1 else title
