"""Whether a page of no known layout is an encyclopedia entry (Wikipedia, Baidu Baike, a wiki):
reference text, not an article, refused even though it is prose.

An entry shows the structure of one: a contents box, edit-section links, an infobox, a list of
references, category links. A news page or a blog post may have one of these (a reference list,
a box of facts), not three: :data:`MIN_SIGNS` kinds make an entry. Signs are read from element
ids and class-name stems (never a build hash)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

#: kind of sign -> the id/class stems that show it
SIGNS: dict[str, re.Pattern[str]] = {
    "contents box": re.compile(r"(?:^|[\s_-])(?:toc|catalog|lemmacatalog)(?:$|[\s_-])", re.I),
    "edit-section links": re.compile(r"editsection|edit-icon|edit-lemma|lemma-edit", re.I),
    "infobox": re.compile(r"infobox|basic-info|basicinfo", re.I),
    "reference list": re.compile(
        r"(?:^|[\s_-])(?:references|reflist|reference-list|lemma-reference)(?:$|[\s_-])", re.I
    ),
    "category links": re.compile(r"catlinks|open-tag-title|lemma-tag", re.I),
}
MIN_SIGNS = 3


def encyclopedia_signs(doc: HtmlElement) -> list[str]:
    """The kinds of an encyclopedia entry's structure the page shows (module doc)."""
    names = " ".join(f" {el.get('id') or ''} {el.get('class') or ''} " for el in doc.iter() if isinstance(el.tag, str))
    return [kind for kind, rx in SIGNS.items() if rx.search(names)]


def is_encyclopedia_entry(doc: HtmlElement) -> str | None:
    """Why the page is an encyclopedia entry, or None."""
    signs = encyclopedia_signs(doc)
    if len(signs) >= MIN_SIGNS:
        return f"an encyclopedia entry ({', '.join(signs)}), not an article"
    return None
