"""The raw archive written out as WARC/1.1 (ISO 28500), the web archivists' format, with warcio.

One gzip member per record (what Wayback, pywb and Common Crawl read), in
``raw_pages`` order:

* ``warcinfo`` first: the software and what the file holds;
* per fetched page, a ``request`` record when the request is known (crawls keep it in
  ``raw_pages.context["request"]``: method, URL, headers, body as Latin-1), then the ``response``: status line, headers and the exact
  bytes, ``WARC-Date`` = the fetch time, ``WARC-Target-URI`` = the URL;
* saved files (``import FILE``, with no HTTP exchange) are ``resource`` records;
* a ``metadata`` record (``application/warc-fields``) after each page that belongs to an
  article: its ``cont-id``, canonical URL, raw page id, sha256, whether the stored
  article was cleaned from it, and the crawl context (JSON) so that an import cleans the
  page as the crawl did; a list API page's also names, in ``list-only``, the items of the
  page that the archive holds only as list items (:func:`list_only_field`; the import
  restores them, :mod:`jobs.warc_lists`).

The stored body is the body as received after transfer and content decoding (Scrapy
decodes gzip and chunks), so, as Common Crawl does, ``Content-Encoding`` and
``Transfer-Encoding`` are renamed ``X-Crawler-…`` and ``Content-Length`` is the stored
length: the record's headers describe the bytes it holds.
"""

from __future__ import annotations

import http
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from io import BytesIO
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.urls import canonical_url
from storage.codec import decode
from storage.dictionaries import dictionary_bytes
from storage.models import Article, RawPage

BATCH = 200
SOFTWARE = "thepaper-archive"
#: Headers that describe an encoding the stored body no longer has.
_RENAMED = ("content-encoding", "transfer-encoding")
_COLUMNS = (
    RawPage.id,
    RawPage.url,
    RawPage.final_url,
    RawPage.cont_id,
    RawPage.status,
    RawPage.headers,
    RawPage.fetched_at,
    RawPage.body,
    RawPage.compression,
    RawPage.dictionary_id,
    RawPage.sha256,
    RawPage.kind,
    RawPage.context,
    RawPage.note,
)


def warc_date(moment: datetime) -> str:
    """A WARC/1.1 date: UTC, to the microsecond."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def http_headers(status: int, headers: dict[str, str], length: int, protocol: str = "HTTP/1.1"):
    """warcio status and headers of a stored response, consistent with the stored body."""
    from warcio.statusandheaders import StatusAndHeaders

    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    out: list[tuple[str, str]] = []
    original_length = None
    for name, value in (headers or {}).items():
        lower = name.lower()
        if lower in _RENAMED:
            out.append((f"X-Crawler-{name}", value))
        elif lower == "content-length":
            original_length = value
        else:
            out.append((name, value))
    if original_length is not None and original_length.strip() != str(length):
        out.append(("X-Crawler-Content-Length", original_length))
    out.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{status} {reason}".strip(), out, protocol=protocol)


def _fields(pairs: list[tuple[str, str]]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("utf-8")


class WarcOut:
    """A WARC/1.1 file being written (gzip members; ``gzip=False`` for plain WARC)."""

    def __init__(self, out: IO[bytes], *, gzip: bool = True):
        from warcio.warcwriter import WARCWriter

        self.writer = WARCWriter(out, gzip=gzip, warc_version="WARC/1.1")
        self.counts: Counter = Counter()

    def _write(self, record) -> str:
        self.writer.write_record(record)
        self.counts[record.rec_type] += 1
        return record.rec_headers.get_header("WARC-Record-ID")

    def warcinfo(self, filename: str | None, info: dict[str, str]) -> str:
        return self._write(self.writer.create_warcinfo_record(filename, info))

    def request(
        self,
        *,
        url: str,
        method: str,
        headers: dict[str, str],
        moment: datetime,
        concurrent_to: str | None = None,
        body: bytes = b"",
    ) -> str:
        from urllib.parse import urlsplit

        from warcio.statusandheaders import StatusAndHeaders

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pairs = list(headers.items())
        if not any(k.lower() == "host" for k, _ in pairs):
            pairs.insert(0, ("Host", parts.netloc))
        warc = {"WARC-Date": warc_date(moment)}
        if concurrent_to:
            warc["WARC-Concurrent-To"] = concurrent_to
        record = self.writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(body),
            length=len(body),
            warc_headers_dict=warc,
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", pairs, is_http_request=True),
        )
        return self._write(record)

    def response(
        self,
        *,
        url: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
        moment: datetime,
        ip: str | None = None,
        record_id: str | None = None,
    ) -> str:
        warc = {"WARC-Date": warc_date(moment)}
        if record_id:
            warc["WARC-Record-ID"] = record_id
        if ip:
            warc["WARC-IP-Address"] = ip
        record = self.writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            warc_headers_dict=warc,
            http_headers=http_headers(status, headers, len(body)),
        )
        return self._write(record)

    def resource(self, *, url: str, content_type: str, body: bytes, moment: datetime) -> str:
        record = self.writer.create_warc_record(
            url,
            "resource",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type=content_type,
            warc_headers_dict={"WARC-Date": warc_date(moment)},
        )
        return self._write(record)

    def metadata(self, *, url: str, refers_to: str, moment: datetime, fields: list[tuple[str, str]]) -> str:
        payload = _fields(fields)
        record = self.writer.create_warc_record(
            url,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Date": warc_date(moment),
                "WARC-Refers-To": refers_to,
                "WARC-Concurrent-To": refers_to,
            },
        )
        return self._write(record)


def _new_id() -> str:
    from warcio.recordbuilder import RecordBuilder

    return RecordBuilder._make_warc_id()


def _header(headers: dict, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name:
            return v
    return None


def export_warc(
    session: Session,
    out: IO[bytes],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    gzip: bool = True,
    filename: str | None = "archive.warc.gz",  # None: no WARC-Filename (standard output)
    batch: int = BATCH,
    progress: Callable[[Counter], None] | None = None,
) -> Counter:
    """Write the raw pages fetched in ``[since, until)`` (all when None) to ``out``; counts of
    records by WARC type, and ``pages``."""
    warc = WarcOut(out, gzip=gzip)
    warc.warcinfo(
        filename,
        {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": "raw pages of a thepaper-archive archive (thepaper.cn)",
        },
    )
    current = {
        raw_id for (raw_id,) in session.execute(sa.select(Article.raw_page_id).where(Article.raw_page_id.is_not(None)))
    }
    listed = list_only_articles(session)
    stmt = sa.select(*_COLUMNS).order_by(RawPage.id)
    if since is not None:
        stmt = stmt.where(RawPage.fetched_at >= since)
    if until is not None:
        stmt = stmt.where(RawPage.fetched_at < until)
    result = session.execute(stmt.execution_options(yield_per=batch))
    for rows in result.partitions():
        dicts = dictionary_bytes(session, {r.dictionary_id for r in rows})
        for r in rows:
            body = decode(r.body, r.compression, dicts.get(r.dictionary_id), page_id=r.id)
            extra = list_only_field(body, listed) if r.kind == "list" else []
            _write_page(warc, r, body, in_article=r.id in current, extra=extra)
            warc.counts["pages"] += 1
        if progress is not None:
            progress(warc.counts)
    return warc.counts


#: A list item's article id, as the list API writes it (``"contId":"123"`` or a number).
_ITEM_ID = re.compile(rb'"contId"\s*:\s*"?(\d{1,18})"?')


def list_only_articles(session: Session) -> dict[int, list]:
    """The articles known only from a list item (no page of theirs was stored: ``external``
    ones, and ones gone before their page was fetched): ``{cont_id: [content_type, gone_reason]}``."""
    rows = session.execute(
        sa.select(Article.cont_id, Article.content_type, Article.gone_reason).where(Article.raw_page_id.is_(None))
    )
    return {cont_id: [ctype, reason or None] for cont_id, ctype, reason in rows}


def list_only_field(body: bytes, listed: dict[int, list]) -> list[tuple[str, str]]:
    """The ``list-only`` field of a list page's metadata record: which of its items the
    archive holds only as list items, and as what (an import restores them from the page)."""
    ids = {int(m) for m in _ITEM_ID.findall(body)}
    mine = {str(cid): listed[cid] for cid in sorted(ids) if cid in listed}
    return [("list-only", json.dumps(mine, separators=(",", ":")))] if mine else []


def _write_page(warc: WarcOut, r, body: bytes, *, in_article: bool, extra: list[tuple[str, str]]) -> None:
    context = dict(r.context or {})
    request = context.pop("request", None)
    url = r.final_url or r.url
    if r.kind == "file" or r.status is None:
        record_id = warc.resource(
            url=url,
            content_type=_header(r.headers, "content-type") or "application/octet-stream",
            body=body,
            moment=r.fetched_at,
        )
    else:
        record_id = _new_id()
        if request and request.get("url"):
            warc.request(
                url=request["url"],
                method=request.get("method") or "GET",
                headers=request.get("headers") or {},
                moment=r.fetched_at,
                concurrent_to=record_id,
                body=(request.get("body") or "").encode("latin-1"),
            )
        warc.response(url=url, status=r.status, headers=r.headers, body=body, moment=r.fetched_at, record_id=record_id)
    if r.cont_id is None and not context and not extra:
        return
    fields = [("raw-page-id", str(r.id)), ("kind", r.kind), ("sha256", r.sha256)]
    if r.url != url:
        fields.append(("requested-url", r.url))
    if r.cont_id is not None:
        fields += [
            ("cont-id", str(r.cont_id)),
            ("canonical-url", canonical_url(r.cont_id)),
            ("article-text", "current" if in_article else "other"),
        ]
    if context:
        fields.append(("thepaper-context", json.dumps(context, ensure_ascii=False, separators=(",", ":"))))
    fields += extra
    warc.metadata(url=url, refers_to=record_id, moment=r.fetched_at, fields=fields)
