"""JSON answers: an article's detail (``detailData``/``contentDetail`` shaped), a list item,
or a list response holding the wanted article."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cleaning import metadata as md
from cleaning.extract.base import Extracted
from cleaning.extract.nextjs import fill_from_content, fill_from_detail
from domain.record import UnknownLayoutError


def find_detail(obj: object) -> dict[str, Any] | None:
    """The ``detailData``-shaped dict (has contentDetail/liveDetail) inside an answer."""
    stack, seen = [obj], 0
    while stack and seen < 200:
        cur = stack.pop()
        seen += 1
        if isinstance(cur, dict):
            if "contentDetail" in cur or "liveDetail" in cur:
                return cur
            stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            stack.extend(v for v in cur[:50] if isinstance(v, (dict, list)))
    return None


def list_entries(entries: list[Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The items of ``data.list``, and what was skipped, by reason. Items nested in lists
    (``[[{...}]]``, seen in real answers) are taken out of them; entries that are not objects
    (``null``, strings, numbers) and objects with no ``contId`` are counted."""
    items: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    stack = [(e, 0) for e in reversed(entries)]
    while stack:
        entry, depth = stack.pop()
        if isinstance(entry, dict):
            if md.as_int(entry.get("contId", entry.get("originalContId"))) is None:
                skip("no_cont_id")
            else:
                items.append(entry)
        elif isinstance(entry, list) and depth < 3:
            if not entry:
                skip("empty_list")
            stack.extend((e, depth + 1) for e in reversed(entry))
        else:
            skip("not_an_object")
    return items, skipped


def item_cont_id(item: Mapping[str, Any]) -> int | None:
    return md.as_int(item.get("contId", item.get("originalContId")))


def item_external_link(item: Mapping[str, Any]) -> str | None:
    """The off-site target of an external item (``link`` set); None for site articles."""
    link = item.get("link")
    if isinstance(link, str) and link.strip().startswith(("http://", "https://")):
        return link.strip()
    return None


def list_items(obj: object) -> list[dict[str, Any]]:
    """Items of a list answer (``data.list``, nested items taken out), or ``[obj]`` for a bare item."""
    if isinstance(obj, dict):
        data = obj.get("data")
        if isinstance(data, dict) and isinstance(data.get("list"), list):
            return list_entries(data["list"])[0]
        if "contId" in obj and ("name" in obj or "link" in obj):
            return [obj]
    if isinstance(obj, list):
        return [i for i in obj if isinstance(i, dict) and "contId" in i]
    return []


def extract_api(obj: object, *, cont_id: int | None = None) -> tuple[Extracted | None, dict[str, Any] | None]:
    """``(extracted, None)`` for a detail answer; ``(None, item)`` for a list item to be
    turned into a record by the chain."""
    detail = find_detail(obj)
    if detail is not None:
        ex = Extracted(layout="api_json")
        if not fill_from_detail(ex, detail) and not ex.gone_reason:
            raise UnknownLayoutError("API answer with an empty detail object")
        return ex, None
    if isinstance(obj, dict) and isinstance(obj.get("content"), str) and obj.get("name"):
        ex = Extracted(layout="api_json")
        fill_from_content(ex, obj)
        return ex, None
    items = list_items(obj)
    if cont_id is not None:
        items = [i for i in items if md.as_int(i.get("contId")) == cont_id] or items[:0]
    if len(items) == 1:
        return None, items[0]
    if not items:
        raise UnknownLayoutError(
            "JSON holds no article detail and no list item" + (f" for contId {cont_id}" if cont_id is not None else "")
        )
    raise UnknownLayoutError(f"JSON list with {len(items)} items and no contId to choose one (pass url=)")
