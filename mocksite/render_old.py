"""The older article layouts: desktop (about 2014-2021) and mobile 2017.

Body markup, both layouts: text paragraphs separated by ``<br/>`` line breaks
(desktop: ``<br/><br/>``; mobile: ``<br/><div class="contheight"></div>`` twice,
as in the real 2017 page); a figure is ``<div style="text-align:center;"><img …/></div>``
followed, when it has a caption, by an unclassed
``<span style="color:#999999;font-size:14px;">caption</span>`` and a line break.

Withdrawn articles (``gone_offline``) get the desktop page whose content is only
``<p class="news_txt">此文章已下线</p>``, with status 200.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .dataset import Figure, MockArticle, Paragraph
from .render_common import esc

_TEMPLATE = Path(__file__).with_name("templates") / "mobile_2017.html"

_OLD_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>'
    '<title>{title}</title><meta name="Keywords" content="{keywords}"/>'
    '<meta name="Description" content="{desc}"/>'
    '<link href="http://www.thepaper.cn/css/v2/style.css" rel="stylesheet" type="text/css"/>'
    '<script src="http://www.thepaper.cn/js/jquery-1.8.3.min.js" type="text/javascript"></script>'
    "</head><body>"
)
_OLD_TOP = (
    '<div class="head_banner"><div class="bdwd"><div class="logo"><a href="http://www.thepaper.cn/">'
    '<img alt="澎湃新闻" src="http://www.thepaper.cn/img/logo.png"/></a></div>'
    '<div class="head_menu"><ul><li><a href="/">首页</a></li><li><a href="/channel_25950">时事</a></li>'
    '<li><a href="/channel_25951">财经</a></li><li><a href="/channel_25952">思想</a></li>'
    '<li><a href="/channel_25953">生活</a></li></ul></div>'
    '<div class="head_right"><a href="/download">下载客户端</a><a class="login">登录</a></div></div></div>'
)
_OLD_FOOTER = (
    '<div class="foot"><div class="bdwd"><ul><li><a href="/about_paper">关于澎湃</a></li>'
    '<li><a href="/contact_us">联系我们</a></li><li><a href="/copyright">版权声明</a></li></ul>'
    "<p>Copyright © 2014~2021 The Paper All rights reserved.</p><p>上海东方报业有限公司</p>"
    "<p>沪ICP证：沪B2-2017116 | 沪ICP备14003370号</p><p>互联网新闻信息服务许可证：31120170006</p>"
    "</div></div></body></html>"
)
#: The app promotion the old desktop pages close their body with.
APP_PROMO = "本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP"
_CAPTION = '<span style="color:#999999;font-size:14px;">{}</span>'


def _old_body(blocks: list, sep: str) -> str:
    out = []
    for blk in blocks:
        if isinstance(blk, Paragraph):
            out.append(esc(blk.text) + sep)
        elif isinstance(blk, Figure):
            out.append(f'<div style="text-align:center;"><img alt="" src="{esc(blk.src)}" width="600"/></div>')
            if blk.caption:
                out.append(_CAPTION.format(esc(blk.caption)) + sep)
    return "".join(out)


def render_desktop_old(art: MockArticle) -> str:
    if art.kind == "gone_offline":
        head = _OLD_HEAD.format(title="澎湃新闻-The Paper", keywords="", desc="")
        body = (
            '<div class="bdwd main clearfix"><div class="main_lt"><div class="newscontent">'
            '<p class="news_txt" style="text-align:center;padding:120px 0;">此文章已下线</p>'
            "</div></div></div>"
        )
        return head + _OLD_TOP + body + _OLD_FOOTER
    head = _OLD_HEAD.format(
        title=esc(f"{art.title}_{art.node_name}_澎湃新闻-The Paper"),
        keywords=esc(",".join(art.tags)),
        desc=esc(art.summary),
    )
    pub = art.pub_time.strftime("%Y-%m-%d %H:%M")
    keywords = " ".join(f'<a href="/searchResult.jsp?inpsearch={esc(t)}">{esc(t)}</a>' for t in art.tags)
    editor = f'<div class="news_editor">责任编辑：{esc(art.editor)}</div>' if art.editor else ""
    body = (
        f'<div class="bdwd main clearfix"><div class="main_lt"><div class="news_path">'
        f'<a href="/">澎湃新闻</a> &gt; <a href="/list_{art.node_id}">{esc(art.node_name)}</a></div>'
        f'<div class="newscontent"><h1 class="news_title">{esc(art.title)}</h1>'
        f'<div class="news_about"><p>{esc(art.author_raw)}</p>'
        f'<p>{pub}<span>来源：澎湃新闻</span><span class="news_size">字号</span></p></div>'
        f'<div class="news_txt" data-size="standard">{_old_body(art.served_blocks, "<br/><br/>")}'
        f"{APP_PROMO}</div>"
        f'{editor}<div class="news_keyword">关键词 &gt;&gt; {keywords}</div>'
        f'<div class="news_love"><a class="zan">{esc(art.praise_times)}</a><a class="share">分享到</a></div>'
        f'</div><div class="comment_que"><h2>评论</h2><p>打开澎湃新闻客户端，发表评论</p></div></div>'
        f'<div class="main_rt"><h2>热门推荐</h2><ul><li><a href="/newsDetail_forward_{art.cont_id - 7}">'
        f"澎湃新闻热门推荐</a></li></ul></div></div>"
    )
    return head + _OLD_TOP + body + _OLD_FOOTER


@lru_cache(maxsize=1)
def _mobile_template() -> str:
    return _TEMPLATE.read_text(encoding="utf-8")


def render_mobile_2017(art: MockArticle) -> str:
    """The 2017 mobile page: the real page's chrome with this article inside."""
    sep = '<br/><div class="contheight"></div><br/><div class="contheight"></div>'
    pub = art.pub_time.strftime("%Y-%m-%d %H:%M")
    article = (
        f'<h1 class="t_newsinfo">{esc(art.title)}</h1>\n'
        f'<p class="about_news">{esc(art.author_raw)}<span class="FTS-opt" id="FTS-opt"></span></p>\n'
        f'<p class="about_news" style="padding-bottom:15px;">{pub} \n\n来源：澎湃新闻\n</p>\n'
        f'<div class="news_part_father">\n<div class="news_part news_part_limit"><div>'
        f"{_old_body(art.served_blocks, sep)}</div></div>"
    )
    editor = f"责任编辑：{esc(art.editor)}" if art.editor else ""
    news_bl = (
        f'<div class="news_bl"><span style="float:left">{editor}</span> '
        f"澎湃新闻，未经授权不得转载。新闻报料：4009-20-4009</div>"
    )
    full_title = f"{art.title}_{art.node_name}_澎湃新闻-The Paper"
    out = _mobile_template()
    for key, value in (
        ("@@ARTICLE@@", article),
        ("@@NEWS_BL@@", news_bl),
        ("@@KEYWORDS@@", esc(",".join(art.tags))),
        ("@@FULLTITLE@@", esc(full_title)),
        ("@@DESC@@", esc(art.summary)),
        ("@@TITLE@@", esc(art.title)),
        ("@@NODEID@@", str(art.node_id)),
        ("@@NODENAME@@", esc(art.node_name)),
        ("@@CONTID@@", str(art.cont_id)),
    ):
        out = out.replace(key, value)
    return out
