"""An article of the mock site: the plan known of it without building it, its blocks
(paragraphs, figures) and the built :class:`MockArticle` (see :mod:`.dataset`)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime

from .catalogue import GONE_KINDS


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Figure:
    src: str
    caption: str = ""


def tag_id(tag: str) -> int:
    """Stable id of a tag name."""
    return 20_000 + zlib.crc32(tag.encode("utf-8")) % 7_000_000


@dataclass
class MockArticle:
    cont_id: int
    kind: str
    layout: str
    title: str
    summary: str
    pub_time: datetime
    author_raw: str
    author: str
    author_outlet: str
    editor: str
    source: str
    node_id: int
    node_name: str
    channel_id: int
    channel_name: str
    tags: list[str]
    blocks: list
    external_url: str = ""
    video_url: str = ""
    robots_disallowed: bool = False
    # Rendering details (not part of the extraction contract).
    index: int = 0
    pub_ms: int = 0
    version: int = 1
    pph_account: str = ""
    pic: str = ""
    interaction_num: str = "0"
    praise_times: str = "0"
    build: int = 0
    live_times: list[str] = field(default_factory=list)

    @property
    def tag_ids(self) -> list[int]:
        return [tag_id(t) for t in self.tags]

    @property
    def served_blocks(self) -> list:
        """The blocks the article page actually carries."""
        if self.kind in GONE_KINDS or self.kind == "external":
            return []
        if self.kind == "paywalled":
            return self.blocks[:2]
        return list(self.blocks)

    @property
    def expected_paragraphs(self) -> list[str]:
        out = []
        for b in self.served_blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            elif b.caption:
                out.append(b.caption)
        return out

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.served_blocks if isinstance(b, Figure)]


@dataclass(frozen=True)
class Plan:
    """What is known about article ``index`` without building it."""

    index: int
    cont_id: int
    pub_ms: int
    kind: str
    layout: str
    node_id: int
