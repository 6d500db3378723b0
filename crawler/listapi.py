"""The site's JSON list API: request bodies, headers, and reading the answer.

Pure functions (no Scrapy): the spider builds requests from these and feeds
the answers back; the tests check them against the mock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cleaning.extract.apijson import list_entries
from cleaning.metadata import as_epoch_ms
from cleaning.extract.apijson import item_cont_id, item_external_link  # noqa: F401 - the spider reads items with these

CHANNEL_PATH = "/contentapi/nodeCont/getByChannelId"
NODE_PATH = "/contentapi/nodeCont/getByNodeIdPortal"


def api_headers(site_url: str) -> dict[str, str]:
    """Headers the WAF wants: without Referer it answers 403, without the JSON
    content type it answers ``code 99998``."""
    site = site_url.rstrip("/")
    return {
        "Referer": site + "/",
        "Origin": site,
        "Content-Type": "application/json",
        "Accept": "application/json, text/plain, */*",
    }


def list_body(
    kind: str, source_id: str | int, *, start_time: int | str = "", page_size: int = 20, page_num: int = 1
) -> dict:
    if kind == "channel":
        return {
            "channelId": str(source_id),
            "excludeContIds": [],
            "listRecommendIds": [],
            "province": None,
            "pageSize": page_size,
            "startTime": start_time,
            "pageNum": page_num,
        }
    if kind == "node":
        return {
            "nodeId": int(source_id),
            "pageSize": page_size,
            "pageNum": page_num,
            "startTime": start_time,
            "excludeContIds": [],
        }
    raise ValueError(f"unknown list kind {kind!r}")


def list_path(kind: str) -> str:
    return CHANNEL_PATH if kind == "channel" else NODE_PATH


class ListAPIError(Exception):
    def __init__(self, message: str, reason: str, *, transient: bool):
        super().__init__(message)
        self.reason = reason
        self.transient = transient


@dataclass
class ListPage:
    items: list[dict] = field(default_factory=list)
    has_next: bool = False
    next_start_time: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> entries of data.list not kept


def parse_list_response(body: bytes) -> ListPage:
    """Read one list API answer; raise :class:`ListAPIError` for what is not a list."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        head = body[:200].decode("utf-8", "replace")
        transient = "WAF" in head or "<html" in head.lower()
        raise ListAPIError(
            f"list API answered non-JSON ({exc}): {head[:80]!r}", "list_not_json", transient=transient
        ) from None
    if not isinstance(doc, dict):
        raise ListAPIError("list API answered JSON that is not an object", "list_bad_shape", transient=False)
    code = doc.get("code")
    if code != 200:
        desc = doc.get("desc")
        # 99998 系统繁忙: what the WAF says to a request without the JSON content type, and under load.
        raise ListAPIError(f"list API code {code} ({desc})", f"list_code_{code}", transient=code == 99998)
    data = doc.get("data")
    if not isinstance(data, dict):
        raise ListAPIError("list API answer has no data object", "list_bad_shape", transient=True)
    if "list" not in data or "hasNext" not in data:
        # A damaged answer (seen under load): trying again later gets the real page.
        raise ListAPIError("list API answer lacks data.list or data.hasNext", "list_missing_fields", transient=True)
    items = data.get("list") or []
    if not isinstance(items, list):
        raise ListAPIError("list API data.list is not a list", "list_bad_shape", transient=False)
    start = as_epoch_ms(data.get("startTime"))
    kept, skipped = list_entries(items)
    return ListPage(kept, bool(data.get("hasNext")), start, skipped)


def comma_list(value) -> list[str]:
    """``"1,2"``, ``["1,2", "3"]`` or ``(1, 2)`` -> ``["1", "2", ...]`` (ids and channels given on
    the command line or as spider arguments; blanks dropped)."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return [x.strip() for v in values for x in str(v).split(",") if x.strip()]
