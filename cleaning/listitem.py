"""What a list item of the site's list API says of an article (cleaning's reading of it): the
record of an item alone (an external link, an article gone before its page was fetched), and the
fields a page left empty filled from its item (:func:`fill_from_list_item`, never overriding the
page). :data:`LIST_ITEM_FIELDS` names what is read; a raw page's context keeps only that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from cleaning import metadata as md
from cleaning.extract.html import normalize_ws
from cleaning.jsontext import drop_lone_surrogates
from cleaning.repair.log import RepairEvent
from domain.record import ArticleRecord
from domain.urls import canonical_url


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true")


def _item_tags(item: Mapping[str, Any]) -> list[str]:
    out = [normalize_ws(md.as_text(t.get("tag"))) for t in md.as_list(item.get("tagList")) if isinstance(t, Mapping)]
    return [t for t in out if t]


#: What the chain reads of a list item (:func:`fill_from_list_item`, :func:`record_from_list_item`):
#: a key, or a key with the keys read of the object (or of each object of the list) it holds.
LIST_ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "contId": (),
    "name": (),
    "pubTimeLong": (),
    "nodeId": (),
    "link": (),
    "contType": (),
    "paywalled": (),
    "nodeInfo": ("nodeId", "name", "parentId"),
    "authorInfo": ("sname",),
    "tagList": ("tag",),
}


def list_item_essentials(item: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a list item that cleaning reads (:data:`LIST_ITEM_FIELDS`), for the raw
    page's context: a record cleaned with it is the record cleaned with the whole item, at a
    fifth of its size. The whole item stays in the archived list page it came from."""
    out: dict[str, Any] = {}
    for key, inner in LIST_ITEM_FIELDS.items():
        if key not in item:
            continue
        value = item[key]
        if inner and isinstance(value, Mapping):
            value = {k: value[k] for k in inner if k in value}
        elif inner and isinstance(value, list):
            value = [{k: v[k] for k in inner if k in v} if isinstance(v, Mapping) else v for v in value]
        out[key] = value
    return out


def fill_from_list_item(rec: ArticleRecord, item: Mapping[str, Any]) -> None:
    """Fill what the page left empty from the list item (never override the page)."""
    if rec.cont_id is None and md.as_int(item.get("contId")):
        rec.cont_id = md.as_int(item.get("contId"))
        rec.url = rec.url or canonical_url(cast(int, rec.cont_id))  # cast: the test above found it
    if not rec.title and item.get("name"):
        # as the list gives it: ``数据 | 深圳`` keeps its spaces; a gone article keeps its listed title
        rec.title = _listed(rec, "title", md.as_text(item["name"]).strip())
    if rec.published_at is None:
        rec.published_at = md.parse_time(item.get("pubTimeLong"))
    node: Mapping[str, Any] = (
        cast("Mapping[str, Any]", item.get("nodeInfo")) if isinstance(item.get("nodeInfo"), Mapping) else {}
    )
    if rec.node_id is None:
        rec.node_id = md.as_int(node.get("nodeId")) or md.as_int(item.get("nodeId"))
    if not rec.node_name and node.get("name"):
        rec.node_name = _listed(rec, "node_name", normalize_ws(md.as_text(node["name"])))
    author: Mapping[str, Any] = (
        cast("Mapping[str, Any]", item.get("authorInfo")) if isinstance(item.get("authorInfo"), Mapping) else {}
    )
    if not rec.node_name and author.get("sname"):
        rec.node_name = _listed(
            rec, "node_name", normalize_ws(md.as_text(author["sname"]))
        )  # a 澎湃号 item: its account is its column
    if rec.channel_id is None:
        rec.channel_id, rec.channel_name = md.channel_for(rec.node_id, node.get("parentId"))
    if not rec.tags:
        rec.tags = [_listed(rec, "tags", t) for t in _item_tags(item)]
    if _flag(item.get("paywalled")) and rec.content_type in ("news", "pph"):
        rec.content_type = "paywalled"


def _listed(rec: ArticleRecord, field: str, text: str) -> str:
    """``text`` of a list item for ``rec``'s ``field``, without lone surrogates (a list item read
    by another JSON reader than :mod:`cleaning.jsontext`'s, e.g. an older archive's page context):
    each one counted and logged, rule ``lone_surrogate``."""
    text, dropped = drop_lone_surrogates(text)
    if dropped:
        rec.count_repair("lone_surrogate", len(dropped))
        rec.repair_log += [RepairEvent("lone_surrogate", at, escape, "").to_dict(field=field) for at, escape in dropped]
    return text


def record_from_list_item(item: Mapping[str, Any], *, channel_id: int | None = None) -> ArticleRecord:
    """What a list item says: external items (non-empty ``link``) become ``external``
    records; others carry title (as given), time (``pubTimeLong``), column (``nodeInfo``, or
    for a 澎湃号 item, which has ``authorInfo`` and no ``nodeInfo``, the account), tags,
    paywalled."""
    cid = md.as_int(item.get("contId"))
    rec = ArticleRecord(cont_id=cid, url=canonical_url(cid) if cid else None, layout="api_json")
    link = _listed(rec, "external_url", md.as_text(item.get("link")).strip())
    ctype = md.as_int(item.get("contType"))
    if link:
        rec.content_type, rec.external_url = "external", link
    elif ctype == 8:
        rec.content_type = "live"
    elif ctype == 1:
        rec.content_type = "video"
    elif item.get("authorInfo"):
        rec.content_type = "pph"
    fill_from_list_item(rec, item)
    if channel_id is not None and rec.channel_id is None:
        rec.channel_id, rec.channel_name = channel_id, md.CHANNELS.get(channel_id, "")
    return rec


def gone_from_list_item(item: Mapping[str, Any], reason: str, *, channel_id: int | None = None) -> ArticleRecord:
    """The record of an article gone before its page was fetched (robots.txt names it):
    what its list item says, ``gone`` for ``reason``, without text or images."""
    rec = record_from_list_item(item, channel_id=channel_id)
    rec.content_type, rec.gone_reason = "gone", reason
    rec.paragraphs, rec.images = [], []
    return rec
