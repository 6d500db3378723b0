"""The current (Next.js) article page: rendered DOM plus ``__NEXT_DATA__``.

Body markup (in ``contentDetail.content`` and in ``div.index_cententWrap__*``):
``<p>text</p>`` per paragraph; a figure is
``<img src=… data-src=… />`` followed by ``<p class="image_desc">caption</p>``
(no caption paragraph when the caption is empty).

``drift=True`` renders the same article as a "new front-end build" would (``mock --drift``),
always the same way: every CSS-module hash suffix is new (:data:`.render_common.DRIFT_BUILD`,
with its own ``buildId``); ``contentDetail.content`` is renamed :data:`DRIFT_CONTENT_FIELD`;
and the byline (author, time, source; the 澎湃号 ``原创`` line) leaves the header's
``index_left`` block for a new ``index_bylineBar`` block below the body.
"""

from __future__ import annotations

from typing import Any

from .dataset import PPH_NODE, Figure, MockArticle, Paragraph
from .render_common import (
    DRIFT_BUILD,
    PPH_DISCLAIMER,
    build_id,
    cls,
    esc,
    header_html,
    licence_footer,
    page,
    script_json,
)

#: What the drifted build calls ``contentDetail.content``.
DRIFT_CONTENT_FIELD = "contentHtml"


def body_html(blocks: list) -> str:
    out = []
    for blk in blocks:
        if isinstance(blk, Paragraph):
            out.append(f"<p>{esc(blk.text)}</p>")
        elif isinstance(blk, Figure):
            out.append(f'<img src="{esc(blk.src)}" data-src="{esc(blk.src)}" alt="" style="max-width:100%"/>')
            if blk.caption:
                out.append(f'<p class="image_desc">{esc(blk.caption)}</p>')
    return "".join(out)


def node_info(art: MockArticle, nodes: dict) -> dict:
    node = nodes[art.node_id]
    return {
        "nodeId": node.node_id,
        "name": node.name,
        "desc": node.desc,
        "pic": f"https://imagecloud.thepaper.cn/thepaper/image/node/{node.node_id}.png",
        "nodeType": 0,
        "channelType": 0,
        "forwordType": 1,
        "forwardType": "1",
        "liveType": "2",
        "parentId": node.channel_id,
        "isOrder": "0",
        "dataType": "0",
        "shareName": node.name,
        "nickName": "",
        "mobForwardType": "1",
        "summarize": node.desc,
        "color": "",
    }


def tag_list(art: MockArticle) -> list[dict]:
    return [
        {"tagId": tid, "tag": t, "isOrder": "0", "isUpdateNotify": "0", "isWonderfulComments": "0"}
        for t, tid in zip(art.tags, art.tag_ids)
    ]


def pph_user_id(art: MockArticle) -> int:
    """The user id of a 澎湃号 article's account."""
    return 10_000 + sum(map(ord, art.pph_account)) * 7


def author_info(art: MockArticle) -> dict | None:
    if art.node_id != PPH_NODE:
        return None
    uid = pph_user_id(art)
    return {
        "userId": uid,
        "sname": art.pph_account,
        "pic": f"https://imgpai.thepaper.cn/user/{uid}.png",
        "desc": f"{art.pph_account}的澎湃号",
        "isAuth": "1",
        "authInfo": "澎湃号·湃客",
    }


def content_type(art: MockArticle) -> int:
    return {"video": 1, "live": 8}.get(art.kind, 0)


def _common_detail(art: MockArticle, nodes: dict) -> dict:
    pub = art.pub_time.strftime("%Y-%m-%d %H:%M")
    return {
        "contId": art.cont_id,
        "name": art.title,
        "summary": art.summary,
        "pubTime": pub,
        "publishTime": art.pub_ms,
        "author": art.author_raw,
        "nodeInfo": node_info(art, nodes),
        "tagList": tag_list(art),
        "tags": ",".join(art.tags),
        "pic": art.pic,
        "bigPic": art.pic,
        "sharePic": art.pic,
        "interactionNum": art.interaction_num,
        "praiseTimes": art.praise_times,
        "contType": content_type(art),
        "source": art.source,
    }


def next_data(art: MockArticle, nodes: dict, drift: bool = False) -> dict:
    """The ``__NEXT_DATA__`` object of an article page (gone_null: contentDetail null)."""
    detail: dict[str, Any]
    if art.kind == "gone_null":
        detail = {"contType": 0, "contentDetail": None}
    elif art.kind == "live":
        live = _common_detail(art, nodes)
        live["liveList"] = [
            {"contId": art.cont_id * 10 + k, "pubTime": t, "content": b.text}
            for k, (t, b) in enumerate(zip(art.live_times, art.served_blocks))
        ]
        detail = {"contType": 8, "liveDetail": live}
    else:
        cd = _common_detail(art, nodes)
        cd[DRIFT_CONTENT_FIELD if drift else "content"] = body_html(art.served_blocks)
        cd["voiceInfo"] = {"isHaveVoice": "0", "voiceSrc": "", "imgSrc": ""}
        cd["paywalled"] = art.kind == "paywalled"
        cd["closeComment"] = False
        if art.kind == "video":
            cd["videos"] = {"url": art.video_url, "coverUrl": art.pic, "duration": "03:1" + str(art.cont_id % 10)}
        info = author_info(art)
        if info:
            cd["authorInfo"] = info
        detail = {"contType": content_type(art), "contentDetail": cd}
    return {
        "props": {"pageProps": {"contId": str(art.cont_id), "detailData": detail}, "__N_SSP": True},
        "page": "/detail/[id]",
        "query": {"id": str(art.cont_id)},
        "buildId": build_id(DRIFT_BUILD if drift else art.build),
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }


def _original(art: MockArticle, b: int) -> str:
    """The 澎湃号 ``原创 <writer> <account>`` line."""
    writer = f"<span>{esc(art.author_raw)}</span>" if art.author_raw else ""
    return (
        f'<div class="{cls(b, "original")}"><span class="tag">原创</span>{writer}'
        f'<a href="/user_{pph_user_id(art)}">{esc(art.pph_account)}</a></div>'
    )


def _drift_header(art: MockArticle, b: int) -> str:
    """The drifted build's header: only the column link and the font-size switch are left."""
    column = "" if art.node_id == PPH_NODE else f'<a href="/list_{art.node_id}">{esc(art.node_name)} &gt;</a>'
    return (
        f'<div class="{cls(b, "headerContent")}"><div class="{cls(b, "right")}">{column}<span>字号</span></div></div>'
    )


def _drift_byline(art: MockArticle, b: int) -> str:
    """The drifted build's byline, below the body: the writer line, then time and source."""
    pub = art.pub_time.strftime("%Y-%m-%d %H:%M")
    if art.node_id == PPH_NODE:
        writer = _original(art, b)
    else:
        writer = (
            f'<div class="{cls(b, "authorLine")}"><span>{esc(art.author_raw)}</span></div>' if art.author_raw else ""
        )
    meta = (
        f'<div class="{cls(b, "metaLine")}"><span>{pub}</span><span>·</span><span>来源：{esc(art.source)}</span></div>'
    )
    return f'<div class="{cls(b, "bylineBar")}">{writer}{meta}</div>'


def _byline(art: MockArticle, b: int) -> str:
    pub = art.pub_time.strftime("%Y-%m-%d %H:%M")
    items = (
        f'<div class="ant-space-item"><span>{pub}</span></div>'
        f'<div class="ant-space-item"><span>来源：{esc(art.source)}</span></div>'
    )
    space = f'<div class="ant-space ant-space-horizontal ant-space-align-center">{items}</div>'
    if art.node_id == PPH_NODE:
        return (
            f'<div class="{cls(b, "headerContent")}"><div class="{cls(b, "left")}">{space}</div>'
            f'<div class="{cls(b, "right")}"><span>字号</span></div></div>' + _original(art, b)
        )
    author = f"<div>{esc(art.author_raw)}</div>" if art.author_raw else ""
    return (
        f'<div class="{cls(b, "headerContent")}"><div class="{cls(b, "left")}">{author}{space}</div>'
        f'<div class="{cls(b, "right")}"><a href="/list_{art.node_id}">{esc(art.node_name)} &gt;</a>'
        f"<span>字号</span></div></div>"
    )


def _after_body(art: MockArticle, b: int) -> str:
    out = []
    if art.kind == "paywalled":
        out.append(f'<div class="{cls(b, "paywall")}"><p>订阅后阅读全文</p><button>立即订阅</button></div>')
    if art.node_id == PPH_NODE:
        out.append(f'<div class="statement"><p>{esc(PPH_DISCLAIMER)}</p></div>')
    elif art.editor:
        out.append(f'<div class="{cls(b, "editor")}">责任编辑：{esc(art.editor)}</div>')
    out.append('<div class="widgets"><span>+1</span><span>收藏</span><span>我要举报</span></div>')
    rel = "".join(f'<li><a href="/newsDetail_forward_{art.cont_id - 13 * k}">相关阅读 {k}</a></li>' for k in (1, 2, 3))
    out.append(f'<div class="{cls(b, "related")}"><h3>相关推荐</h3><ul>{rel}</ul><a>查看更多</a></div>')
    out.append(
        f'<div class="{cls(b, "comment")}"><h3>评论（{esc(art.interaction_num)}）</h3>'
        f"<p>暂无评论</p><a>查看更多</a></div>"
    )
    return "".join(out)


def render_nextjs(art: MockArticle, nodes: dict, drift: bool = False) -> str:
    """The full HTML of a current-layout article page (any kind but the old-layout ones);
    ``drift``: as the new front-end build renders it (see the module doc)."""
    b = DRIFT_BUILD if drift else art.build
    data = script_json(next_data(art, nodes, drift))
    head = (
        f'<meta name="keywords" content="{esc(",".join(art.tags))}"/>'
        f'<meta name="description" content="{esc(art.summary)}"/>'
        f'<link rel="stylesheet" href="/_next/static/css/{build_id(b)[:8]}.css"/>'
    )
    top = (
        f'<div id="__next"><div class="{cls(b, "wrapper")}">{header_html(b)}'
        f'<div class="{cls(b, "praise")}"><span>+1</span></div>'
    )
    tail = (
        f'{licence_footer(b)}</div></div><script id="__NEXT_DATA__" type="application/json">{data}</script>'
        f'<script src="/_next/static/chunks/pages/detail-{build_id(b)[:6]}.js" defer=""></script>'
    )
    if art.kind == "gone_null":
        body = (
            f'<main><div class="{cls(b, "empty")}"><img alt=""/><p>抱歉，你访问的内容不存在或已被删除</p></div></main>'
        )
        return page("澎湃新闻-The Paper", head, top + body + tail)
    crumbs = (
        f'<div class="{cls(b, "breadcrumb")}"><a href="/">首页</a> &gt; '
        f'<a href="/channel_{art.channel_id}">{esc(art.channel_name)}</a> &gt; '
        f'<a href="/list_{art.node_id}">{esc(art.node_name)}</a></div>'
    )
    suffix = art.source.replace("澎湃新闻·", "") if art.node_id == PPH_NODE else art.node_name
    header = _drift_header(art, b) if drift else _byline(art, b)
    main = [crumbs, f'<main><h1 class="{cls(b, "title")}">{esc(art.title)}</h1>', header]
    if art.kind == "video":
        main.append(
            f'<div class="{cls(b, "video")}"><video src="{esc(art.video_url)}" poster="{esc(art.pic)}" '
            f'controls=""></video></div>'
        )
    if art.kind == "live":
        items = "".join(
            f'<div class="item"><span class="time">{t[-5:]}</span><p>{esc(blk.text)}</p></div>'
            for t, blk in zip(art.live_times, art.served_blocks)
        )
        main.append(f'<div class="{cls(b, "live")}"><p class="summary">{esc(art.summary)}</p>{items}</div>')
    else:
        main.append(f'<div class="{cls(b, "cententWrap")}">{body_html(art.served_blocks)}</div>')
    if drift:
        main.append(_drift_byline(art, b))
    main.append(_after_body(art, b) + "</main>")
    return page(f"{art.title}_{suffix}_澎湃新闻-The Paper", head, top + "".join(main) + tail)
