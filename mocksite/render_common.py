"""Pieces shared by the page renderers: escaping, CSS-module class names per
front-end build, the site chrome and the licence footer."""

from __future__ import annotations

import json
from html import escape

# Three "front-end builds": the same CSS-module names with different hash suffixes.
# An article's build is fixed (``MockArticle.build``); extractors must match prefixes.
_BUILDS = (
    {
        "title": "B8mhI",
        "left": "LfzyH",
        "cententWrap": "Jv8jK",
        "headerContent": "jXXjC",
        "right": "Sx7Ou",
        "wrapper": "ipLtm",
        "editor": "Qw2zR",
        "original": "Tg1nB",
        "paywall": "Pk3aW",
        "live": "Lm5xY",
        "video": "Vd9cE",
        "related": "Rl4kD",
        "comment": "Cm8sF",
        "footer": "Ft6hJ",
        "empty": "Em0pT",
        "header": "Hd2vN",
        "breadcrumb": "Bc7qS",
        "praise": "Pr1aZ",
    },
    {
        "title": "fP1Xz",
        "left": "q7RmV",
        "cententWrap": "hM3Wd",
        "headerContent": "K2pLs",
        "right": "n4GhT",
        "wrapper": "Z8bQe",
        "editor": "c5YuJ",
        "original": "W9eRt",
        "paywall": "y6NkL",
        "live": "a3DfG",
        "video": "u8HsB",
        "related": "X1cVn",
        "comment": "m2QwE",
        "footer": "R5tYu",
        "empty": "i7OpA",
        "header": "s4DfG",
        "breadcrumb": "J6kLz",
        "praise": "x9CvB",
    },
    {
        "title": "ZkT0r",
        "left": "d1Sg8",
        "cententWrap": "P0oIu",
        "headerContent": "Yt6Re",
        "right": "w3Ws2",
        "wrapper": "Q1aZx",
        "editor": "L8mNb",
        "original": "V4cXz",
        "paywall": "t7GbH",
        "live": "e2UjM",
        "video": "k5IoL",
        "related": "F3pQa",
        "comment": "o9WsX",
        "footer": "C6eDr",
        "empty": "g4TfV",
        "header": "B2yHn",
        "breadcrumb": "N7uJm",
        "praise": "h1IkO",
    },
)
BUILD_IDS = ("9Kq2xTzB3sW1pY7dR0vLm", "a4Hn8QwE2rT6yU1iO9pAs", "Zx5Cv3Bn7Mq1Wr9Et2Yu0")

# The "new front-end build" of ``mock --drift`` (see ``render_next``): every CSS-module hash
# suffix is new, and the moved byline has module names of its own.
DRIFT_BUILD = -1
DRIFT_BUILD_ID = "Dr1ftN3wB0ild7qX5mK2p"
_DRIFT_HASHES = {
    "title": "Yh7Ws",
    "left": "Nb4Rt",
    "cententWrap": "Gq8Lm",
    "headerContent": "Ue2Kd",
    "right": "Ot5Xa",
    "wrapper": "Jc9Vb",
    "editor": "Hs3Pn",
    "original": "Wm6Qe",
    "paywall": "Ar1Fy",
    "live": "Kd7Tz",
    "video": "Xe4Cs",
    "related": "Pl2Nh",
    "comment": "Bv8Uj",
    "footer": "Dn5Wo",
    "empty": "Rk0Ig",
    "header": "Tf6Mq",
    "breadcrumb": "Ly3Se",
    "praise": "Cz9Hr",
    "bylineBar": "Qo4Ed",
    "authorLine": "Vi1Gt",
    "metaLine": "Sm8Zk",
}

NAV = (
    ("/", "首页"),
    ("/channel_25950", "时事"),
    ("/channel_25951", "财经"),
    ("/channel_119908", "科技"),
    ("/channel_25952", "思想"),
    ("/channel_25953", "生活"),
    ("/video", "视频"),
    ("/pph", "澎湃号"),
)

PPH_DISCLAIMER = (
    "本文为澎湃号作者或机构在澎湃新闻上传并发布，仅代表该作者或机构观点，不代表澎湃新闻的观点或立场，"
    "澎湃新闻仅提供信息发布平台。申请澎湃号请用电脑访问http://renzheng.thepaper.cn。"
)

LICENCE_LINES = (
    "沪ICP备14003370号",
    "沪公网安备31010602000299号",
    "互联网新闻信息服务许可证：31120170006",
    "增值电信业务经营许可证：沪B2-2017116",
    "© 2014-2026 上海东方报业有限公司",
)


def cls(build: int, name: str) -> str:
    """The hashed CSS-module class ``index_<name>__<hash>`` of a build (or of :data:`DRIFT_BUILD`)."""
    hashes = _DRIFT_HASHES if build == DRIFT_BUILD else _BUILDS[build % len(_BUILDS)]
    return f"index_{name}__{hashes[name]}"


def build_id(build: int) -> str:
    """The Next.js ``buildId`` of a build."""
    return DRIFT_BUILD_ID if build == DRIFT_BUILD else BUILD_IDS[build % len(BUILD_IDS)]


def esc(text: str) -> str:
    return escape(text, quote=True)


def script_json(obj) -> str:
    """JSON safe inside ``<script>``, escaped the way Next.js does it."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        s.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def header_html(b: int) -> str:
    nav = "".join(f'<li><a href="{href}">{esc(name)}</a></li>' for href, name in NAV)
    return (
        f'<header class="{cls(b, "header")}"><div class="{cls(b, "wrapper")}">'
        f'<a href="/"><img alt="澎湃Logo" src="https://cdn.thepaper.cn/www/v3/img/logo.png"/></a>'
        f'<ul class="nav">{nav}</ul><div class="download">下载客户端</div><div class="login">登录</div>'
        f"</div></header>"
    )


def licence_footer(b: int) -> str:
    lines = "".join(f"<p>{esc(x)}</p>" for x in LICENCE_LINES)
    return (
        f'<footer class="{cls(b, "footer")}"><div class="qrcode"><img alt="" src="https://cdn.thepaper.cn/www/v3/img/qr.png"/>'
        f'<p>扫码下载澎湃新闻客户端</p></div><ul><li><a href="/about">关于澎湃</a></li><li><a href="/contact">联系我们</a></li>'
        f'<li><a href="/copyright">版权声明</a></li></ul><div class="licence">{lines}</div></footer>'
    )


def page(title: str, head_extra: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charSet="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(title)}</title>{head_extra}</head><body>{body}</body></html>"
    )


NOT_FOUND_HTML = page(
    "404 页面不存在_澎湃新闻-The Paper",
    "",
    '<div id="__next"><div class="notfound"><h1>404</h1><p>抱歉，您访问的页面不存在</p>'
    '<a href="/">返回首页</a></div></div>',
)
