"""The clean article record produced by the cleaning chain, and the errors it raises.

Every stage of ``pipelines`` speaks this vocabulary: extraction fills an
:class:`ArticleRecord`, repair and boilerplate stripping edit its text fields and
count what they did in ``repairs`` / ``stripped``, and storage persists it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Bumped whenever the cleaner's output for the same raw page may change;
#: stored on every record so ``reprocess`` knows what is stale.
CLEANER_VERSION = "4"

# What a record can be.
CONTENT_TYPES = ("news", "pph", "video", "live", "external", "paywalled", "gone")

# Where a record's text came from.
LAYOUTS = ("nextjs", "desktop_old", "mobile_2017", "api_json", "text_dump", "unknown")

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")  # runs: fewer, longer matches to count
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’-][A-Za-z0-9]+)*")


@dataclass
class Image:
    src: str
    caption: str = ""


@dataclass
class ArticleRecord:
    cont_id: int | None = None
    url: str | None = None  # canonical https://www.thepaper.cn/newsDetail_forward_<id>
    source_url: str | None = None  # the URL actually fetched (mirror, m., share variant...)
    mirror_host: str | None = None  # set when the copy came from a spam mirror
    layout: str = "unknown"
    content_type: str = "news"
    gone_reason: str | None = None  # "http_404" | "content_null" | "offline_notice"
    external_url: str | None = None  # for content_type == "external"
    title: str = ""
    summary: str = ""
    published_at: datetime | None = None  # aware, Asia/Shanghai
    author: str = ""  # reporter / writer name(s), e.g. "朱轩"
    author_outlet: str = ""  # original outlet of a repost, e.g. "人民日报"
    editor: str = ""  # 责任编辑 / 编辑|
    source: str = ""  # "澎湃新闻", "澎湃新闻·澎湃号·湃客", ...
    node_id: int | None = None
    node_name: str = ""
    channel_id: int | None = None
    channel_name: str = ""
    tags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)  # computed from the text (jieba TF-IDF), best first
    images: list[Image] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    encoding: str = ""
    encoding_reason: str = ""
    repairs: dict[str, int] = field(default_factory=dict)
    #: Every repair explained (cleaning/explain.py): {field, offset, rule, before, after, by[, margin]};
    #: ``by`` is "bytes", "model" (the word model chose among candidates the bytes left open) or "rule".
    repair_log: list[dict[str, Any]] = field(default_factory=list)
    stripped: dict[str, int] = field(default_factory=dict)
    cleaner_version: str = CLEANER_VERSION
    #: The identity of the code that computed ``keywords`` from this record's title, summary and
    #: paragraphs as they are (:func:`cleaning.keywords.keywords_code`), or that of a stored article
    #: of the same basis whose keywords were taken: the archive stores their basis
    #: (:func:`keywords_basis`) beside them. Not output (``to_dict``) and not compared; None for a
    #: record whose keywords were not computed (a list item, a gone page, ``--no-keywords``); code
    #: that sets ``keywords`` any other way sets this to None, or the archive would store a false basis.
    keywords_code: str | None = field(default=None, compare=False, repr=False)

    @property
    def body_text(self) -> str:
        """The paragraphs joined by newlines: what the archive stores (:func:`paragraphs_of` reads them back)."""
        return "\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        """CJK characters plus Latin/number words of title-less body text."""
        text = self.body_text
        return sum(map(len, _CJK_RUN.findall(text))) + len(_LATIN_WORD.findall(text))

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.title.encode("utf-8"))
        h.update(b"\x00")
        h.update(self.body_text.encode("utf-8"))
        return h.hexdigest()

    def count_repair(self, kind: str, n: int = 1) -> None:
        if n:
            self.repairs[kind] = self.repairs.get(kind, 0) + n

    def count_stripped(self, kind: str, n: int = 1) -> None:
        if n:
            self.stripped[kind] = self.stripped.get(kind, 0) + n

    def keywords_basis_by(self, code: str, content_hash: str | None = None) -> str:
        """:func:`keywords_basis` of this record's text for the keyword code ``code``
        (``content_hash``: this record's, where the caller has computed it already)."""
        return keywords_basis(
            code, self.content_type == "gone", self.title, self.summary, content_hash or self.content_hash
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["keywords_code"]
        d["published_at"] = self.published_at.isoformat() if self.published_at else None
        d["word_count"] = self.word_count
        d["content_hash"] = self.content_hash
        return d


def keywords_basis(code: str, gone: bool, title: str, summary: str, content_hash: str) -> str:
    """What an article's keywords are computed from, as one digest (32 hex digits): the keyword
    code's identity ``code``, whether the article is gone, its title and summary, and its
    ``content_hash`` (the SHA-256 of the title and the whole body, of which the keywords read a
    head). Two articles of the same basis have the same keywords: the archive stores it beside
    them (``articles.keywords_basis``) and ``reprocess`` takes stored keywords where the text it
    cleaned has the stored basis, instead of computing them again."""
    h = hashlib.sha256(f"{code}\x00{int(gone)}\x00{len(title)}\x00{len(summary)}\x00{content_hash}\x00".encode())
    h.update(summary.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def paragraphs_of(body_text: str | None) -> list[str]:
    """The paragraphs of a stored body: the lines of ``body_text`` (an empty body has none).
    The inverse of :attr:`ArticleRecord.body_text` for paragraphs without newlines, which is
    what the cleaner makes (a paragraph with a newline comes back as its lines)."""
    return body_text.split("\n") if body_text else []


class CleaningError(Exception):
    """A page that cannot become a record. ``reason`` is a short stable code
    stored in the failures table; the message says what exactly was wrong."""

    reason = "cleaning_error"

    def __init__(self, message: str, *, reason: str | None = None):
        super().__init__(message)
        if reason:
            self.reason = reason


class DecodeError(CleaningError):
    reason = "decode_error"


class TruncatedPageError(CleaningError):
    reason = "truncated_page"


class UnknownLayoutError(CleaningError):
    reason = "unknown_layout"


class EmptyArticleError(CleaningError):
    reason = "empty_article"


class NotTextError(CleaningError):
    """Bytes that hold no text document: an image, an archive, a PDF, an executable."""

    reason = "not_text"
