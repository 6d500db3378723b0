"""The list API's answers in WARC files, and the articles known only from their items.

A crawl archives every list page it fetches (raw page kind ``list``) and stores some articles
from their list item alone, with no page of their own: ``external`` items (a link to another
site, never fetched) and articles gone before their page was fetched (robots.txt names them).
``export --format warc`` writes the list pages as fetched, and their metadata record names
such items (``list-only``: ``{cont_id: [content_type, gone_reason]}``,
:func:`storage.warc_out.list_only_field`). An import archives each list page as a raw page
of kind ``list`` and restores those articles from the page's items as the crawl stores them
(:func:`cleaning.listitem.record_from_list_item`, :func:`cleaning.listitem.gone_from_list_item`:
no raw page of their own). A list page of another tool's WARC (no metadata) gives back its
``external`` items, which a crawl always stores from the list. :func:`capture_raw` is the raw
page row of any capture (article pages' too, :mod:`jobs.warc_in`).
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

from cleaning.listitem import gone_from_list_item, record_from_list_item
from cleaning.extract.apijson import item_cont_id, item_external_link, list_items
from cleaning.page import ValidationError, validate_record
from domain.record import ArticleRecord

#: Where the site's list API answers (``/contentapi/nodeCont/getByChannelId``, ``…/getByNodeIdPortal``).
LIST_API_PATH = "/contentapi/nodeCont/"


def is_list_page(capture) -> bool:
    """A capture of the list API: named ``list`` by our own export, or at the API's path."""
    if capture.kind is not None:
        return capture.kind == "list"
    return urlsplit(capture.url).path.startswith(LIST_API_PATH)


def channel_of(request: dict | None) -> int | None:
    """The channel a list request asked for (its JSON body's ``channelId``), or None (a column's list)."""
    try:
        body = json.loads((request or {}).get("body") or "{}")
        return int(body["channelId"]) if isinstance(body, dict) and "channelId" in body else None
    except (ValueError, TypeError):
        return None


def list_only(capture) -> dict[str, list]:
    """The ``list-only`` field of the capture's metadata record (our own export), else empty."""
    try:
        value = json.loads(capture.fields.get("list-only") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def listed_records(capture, counts: Counter, restored: set[int]) -> list[ArticleRecord]:
    """The records of the articles the list page's items hold alone: those its metadata names,
    and ``external`` items; each article once per import (``restored``)."""
    if capture.status != 200:
        return []
    try:
        items = list_items(json.loads(capture.body))
    except (ValueError, UnicodeDecodeError):
        counts["skipped/list_page_not_json"] += 1
        return []
    named, channel_id = list_only(capture), channel_of(capture.request)
    out = []
    for item in items:
        cont_id = item_cont_id(item)
        if cont_id is None or cont_id in restored:
            continue
        given = named.get(str(cont_id))
        kind, reason = (list(given) + [None, None])[:2] if isinstance(given, list) else (None, None)
        if kind == "gone":
            record = gone_from_list_item(item, reason or "robots_disallowed", channel_id=channel_id)
        elif kind is not None or item_external_link(item):
            record = record_from_list_item(item, channel_id=channel_id)
        else:
            continue  # its page was fetched (or not yet): the article comes from its page
        try:
            validate_record(record)
        except ValidationError:
            counts["skipped/list_item_invalid"] += 1
            continue
        restored.add(cont_id)
        out.append(record)
    return out


def capture_raw(capture, *, name: str, encoder, kind: str, context: dict, url: str, cont_id=None) -> dict:
    """The raw page row of a capture (:class:`jobs.warc_in.Capture`): its context names the WARC
    record it came from."""
    from storage.raw import raw_page_row

    context = {**context, "url": capture.context.get("url") or url}
    context["warc"] = {"file": name, "record_id": capture.record_id, "offset": capture.offset}
    if capture.request:
        context["request"] = capture.request
    return raw_page_row(
        url=capture.url,
        final_url=capture.url,
        status=capture.status,
        headers=capture.headers,
        body=capture.body,
        fetched_at=capture.captured_at,
        kind=kind,
        cont_id=cont_id,
        note=f"warc:{name}#{capture.offset}",
        context=context,
        encoder=encoder,
    )


def list_page_entries(capture, *, name: str, encoder, counts: Counter, restored: set[int]) -> list:
    """The :class:`storage.batch.BatchEntry` of a list page (its raw page) and of the articles
    restored from its items (a record each, no raw page: as the crawl stores them)."""
    from storage.batch import BatchEntry

    context = {k: v for k, v in capture.context.items() if k != "warc"}
    raw = capture_raw(capture, name=name, encoder=encoder, kind="list", context=context, url=capture.url)
    counts["list_pages"] += 1
    return [BatchEntry(raw=raw, url=capture.url)] + [
        BatchEntry(record=r) for r in listed_records(capture, counts, restored)
    ]
