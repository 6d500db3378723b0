"""The page's other copies of its text: where a page states its title, summary or body a second
time, as evidence for what a damaged span of the kept text was (:mod:`cleaning.repair.pagecopy`).

* every page: the ``<h1>``, the ``<title>``, the ``og:``/``twitter:`` title and description, the
  ``description`` meta, JSON-LD ``headline``/``name``/``description``/``articleBody``;
* the current (Next.js) page: the rendered body when the record's body comes from the
  ``__NEXT_DATA__`` JSON (:func:`rendered_body`);
* a list API item's ``name`` (added by :func:`cleaning.document.clean_document`).

Copies are whole texts (a body copy: its paragraphs one a line), white space normalised as the
fields are; which field each copies does not matter, the anchors decide where it agrees.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from cleaning.extract import html as h
from cleaning.extract import headmeta as hm

_META = ("og:title", "twitter:title", "description", "og:description", "twitter:description")
_JSONLD = ("headline", "name", "description", "articleBody")


def page_copies(doc: HtmlElement) -> list[str]:
    """The page's own statements of its title, summary and body outside its article markup."""
    out = [h.text_of(el) for el in doc.xpath("//h1")[:2]]
    out.append(h.text_of(h.first(doc, "//title")))
    out += [hm.meta(doc, name) for name in _META]
    for item in hm.jsonld_items(doc):
        out += [h.normalize_ws(item[k]) for k in _JSONLD if isinstance(item.get(k), str)]
    return [t for t in dict.fromkeys(out) if t]


def rendered_body(el: HtmlElement | None) -> list[str]:
    """The body as the page renders it (one copy: its paragraphs one a line), or nothing."""
    if el is None:
        return []
    paragraphs = h.body_blocks(el).paragraphs
    return ["\n".join(paragraphs)] if paragraphs else []
