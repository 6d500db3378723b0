"""The cleaning chain: bytes of one fetched document → one :class:`ArticleRecord`.

unwrap (``cleaning.binary``: gzip, binary refused, NULs) → decode (``cleaning.decode``) → sniff + extract (``cleaning.extract``) → repair every
text field (``cleaning.repair``; Traditional detection done once per document) →
strip boilerplate/spam (``cleaning.boilerplate``, counted in ``record.stripped``) →
metadata (``cleaning.metadata``) → keywords (``cleaning.keywords``) → the record. Never returns a silently empty article:
it raises the :mod:`domain.record` errors instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.record import (
    ArticleRecord,
    EmptyArticleError,
    Image,
    TruncatedPageError,
    UnknownLayoutError,
)
from domain.urls import BadURLError, canonical_url, parse_article_ref
from cleaning import boilerplate as bp
from cleaning import metadata as md
from cleaning.binary import DEFAULT_MAX_SIZE, unwrap
from cleaning.decode import decode_bytes
from cleaning.explain import RepairLog
from cleaning.extract import Extracted, extract
from cleaning.extract.html import normalize_ws
from cleaning.extract.shape import not_an_article
from cleaning.jsontext import drop_lone_surrogates
from cleaning.listitem import fill_from_list_item, record_from_list_item
from cleaning.keywords import extract_keywords, keywords_code
from cleaning.repair import RepairResult, detect_converter, is_converted_traditional, repair_text
from cleaning.repair.gbklost import repair_gb_lost_bytes
from cleaning.repair.log import RepairEvent, events_of
from cleaning.repair.pagecopy import PageCopies, restore
from cleaning.lazyre import lazy

_NEEDS_BODY = ("news", "pph")
_CHARSET = lazy(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_CREDIT_EDITOR = lazy(r"^(?:编辑|編輯)\s*[|｜丨]\s*(\S{1,20})$")


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for k, v in headers.items():
        if str(k).lower() == "content-type":
            if isinstance(v, (list, tuple)):
                v = v[0] if v else ""
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            m = _CHARSET.search(str(v))
            return m.group(1) if m else None
    return None


def _start(url: str | None) -> ArticleRecord:
    rec = ArticleRecord(source_url=url)
    if url:
        try:
            ref = parse_article_ref(url, allow_any_host=True)
        except BadURLError:
            return rec
        rec.cont_id, rec.url = ref.cont_id, ref.canonical_url
        if ref.is_mirror and ref.host:
            rec.mirror_host = ref.host
    return rec


def clean_document(
    data: bytes,
    *,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
    list_item: Mapping[str, Any] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    keywords: bool = True,
) -> ArticleRecord:
    """One fetched document (HTML page of any layout, JSON answer, text dump) → a record.
    gzip is decompressed (at most ``max_size`` bytes) and binary files are refused first
    (:mod:`cleaning.binary`). Without ``keywords`` the record's keywords stay empty (a crawl
    with ``--no-keywords``; ``reprocess --keywords-only`` computes them later, the same words)."""
    rec = _start(url)
    if status in (404, 410):
        rec.content_type, rec.gone_reason = "gone", "http_404"
        if list_item:
            fill_from_list_item(rec, list_item)
        return rec
    raw = unwrap(bytes(data or b""), max_size=max_size)
    decoded = decode_bytes(raw, header_charset=header_charset(headers))
    rec.encoding, rec.encoding_reason = decoded.encoding or "", decoded.reason or ""
    text = decoded.text
    page_log: list[dict[str, Any]] = []
    if decoded.encoding == "gb18030":  # one byte lost from a GB page: found on the bytes (cleaning.repair.gbklost)
        text, counts, events = repair_gb_lost_bytes(raw, text)
        for kind, n in counts.items():
            rec.count_repair(kind, n)
        page_log = [e.to_dict(field="page") for e in events]
    # Bytes UTF-8 cannot read are lost, not torn GBK: no repair reads their U+FFFD (dropped
    # first, cleaning.repair), but the page's other copy of the text may restore what they were.
    lost = bool(decoded.invalid) and decoded.encoding.startswith("utf-")
    if lost:
        rec.count_repair("undecodable_bytes", decoded.invalid)
    lone: list[tuple[int, str]] = []
    ex, item = extract(text, cont_id=rec.cont_id, url=url, utf8=raw if decoded.whole_utf8 else None, lone=lone)
    if lone:  # escapes of half a UTF-16 pair in the page's JSON: no character, dropped (cleaning.jsontext)
        rec.count_repair("lone_surrogate", len(lone))
        page_log += [RepairEvent("lone_surrogate", at, escape, "").to_dict(field="page") for at, escape in lone]
    if item is not None:
        listed = record_from_list_item(item)
        listed.source_url, listed.mirror_host = rec.source_url, rec.mirror_host
        listed.encoding, listed.encoding_reason = rec.encoding, rec.encoding_reason
        listed.layout = "api_json"
        for kind, n in rec.repairs.items():
            listed.count_repair(kind, n)
        listed.repair_log = page_log + listed.repair_log
        return with_keywords(listed, keywords)
    assert ex is not None  # extract gives an Extracted when it gives no list item
    rec.layout = (
        ex.layout if ex.layout in ("nextjs", "desktop_old", "mobile_2017", "api_json", "text_dump") else "unknown"
    )
    if ex.cont_id is not None and rec.cont_id is None:
        rec.cont_id, rec.url = ex.cont_id, canonical_url(ex.cont_id)
    for kind, n in ex.stripped.items():
        rec.count_stripped(kind, n)
    if ex.gone_reason:
        rec.content_type, rec.gone_reason = "gone", ex.gone_reason
        rec.repair_log = page_log
        if list_item:
            fill_from_list_item(rec, list_item)
        return rec
    if list_item and list_item.get("name"):
        # a copy of the title (evidence: it restores a damaged span only as a logged page_copy),
        # without the lone surrogates a list item read elsewhere may hold
        ex.copies.add([drop_lone_surrogates(normalize_ws(md.as_text(list_item["name"])))[0]])
    log = _repair_fields(rec, ex, lost=lost)
    repaired = list(ex.paragraphs)
    _strip(rec, ex)
    _check_shape(ex)
    _metadata(rec, ex)
    rec.repair_log = page_log + log.entries(repaired, rec.paragraphs, rec.title)
    if list_item:
        fill_from_list_item(rec, list_item)
    _check(rec, ex)
    return with_keywords(rec, keywords)


def with_keywords(rec: ArticleRecord, enabled: bool = True) -> ArticleRecord:
    """``rec`` with its keywords (:mod:`cleaning.keywords`) computed from its clean text;
    none for a gone article, nor when not ``enabled``."""
    rec.keywords = record_keywords(rec.content_type, rec.title, rec.summary, rec.paragraphs) if enabled else []
    rec.keywords_code = keywords_code() if enabled else None
    return rec


def with_known_keywords(rec: ArticleRecord, known: Mapping[int, tuple[str | None, list[str]]]) -> ArticleRecord:
    """``rec`` (cleaned without keywords) with its keywords: those of ``known[rec.cont_id]``
    (a stored article's ``(keywords_basis, keywords)``) where that basis is the basis of
    ``rec``'s text (:func:`domain.record.keywords_basis`: the same code and the same input,
    so the same words), else computed (:func:`with_keywords`)."""
    stored = known.get(rec.cont_id) if rec.cont_id is not None else None
    if stored is not None and stored[0] is not None and stored[0] == record_basis(rec):
        rec.keywords, rec.keywords_code = list(stored[1]), keywords_code()
        return rec
    return with_keywords(rec)


def record_basis(rec: ArticleRecord) -> str:
    """:func:`domain.record.keywords_basis` of ``rec``'s text, by this code."""
    return rec.keywords_basis_by(keywords_code())


def record_keywords(content_type: str, title: str, summary: str, paragraphs: list[str] | tuple[str, ...]) -> list[str]:
    """The keywords of an article from its clean fields (the stored ones give the same words:
    ``reprocess --keywords-only``); none for a gone article."""
    return [] if content_type == "gone" else extract_keywords(title, summary, paragraphs)


_THEPAPER_LAYOUTS = ("nextjs", "desktop_old", "mobile_2017", "api_json")


def copies_thepaper(rec: ArticleRecord, ex: Extracted) -> bool:
    """Whether the document is (a copy of) a thepaper.cn article: its URL or its own canonical
    link names one, it has one of the site's layouts, or its fields name the outlet. Only such
    Traditional text is a conversion to undo; any other is kept as written."""
    if rec.cont_id is not None or ex.cont_id is not None or ex.layout in _THEPAPER_LAYOUTS:
        return True
    return any(
        "澎湃" in (f or "") or "thepaper" in (f or "").lower()
        for f in (ex.source, ex.author_raw, ex.pph_byline, ex.title, ex.node_name)
    )


#: Short field texts the repair left as they were, with how it was asked (a column's name, a
#: source, an author, a tag: most pages repeat them): answered again without the repair, which
#: gives the same text the same result. At most ``_CLEAN_FIELDS_MAX`` (~1 MB), then it starts again.
_CLEAN_FIELDS: set[tuple[str, bool, str | None, str | None, bool]] = set()
_CLEAN_FIELD_CHARS = 40
_CLEAN_FIELDS_MAX = 8_192


def _repair_fields(rec: ArticleRecord, ex: Extracted, *, lost: bool = False) -> RepairLog:
    """Every text field repaired (:func:`repair_text`; ``lost``: its U+FFFD are bytes UTF-8
    could not read), damaged spans restored from the page's other copies where they determine
    them (:mod:`cleaning.repair.pagecopy`), the counts in ``rec.repairs``; the events, to be
    placed in the record's final text (:mod:`cleaning.explain`)."""
    sample = "\n".join([ex.title, ex.summary, *ex.paragraphs[:60]])
    traditional = bool(is_converted_traditional(sample)) and copies_thepaper(rec, ex) if sample.strip() else False
    converter = detect_converter(sample) if traditional else None
    host = rec.mirror_host
    log = RepairLog()

    def repaired(text: str, key: tuple[str, bool, str | None, str | None, bool]) -> RepairResult:
        """:func:`repair_text` of a text not in :data:`_CLEAN_FIELDS` (``key``: its key there)."""
        res = repair_text(
            text, traditional=traditional, mirror_host=host, converter=converter, fffd_lost=lost, surrogates=False
        )
        if len(text) <= _CLEAN_FIELD_CHARS and res.text == text and not (res.repairs or res.log or res.kept):
            if len(_CLEAN_FIELDS) >= _CLEAN_FIELDS_MAX:
                _CLEAN_FIELDS.clear()
            _CLEAN_FIELDS.add(key)
        return res

    def repair(text: str) -> RepairResult:
        key = (text, traditional, host, converter, lost)
        if key in _CLEAN_FIELDS:
            return RepairResult(text)  # what repair_text gives a text it leaves as it is
        return repaired(text, key)

    page = PageCopies(ex.copies.texts, repair)

    def fixed(text: str) -> tuple[str, list[RepairEvent]]:
        if not text:
            return text, []
        key = (text, traditional, host, converter, lost)
        if key in _CLEAN_FIELDS:  # repair leaves it as it is: no counts, no events, no span to restore
            return text, []
        r = repaired(text, key)
        restore(r, page, text)
        for kind, n in (r.repairs or {}).items():
            rec.count_repair(kind, n)
        return r.text, r.log

    def fix(text: str, field: str) -> str:
        if not text:
            return text
        out, events = fixed(text)
        if events:
            log.field(field, events, out)
        return out

    for name in ("title", "summary", "author_raw", "pph_byline", "editor_raw", "source", "node_name"):
        setattr(ex, name, normalize_ws(fix(getattr(ex, name), name.removesuffix("_raw"))))
    ex.tags = [t for t in (normalize_ws(fix(t, "tags")) for t in ex.tags) if t]
    if ex.paragraphs:
        joined, events = fixed("\n".join(ex.paragraphs))
        parts = joined.split("\n")
        if len(parts) == len(ex.paragraphs):
            log.body_joined(events, joined)
        else:  # repair changed the line structure: go one by one
            parts = []
            for k, p in enumerate(ex.paragraphs):
                text, events = fixed(p)
                log.body_paragraph(k, events, text)
                parts.append(text)
        ex.paragraphs = [normalize_ws(p) for p in parts]
    ex.images = [Image(src=i.src, caption=normalize_ws(fix(i.caption, "captions"))) for i in ex.images]
    if rec.repairs.get("fullwidth_punct") or rec.repairs.get("gbk_punct_swap"):
        title, n = restore_title_bar(ex.title)
        rec.count_repair("fullwidth_punct", n)
        log.field("title", events_of("fullwidth_punct", ex.title, title), title)
        ex.title = title
    return log


_TITLE_BAR = lazy(r"(?<=[\u4e00-\u9fff%A-Za-z0-9])\s*\|\s*(?=[\u4e00-\u9fff“《A-Za-z0-9])")


def restore_title_bar(title: str) -> tuple[str, int]:
    """``特稿|杭州…`` -> ``特稿｜杭州…``: thepaper.cn's column prefixes use the full-width bar,
    which a mirror that flattened the page's full-width forms turned into ``|``. Titles only,
    and only where flattening was seen (in the body, ``作者|斗斗`` is printed both ways)."""
    if "|" not in title or title.count("|") > 2:
        return title, 0
    return _TITLE_BAR.subn("｜", title)


def _strip(rec: ArticleRecord, ex: Extracted) -> None:
    res = bp.strip_paragraphs(ex.paragraphs, title=ex.title)
    for kind, n in res.counts.items():
        rec.count_stripped(kind, n)
    ex.paragraphs = res.paragraphs
    for kind, text in res.removed:
        if kind == "editor" and not ex.editor_raw:
            ex.editor_raw = text
        elif kind == "byline" and md.parse_source(text) and not ex.source:
            ex.source = md.parse_source(text)
    if ex.title and (bp.is_keyword_spam(ex.title) or bp.classify(ex.title, edge=False)):
        rec.count_stripped("spam_header")
        ex.title = ""
    if bp.classify(ex.summary or "", edge=False):
        ex.summary = ""


def _metadata(rec: ArticleRecord, ex: Extracted) -> None:
    rec.title, rec.summary = ex.title, ex.summary
    rec.published_at = ex.published_at
    rec.author, rec.author_outlet = md.parse_author(ex.author_raw)
    if not rec.author and ex.pph_byline:
        rec.author = md.parse_pph_byline(ex.pph_byline)
    if ex.pph_byline and not rec.author_outlet:
        rec.author_outlet = md.parse_pph_account(ex.pph_byline)  # the 澎湃号 account
    rec.editor = md.parse_editor(ex.editor_raw)
    if not rec.editor:
        for p in ex.paragraphs[:12]:
            m = _CREDIT_EDITOR.match(p)
            if m:
                rec.editor = m.group(1)
                break
    rec.source = ex.source
    rec.node_id, rec.node_name = ex.node_id, ex.node_name
    cid, cname = md.channel_for(ex.node_id, ex.channel_id)
    rec.channel_id, rec.channel_name = cid, cname
    rec.tags = list(dict.fromkeys(ex.tags))
    rec.images = ex.images
    rec.paragraphs = ex.paragraphs
    rec.external_url = ex.external_url
    rec.content_type = _content_type(ex, rec)


def _content_type(ex: Extracted, rec: ArticleRecord) -> str:
    if ex.external_url and not ex.paragraphs:
        return "external"
    if ex.content_type in ("live", "video", "paywalled", "external"):
        return ex.content_type
    if "澎湃号" in rec.source or "澎湃號" in rec.source or ex.pph_byline or ex.content_type == "pph":
        return "pph"
    return "news"


def _check_shape(ex: Extracted) -> None:
    """Text no layout vouches for is an article only if its repaired body has the shape
    (:func:`cleaning.extract.shape.not_an_article`)."""
    if not ex.needs_shape_check:
        return
    why = not_an_article(
        ex.paragraphs, titled_and_timed=bool(ex.title) and ex.published_at is not None, link_texts=ex.link_texts
    )
    if why:
        what = (
            "plain text without an article's shape"
            if ex.layout == "text_dump"
            else "HTML of no known layout that holds no article"
        )
        raise UnknownLayoutError(f"{what}: {why}")


def _check(rec: ArticleRecord, ex: Extracted) -> None:
    if rec.content_type in _NEEDS_BODY and not rec.paragraphs:
        if ex.truncated:
            raise TruncatedPageError(f"{ex.layout} page cut off: its data is unterminated and no body text survived")
        if not rec.title:
            raise UnknownLayoutError(f"{ex.layout} page with neither a title nor body text")
        raise EmptyArticleError(
            f"{ex.layout} page titled {rec.title[:40]!r} has no body text (not gone, paywalled, video or live)"
        )


def clean_file(path: str | Path, *, url: str | None = None) -> ArticleRecord:
    """``thepaper-archive clean PATH [--url URL]``: the chain on one saved file."""
    data = Path(path).read_bytes()
    if url is None:
        m = re.search(r"newsDetail_forward_(\d+)", Path(path).name)
        url = canonical_url(int(m.group(1))) if m else None
    return clean_document(data, url=url)
