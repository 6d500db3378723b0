"""Captures from WARC files (Common Crawl, the Wayback Machine, ``wget --warc-file``, our own
``export --format warc``) archived and cleaned like crawled pages.

Every ``response`` (or ``resource``) record whose target is a thepaper.cn article page, in
any URL form (:func:`domain.urls.parse_article_ref`), or a mirror copy on the article's
path, becomes a raw page (kind ``import``, or ``mirror``) with the capture time as its
fetch time, and goes through :func:`cleaning.page.clean_page` into the crawl's batch
save path (:func:`storage.batch.save_batch`): the same dedup and versioning, so a
capture older than the stored text becomes a version instead of replacing it.
Wayback replay URLs (``…/web/20170101000000id_/http://www.thepaper.cn/…``) name their
original and their capture time. The list API's pages become raw pages of kind ``list``,
and the articles known only from their items come back (:mod:`jobs.warc_lists`). Other
records (requests, metadata, revisits, other pages, redirects, errors other than 404/410,
captures already archived) are skipped and counted by reason; a ``request`` record and our
own ``metadata`` record (the crawl context) travel with the response they belong to. A
damaged or truncated file raises :class:`WarcError` after everything read before the damage is
stored (one transaction per batch).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from domain.record import CleaningError
from domain.urls import BadURLError, canonical_url, parse_article_ref
from cleaning.page import clean_page
from jobs.warc_lists import capture_raw, is_list_page, list_page_entries
from storage.models import RAW_KINDS

BATCH = 100
#: Statuses whose page is an article (or a deleted one) to clean; others are skipped.
CLEANED_STATUSES = frozenset({200, 203, 404, 410})
# pywb and Wayback replay paths: /web/<14 digits><modifier_>/<original URL>
_REPLAY = re.compile(r"^https?://[^/]+/(?:[^/]+/)?(\d{14})(?:[a-z]{2}_)?/((?:https?:)?/*.+)$", re.I)
#: The most characters of a library's message a WarcError quotes.
QUOTE_MAX = 120


def _readable(exc: BaseException) -> str:
    """A library's message about a damaged file, fit for one line: what it quotes of the file
    (warcio's ``first line: [...]``, often binary) is left out when it is not plain text, and the
    rest cut at :data:`QUOTE_MAX` characters."""
    if isinstance(exc, (AttributeError, TypeError)):  # warcio on a record that lacks a header it reads
        return "a record without the headers it needs (WARC-Target-URI)"
    text = " ".join(str(exc).split()) or type(exc).__name__
    head, sep, quoted = text.partition(", first line: ")
    if sep and not (quoted.isprintable() and quoted.isascii()):
        text = f"{head} (its first line is not text)"
    if not text.isprintable() or any(ord(c) >= 0x80 and not c.isalnum() for c in text):
        text = "".join(c if c.isprintable() and (ord(c) < 0x80 or c.isalnum()) else "?" for c in text)
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


class WarcError(ValueError):
    """A WARC file that cannot be read on (damaged, truncated, not a WARC); the message says where."""


@dataclass
class Capture:
    """One HTTP response (or saved resource) from a WARC file."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    captured_at: datetime
    record_id: str
    offset: int
    request: dict | None = None
    context: dict = field(default_factory=dict)  # what our own export kept of the crawl
    kind: str | None = None  # the raw page kind our own export named
    fields: dict = field(default_factory=dict)  # our own export's metadata fields (jobs.warc_lists)
    truncated: str | None = None  # WARC-Truncated, or "length" when the record ends early


def original_url(url: str) -> tuple[str, datetime | None]:
    """The original URL and capture time of a replay URL; other URLs unchanged, None."""
    m = _REPLAY.match(url)
    if not m:
        return url, None
    target = m.group(2)
    target = re.sub(r"^(https?):/+", r"\1://", target, flags=re.I)
    if not target.lower().startswith(("http://", "https://")):
        target = "http://" + target.lstrip("/")
    return target, datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _headers(status_and_headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in status_and_headers.headers if status_and_headers is not None else ():
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _cut_gzip_member(stream, offset: int | None) -> tuple[int, str] | None:
    """Where and how a gzip WARC file is cut short after its last whole record (which starts
    at ``offset``), or None when it ends cleanly or is not gzip (or not seekable). warcio
    reads a member whose end (its last deflate block, or its CRC and size) is missing as if
    it were whole, and stops without a word at the start of a member cut inside its header:
    a file cut there would pass for a complete one."""
    import zlib

    if offset is None or not getattr(stream, "seekable", lambda: False)():
        return None
    stream.seek(offset)
    if stream.read(2) != b"\x1f\x8b":
        return None
    stream.seek(offset)
    inflate = zlib.decompressobj(wbits=31)
    read = 0
    try:
        while chunk := stream.read(1 << 16):
            read += len(chunk)
            inflate.decompress(chunk)
            if inflate.eof:
                here = stream.tell()
                rest = len(inflate.unused_data) + stream.seek(0, 2) - here  # not read into memory
                if not rest:
                    return None
                return offset + read - len(inflate.unused_data), f"holds only the first {rest} bytes of a record"
    except zlib.error as exc:
        return offset, f"is damaged ({exc})"
    return offset, "ends before its end (the file is cut short)"


def read_captures(stream, counts: Counter, *, name: str = "") -> Iterator[Capture]:
    """The responses and resources of a WARC stream, with their request and metadata;
    everything else counted in ``counts`` (``skipped/<reason>``). :class:`WarcError` on damage."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    pending: Capture | None = None
    requests: dict[str, dict] = {}  # by WARC-Concurrent-To of request records, and by URI
    iterator = ArchiveIterator(stream, ensure_http_headers=False)
    records = iter(iterator)
    last = None  # where the last record starts
    while True:
        try:
            record = next(records)
        except StopIteration:
            cut = _cut_gzip_member(stream, last)
            if cut:
                if pending is not None:
                    yield pending
                raise WarcError(f"{name}: truncated WARC: the gzip member at byte {cut[0]} {cut[1]}") from None
            break
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, AttributeError, TypeError) as exc:
            # warcio fails with AttributeError on a record without WARC-Target-URI
            if pending is not None:
                yield pending
            raise WarcError(
                f"{name}: damaged or truncated WARC after byte {iterator.offset}: {_readable(exc)}"
            ) from None
        last = iterator.offset
        kind = record.rec_type
        headers = record.rec_headers
        if not kind or headers.get_header("Content-Length") is None:
            # WARC-Type and Content-Length are mandatory (ISO 28500): a header block cut short
            if pending is not None:
                yield pending
            raise WarcError(
                f"{name}: damaged or truncated WARC at byte {iterator.offset}: a record header "
                "without WARC-Type or Content-Length"
            )
        try:
            if kind in ("response", "resource"):
                body = record.content_stream().read()
                short = getattr(record.raw_stream, "limit", 0)
            elif kind in ("request", "metadata"):
                body = record.content_stream().read()
                short = getattr(record.raw_stream, "limit", 0)
            else:
                short, body = 0, b""
        except Exception as exc:  # a gzip member or a chunked body cut short
            if pending is not None:
                yield pending
            raise WarcError(
                f"{name}: damaged or truncated WARC at byte {iterator.offset}: {type(exc).__name__}: {_readable(exc)}"
            ) from None
        if short and kind in ("request", "metadata"):  # the file ends inside this record
            if pending is not None:
                yield pending
            raise WarcError(
                f"{name}: truncated WARC: the record at byte {iterator.offset} "
                f"({headers.get_header('WARC-Target-URI')}) ends {short} bytes early"
            )
        if kind == "request":
            http = record.http_headers
            req = {
                "method": http.protocol if http is not None else "GET",
                "url": headers.get_header("WARC-Target-URI"),
                "headers": _headers(http),
            }
            if body:
                req["body"] = body.decode("latin-1")
            requests[headers.get_header("WARC-Concurrent-To") or ""] = req
            requests[req["url"] or ""] = req
            continue
        if kind == "metadata":
            refers = headers.get_header("WARC-Refers-To") or headers.get_header("WARC-Concurrent-To")
            fields = _fields(body)
            if pending is not None and refers == pending.record_id:
                pending.fields = fields
                if fields.get("kind") in RAW_KINDS:
                    pending.kind = fields["kind"]
                try:
                    pending.context = json.loads(fields.get("thepaper-context") or "{}")
                except ValueError:
                    pass
            counts["skipped/metadata"] += 1
            continue
        if kind not in ("response", "resource"):
            counts[f"skipped/{kind}"] += 1
            continue
        if pending is not None:
            yield pending
            pending = None
        uri = headers.get_header("WARC-Target-URI") or ""
        record_id = headers.get_header("WARC-Record-ID") or ""
        url, replay_time = original_url(uri)
        captured = replay_time or parse_warc_date(headers.get_header("WARC-Date"))
        if captured is None:
            counts["skipped/no_date"] += 1
            continue
        http = record.http_headers if kind == "response" else None
        status = 200
        if http is not None:
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                counts["skipped/bad_status_line"] += 1
                continue
        page_headers = _headers(http)
        if kind == "resource" and headers.get_header("Content-Type"):
            page_headers = {"Content-Type": headers.get_header("Content-Type")}
        request = requests.pop(record_id, None) or requests.pop(uri, None)
        requests.clear()
        truncated = headers.get_header("WARC-Truncated") or ("length" if short else None)
        pending = Capture(
            url=url,
            status=status,
            headers=page_headers,
            body=body,
            captured_at=captured,
            record_id=record_id,
            offset=iterator.offset,
            request=request,
            truncated=truncated,
        )
        if short:  # the file ends inside this record
            yield pending
            raise WarcError(
                f"{name}: truncated WARC: the record at byte {iterator.offset} ({url}) ends {short} bytes early"
            )
    if pending is not None:
        yield pending


def capture_entry(capture: Capture, *, name: str, encoder, counts: Counter, clean=clean_page):
    """The :class:`storage.batch.BatchEntry` of a capture (raw page + record or failure),
    or None when it is no article page (counted); ``clean``: what makes the record
    (:func:`jobs.warc_clean.defer` leaves it to a worker process)."""
    from storage.batch import BatchEntry

    try:
        ref = parse_article_ref(capture.url)
    except BadURLError:
        counts["skipped/not_an_article"] += 1
        return None
    if capture.status not in CLEANED_STATUSES:
        counts[f"skipped/http_{capture.status}"] += 1
        return None
    url = ref.given if ref.is_mirror else canonical_url(ref.cont_id)
    context = {k: v for k, v in capture.context.items() if k in ("list_item", "channel_id")}
    kind = capture.kind or ("mirror" if ref.is_mirror else "import")
    raw = capture_raw(capture, name=name, encoder=encoder, kind=kind, cont_id=ref.cont_id, context=context, url=url)
    context = raw["context"]
    entry = BatchEntry(raw=raw, url=capture.url)
    try:
        if capture.truncated:
            raise _Truncated(f"the capture is truncated ({capture.truncated}) in the WARC file")
        entry.record = clean(
            capture.body,
            url=context["url"],
            headers=capture.headers,
            status=capture.status,
            list_item=context.get("list_item"),
            cont_id=ref.cont_id,
            source_url=capture.url,
        )
    except CleaningError as exc:
        entry.failure = {"url": capture.url, "cont_id": ref.cont_id, "reason": exc.reason, "message": str(exc)}
    return entry


class _Truncated(CleaningError):
    reason = "truncated_capture"


def _raw_key(raw: dict) -> tuple:
    return raw["sha256"], raw["url"], raw["fetched_at"]


def archived(session, entries) -> set[tuple]:
    """Keys (sha256, URL, fetch time) of the entries' raw pages that the archive already holds:
    the same capture imported twice is stored once."""
    import sqlalchemy as sa

    from storage.models import RawPage

    hashes = sorted({e.raw["sha256"] for e in entries if e.raw is not None})
    rows = (
        session.execute(sa.select(RawPage.sha256, RawPage.url, RawPage.fetched_at).where(RawPage.sha256.in_(hashes)))
        if hashes
        else []
    )
    return {tuple(r) for r in rows}


def not_a_warc(path: str) -> str | None:
    """Why the file at ``path`` is no WARC file (its first record header cannot be read, plain or
    gzip-compressed), or None (an empty file holds no record, and is no error). Asked before the
    archive is opened, so that a mistyped file leaves nothing behind; the file's bytes are not quoted."""
    import zlib

    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, ensure_http_headers=False):
                return None if record.rec_type else "its first record has no WARC-Type"
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    except (ArchiveLoadFailed, EOFError, ValueError, zlib.error):
        return "it does not begin with a WARC record (WARC/1.0 or WARC/1.1, plain or gzip-compressed)"
    except (AttributeError, TypeError):  # warcio on a record without WARC-Target-URI
        return "its first record lacks a header it needs (WARC-Target-URI)"
    return None


def import_warcs(
    Session,
    paths: list[str],
    *,
    run_id: int | None = None,
    batch: int = BATCH,
    progress: Callable[[Counter], None] | None = None,
    policy: dict | None = None,
    counts: Counter | None = None,
    jobs: int = 1,
) -> Counter:
    """Import every article capture of the WARC files at ``paths``, one transaction per
    ``batch`` captures; counts of outcomes (``new``, ``updated``, ``unchanged``,
    ``versioned``, ``kept_original``, ``gone``, ``failed``, ``failed/<reason>``), of
    ``captures`` and ``records`` read, and ``skipped/<reason>``. Raises :class:`WarcError`
    (after storing what came before) on a damaged file; ``counts``, when given, is the
    Counter filled (and so still there after an error). ``jobs`` processes clean (1: this one)."""
    from contextlib import closing

    from jobs.warc_clean import cleaned_batches, defer, in_batches
    from storage.batch import save_batch
    from storage.dictionaries import current_encoder

    counts = Counter() if counts is None else counts
    restored: set[int] = set()  # the articles restored from list items (jobs.warc_lists), each once

    def store(entries) -> None:
        with Session() as session:
            known = archived(session, entries)
            fresh = [e for e in entries if e.raw is None or _raw_key(e.raw) not in known]
            counts["skipped/already_archived"] += len(entries) - len(fresh)
            entries = fresh
            save_batch(session, entries, run_id=run_id, now=datetime.now(timezone.utc), **(policy or {}))
            session.commit()
        for e in entries:
            if e.outcome == "failed":
                counts["failed"] += 1
                counts[f"failed/{e.failure['reason']}"] += 1
            elif e.record is not None:
                gone = e.record.content_type == "gone" and e.outcome in ("new", "updated")
                counts["gone" if gone else e.outcome] += 1
        if progress is not None:
            progress(counts)

    for path in paths:
        name = os.path.basename(path)
        with Session() as session:
            encoder = current_encoder(session)
        clean = clean_page if jobs <= 1 else defer
        stop: list[WarcError] = []  # a damaged file: raised after what was read before it is stored
        with open(path, "rb") as stream:

            def entries(stream=stream, name=name, encoder=encoder, clean=clean):
                """Each capture's entries (a list page's are several)."""
                for capture in read_captures(stream, counts, name=name):
                    counts["captures"] += 1
                    if is_list_page(capture):
                        yield list_page_entries(capture, name=name, encoder=encoder, counts=counts, restored=restored)
                    else:
                        yield [capture_entry(capture, name=name, encoder=encoder, counts=counts, clean=clean)]

            batches = in_batches(entries(), batch, stop=stop, until=WarcError)
            # closing(): an error or Ctrl-C here stops the workers at once, not when the traceback is freed
            with closing(batches if jobs <= 1 else cleaned_batches(batches, jobs)) as ready:
                for cleaned in ready:
                    store(cleaned)
        if stop:
            raise stop[0]
    return counts
