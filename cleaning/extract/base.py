"""What an extractor returns: the page's fields as it states them, before repair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.record import Image


class Copies:
    """The page's other copies of its text (:mod:`cleaning.extract.copies`), in the order
    given: texts, and texts read from the page only when first asked for (:meth:`later`): a
    repair needs them only where a field has a damaged span, which most pages have not."""

    __slots__ = ("_parts", "_texts")

    def __init__(self) -> None:
        self._parts: list[list[str] | Callable[[], list[str]]] = []
        self._texts: list[str] | None = None

    def add(self, texts: list[str]) -> None:
        self._parts.append(list(texts))
        self._texts = None

    def later(self, read: Callable[[], list[str]]) -> None:
        """``read()`` gives more copies, called once, when the copies are first asked for."""
        self._parts.append(read)
        self._texts = None

    def texts(self) -> list[str]:
        if self._texts is None:
            read = [part if isinstance(part, list) else part() for part in self._parts]
            self._parts = list(read)
            self._texts = [t for part in read for t in part]
        return self._texts


@dataclass
class Extracted:
    """Raw fields of one article page. Text fields are not yet repaired or stripped;
    ``paragraphs`` are the body's blocks in order (captions at their image's place)."""

    layout: str
    cont_id: int | None = None
    canonical_url: str | None = None
    title: str = ""
    summary: str = ""
    published_at: datetime | None = None
    author_raw: str = ""  # e.g. "澎湃新闻记者 朱轩", "魏哲哲/@人民日报"
    pph_byline: str = ""  # e.g. "原创 徐博文 集智俱乐部"
    editor_raw: str = ""  # the text holding 责任编辑：…
    source: str = ""
    node_id: int | None = None
    node_name: str = ""
    channel_id: int | None = None
    tags: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    caption_idx: set[int] = field(default_factory=set)  # paragraph indices that are captions
    content_type: str | None = None  # a hint: pph / video / live / paywalled / external
    gone_reason: str | None = None
    external_url: str | None = None
    video_url: str | None = None
    truncated: bool = False  # the page's data looked cut off
    needs_shape_check: bool = False  # no layout vouches for it: an article only if its text has the shape
    link_texts: tuple[str, ...] | None = None  # an unknown HTML page's link texts (the shape check's)
    stripped: dict[str, int] = field(default_factory=dict)
    copies: Copies = field(default_factory=Copies)  # the page's other copies of its text (extract.copies)
    #: the lone surrogate escapes dropped from the page's JSON (cleaning.jsontext): (offset in the page, escape)
    lone_surrogates: list[tuple[int, str]] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        if n:
            self.stripped[kind] = self.stripped.get(kind, 0) + n
