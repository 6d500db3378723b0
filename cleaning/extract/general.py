"""HTML of no known layout: the main text where two readings of the page agree, and the head
fields from the page's own evidence.

The body: trafilatura's main-text extraction (its scoring of the page's blocks) and our reading
of the visible text by shapes (:mod:`cleaning.extract.textdump`: the body starts under the
title/time head) are two readings. A visible line that both hold is body; chrome (navigation,
"related" lists, comment prompts, footers) is in at most one of them. When one reading has no
body, or they share too little, the one that holds prose is kept: trafilatura's first (it is the
better extractor on pages it reads, measured on ``tests/data/devset``).

The head fields: :mod:`cleaning.extract.evidence` (title, time, author, source from h1, meta
tags, JSON-LD, visible lines and the URL, chosen by agreement).
"""

from __future__ import annotations

from lxml.html import HtmlElement

from cleaning import boilerplate as bp
from cleaning.extract import html as h
from cleaning.extract.base import Extracted
from cleaning.extract.shape import anchors, is_field, is_link_line, is_prose
from cleaning.lazyre import lazy

_SPACE = lazy(r"[\s\u3000\xa0]+")
#: Below this share of our reading's characters that trafilatura's reading also holds, the two
#: readings disagree about where the article is: trafilatura's is kept alone.
MIN_AGREEMENT = 0.5
_HAN = lazy(r"[\u3400-\u9fff]")


def squash(text: str) -> str:
    return _SPACE.sub("", text or "")


def main_text(text: str) -> list[str]:
    """trafilatura's main text of the page, one paragraph a line ([] when it finds none)."""
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(text, include_comments=False, include_tables=True, favor_precision=True)
    except Exception:  # noqa: BLE001 - a page trafilatura cannot read is one it gives no reading of
        return []
    body = getattr(doc, "text", None) if doc is not None else None
    if isinstance(doc, dict):
        body = doc.get("text")
    return [
        p
        for p in (h.normalize_ws(_TABLE_BAR.sub(" ", x).replace("\\|", "|")) for x in (body or "").splitlines())
        if p and not _TABLE_RULE.match(p)
    ]


#: trafilatura writes a table's rows as ``| cell | cell |`` (a bar inside a cell as ``\|``): the
#: cells' text is what the page shows; the bars and the ``|---|`` rule under a header row are not.
_TABLE_BAR = lazy(r"(?<!\\)\|")
_TABLE_RULE = lazy(r"^[-:| ]+$")


def agreed_body(ours: list[str], theirs: list[str]) -> list[str]:
    """The body where the two readings agree (module doc): our lines that trafilatura's reading
    holds, in our order; trafilatura's lines when agreement is too thin; ours when it has none."""
    if not theirs or (not _has_body(theirs) and _has_body(ours)):
        return ours  # none, or a box of facts (``label：value`` lines) without the article's text
    if not ours:
        return theirs
    pool = squash("".join(theirs))
    agreed = [squash(p) in pool for p in ours]
    share = sum(len(squash(p)) for p, ok in zip(ours, agreed) if ok) / max(1, len(pool))
    if share < MIN_AGREEMENT:
        return theirs
    # a line our boilerplate rules know stays, for the strip stage to remove and count by its kind
    return [p for p, ok in zip(ours, agreed) if ok or bp.classify(p) is not None]


#: A reading holds a body when its sentences outside ``label：value`` fields hold this many Han characters.
MIN_BODY_HAN = 20


def _has_body(lines: list[str]) -> bool:
    return sum(len(_HAN.findall(ln)) for ln in lines if is_prose(ln) and not is_field(ln)) >= MIN_BODY_HAN


#: The share of the agreed body's characters the article's container must hold.
CONTAINER_SHARE = 0.8


def _line_elements(doc: HtmlElement, lines: list[str]) -> list[HtmlElement | None]:
    """For each line, an element whose own text (text or tail) is part of it, or None."""
    out: list[HtmlElement | None] = [None] * len(lines)
    squashed = [squash(ln) for ln in lines]
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for piece, owner in ((el.text, el), (el.tail, el.getparent())):
            frag = squash(piece or "")
            if len(frag) < 4 or owner is None:
                continue
            for i, ln in enumerate(squashed):
                if out[i] is None and frag in ln and (len(frag) >= 12 or len(frag) * 2 >= len(ln)):
                    out[i] = owner
    return out


def in_container(doc: HtmlElement, lines: list[str]) -> list[str]:
    """The lines inside the article's container: the deepest element that holds at least
    :data:`CONTAINER_SHARE` of the characters of the lines that are not link text. A copyright line, a footer's links or a
    "related" list that both readings took lies outside it and is dropped."""
    if doc is None or len(lines) < 3:
        return lines
    owners = _line_elements(doc, lines)
    weight: dict[HtmlElement, int] = {}
    # navigation weighs nothing: the box is where the page's own text is, not its links
    links = anchors([h.text_of(a) for a in doc.iter("a")])
    own = [not is_link_line(ln, links) for ln in lines]
    total = sum(len(squash(ln)) for ln, mine in zip(lines, own) if mine)
    for ln, el, mine in zip(lines, owners, own):
        while el is not None and mine:
            weight[el] = weight.get(el, 0) + len(squash(ln))
            el = el.getparent()
    held = [el for el, w in weight.items() if w >= CONTAINER_SHARE * total]
    if not held:
        return lines
    box = max(held, key=lambda el: sum(1 for _ in el.iterancestors()))
    inside = {id(x) for x in box.iter()}
    # a line our boilerplate rules know stays, for the strip stage to remove and count by its kind
    return [ln for ln, el in zip(lines, owners) if el is None or id(el) in inside or bp.classify(ln) is not None]


def _unrepeated(lines: list[str]) -> list[str]:
    """A long paragraph the page prints twice (a print or share copy) is kept once."""
    seen: set[str] = set()
    out = []
    for ln in lines:
        key = squash(ln)
        if len(key) >= 20 and key in seen:
            continue
        seen.add(key)
        out.append(ln)
    return out


def apply_main_text(ex: Extracted, text: str, doc: HtmlElement | None = None) -> None:
    """Narrow ``ex.paragraphs`` (our reading by shapes) to where trafilatura's reading agrees,
    inside the article's container."""
    theirs = main_text(text)
    if ex.title:
        theirs = [p for p in theirs if p != ex.title]
    before = len(ex.paragraphs)
    ex.paragraphs = _unrepeated(in_container(doc, agreed_body(ex.paragraphs, theirs)))
    if doc is not None:
        links = anchors([h.text_of(a) for a in doc.iter("a")])
        while ex.paragraphs and is_link_line(ex.paragraphs[-1], links):  # download, share, "next" links
            ex.paragraphs.pop()
    dropped = before - sum(1 for p in ex.paragraphs if p)
    if dropped > 0:
        ex.count("chrome_outside_main_text", dropped)
