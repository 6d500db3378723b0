"""The list API's answers, the channel/column pages that embed them, robots.txt.

Items as the real API gives them: 澎湃号 items carry ``authorInfo`` and no ``nodeInfo``;
now and then an item comes nested in a one-element list. Paging is a cursor: ``startTime`` "" starts at the newest item; otherwise only
items with ``pubTimeLong < startTime`` come, newest first. ``data.startTime`` is
the ``pubTimeLong`` of the page's last time-ordered item (never of a pinned one).
``getByChannelId`` puts the channel's pinned items first on the first page; they
also appear again at their own place in the time order.
"""

from __future__ import annotations

import bisect
from html import escape

from .dataset import Dataset, MockArticle, relative_time
from .render_common import page, script_json
from .render_next import author_info, content_type, node_info, tag_list

MAX_PAGE_SIZE = 100


def list_item(art: MockArticle, ds: Dataset, now_ms: int) -> dict:
    """One list item, shaped like the real API's (no summary)."""
    rel = relative_time(art.pub_ms, now_ms)
    item = {
        "contId": str(art.cont_id),
        "isOutForword": "1" if art.kind == "external" else "0",
        "isOutForward": "1" if art.kind == "external" else "0",
        "forwardType": "0",
        "mobForwardType": 2,
        "interactionNum": art.interaction_num,
        "praiseTimes": art.praise_times,
        "pic": art.pic,
        "imgCardMode": 0,
        "smallPic": art.pic + "?x-oss-process=image/resize,w_332",
        "sharePic": art.pic,
        "pubTime": rel,
        "pubTimeNew": rel,
        "name": art.title,
        "closePraise": "0",
        "nodeInfo": node_info(art, ds.nodes),
        "nodeId": art.node_id,
        "contType": content_type(art),
        "pubTimeLong": art.pub_ms,
        "specialNodeId": 0,
        "cardMode": "101",
        "dataObjId": 52,
        "closeFrontComment": False,
        "isSupInteraction": False,
        "tagList": tag_list(art),
        "hideVideoFlag": False,
        "praiseStyle": 1,
        "softLocType": 1,
        "closeComment": False,
        "voiceInfo": {"voiceSrc": "", "imgSrc": art.pic, "isHaveVoice": "0"},
        "originalContId": art.cont_id,
        "paywalled": art.kind == "paywalled",
        "seriesTagRecType": "其他",
        "link": art.external_url if art.kind == "external" else "",
    }
    info = author_info(art)
    if info:  # a 澎湃号 item: the account instead of a column
        item["authorInfo"] = info
        del item["nodeInfo"]
    if art.kind == "video":
        item["videoDuration"] = "03:1" + str(art.cont_id % 10)
    return item


def _start_ms(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def list_data(
    ds: Dataset, *, node_id: int | None = None, channel_id: int | None = None, start_time=None, page_size=20, page_num=1
) -> dict:
    """``data`` of a list answer (``code`` 200 wrapper added by :func:`list_response`)."""
    try:
        size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
    except (TypeError, ValueError):
        size = 20
    idx = ds.list_indices(node_id=node_id, channel_id=channel_id)
    times = ds.list_times(node_id=node_id, channel_id=channel_id)  # ascending
    start = _start_ms(start_time)
    end = len(idx) if start is None else bisect.bisect_left(times, start)
    chosen = idx[max(0, end - size) : end][::-1]
    has_next = end - size > 0
    pinned = ds.pinned(channel_id) if channel_id is not None and start is None else []
    now = ds.now_ms
    items = [list_item(ds.article(i), ds, now) for i in pinned + chosen]
    next_start = times[end - len(chosen)] if chosen else (start if start is not None else None)
    if node_id is not None:
        node = ds.nodes.get(node_id)
        info = {
            "nodeId": node_id,
            "name": node.name if node else "",
            "desc": node.desc if node else "",
            "parentId": node.channel_id if node else None,
            "nodeType": 0,
        }
    else:
        name = ds.channels.get(channel_id, "") if channel_id is not None else ""
        info = {"nodeId": channel_id, "name": name, "nodeType": 1}
    return {
        "list": items,
        "hasNext": has_next,
        "startTime": next_start,
        "nodeInfo": info,
        "pageNum": page_num,
        "pageSize": size,
        "moreNodeInfo": None,
        "filterIds": None,
        "contList": None,
        "hotNews": None,
        "prevPageNum": None,
        "nextPageNum": None,
    }


def nested(entries: list) -> list:
    """The list as the real API serves it: now and then an item nested in a one-element list."""
    return [[it] if isinstance(it, dict) and int(it["contId"]) % 17 == 5 else it for it in entries]


def flat(entries: list) -> list:
    """The items of a served list, nested ones taken out (what a reader of the API must do)."""
    return [it for e in entries for it in (e if isinstance(e, list) else [e])]


def list_response(data: dict, now_ms: int) -> dict:
    if isinstance(data.get("list"), list):
        data = dict(data, list=nested(data["list"]))
    return {"code": 200, "desc": "成功", "time": now_ms, "data": data}


def listing_page(ds: Dataset, *, node_id: int | None = None, channel_id: int | None = None) -> str | None:
    """``/channel_<id>`` or ``/list_<id>``: first list page in ``__NEXT_DATA__`` plus plain links."""
    if node_id is not None and node_id not in ds.nodes:
        return None
    if channel_id is not None and channel_id not in ds.channels:
        return None
    data = list_data(ds, node_id=node_id, channel_id=channel_id)
    name = data["nodeInfo"]["name"]
    links = "".join(
        f'<li><a href="/newsDetail_forward_{it["contId"]}">{escape(it["name"])}</a></li>'
        for it in data["list"]
        if not it["link"]
    )
    nd = {
        "props": {"pageProps": {"data": data}, "__N_SSP": True},
        "page": "/channel/[id]" if channel_id is not None else "/list/[id]",
        "query": {"id": str(channel_id if channel_id is not None else node_id)},
        "isFallback": False,
        "gssp": True,
    }
    body = (
        f'<div id="__next"><h1>{escape(name)}</h1><ul class="newsList">{links}</ul></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{script_json(nd)}</script>'
    )
    return page(f"{name}_澎湃新闻-The Paper", "", body)


def robots_txt(ds: Dataset) -> str:
    lines = ["User-agent: *", "Disallow: /search", "Disallow: /user_login", "Disallow: /api/"]
    lines += [f"Disallow: /newsDetail_forward_{cid}" for cid in ds.robots_disallowed_ids()]
    return "\n".join(lines) + "\n"
