"""Pages of no known layout, cleaned as a whole: the article-shape check on the repaired text
(half-width marks, short titled and timed pieces), Traditional text kept unless the page copies
thepaper.cn, head fields from the page's evidence (times, bylines, agencies), the main text where
our reading and trafilatura's agree, and the chrome rules that close a body."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

import opencc
import pytest

from bench.damage import utf8_read_as
from cleaning import boilerplate as bp
from cleaning.document import clean_document
from cleaning.extract import evidence
from cleaning.extract.shape import not_an_article
from domain.record import SHANGHAI, CleaningError, UnknownLayoutError

NEGATIVES = Path(__file__).parent / "data" / "devset" / "negatives"
BODY = [
    "研究团队表示，这项技术已经在三家医院完成了临床前验证，下一步将扩大样本规模，并与产业伙伴合作推进量产。",
    "业内人士认为，该领域的竞争正在从实验室走向生产线，资本和人才都在向头部企业集中，监管也在加快。",
]
NAV = (
    "<ul>"
    + "".join(
        f"<li><a href='/c{i}'>{n}</a></li>"
        for i, n in enumerate(
            ["首页", "新闻中心", "国内新闻", "国际新闻", "体育频道", "娱乐频道", "财经频道", "科技频道"]
        )
    )
    + "</ul>"
)
FOOTER = (
    "<div class='ft'><p>关于我们 | 联系方式 | 广告服务 | 网站地图 | 招聘信息</p>"
    "<p>Copyright © 2004-2022 某某网 版权所有</p></div>"
)


def page(head: str, paras: list[str], *, title: str = "国产大模型开源新版本", tail: str = "", meta: str = "") -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return (
        f"<html><head><title>{title}_某某网</title>{meta}</head><body>{NAV}<div class='main'>"
        f"<h1>{title}</h1>{head}<div class='content'>{body}</div>{tail}</div>{FOOTER}</body></html>"
    ).encode()


# ------------------------------------------------------------------ 3: never refuse a real article
def test_half_width_sentence_marks_are_prose():
    excerpt = [
        "研究团队表示,这项技术已经在三家医院完成了临床前验证,下一步将扩大样本规模?",
        "业内人士认为,该领域的竞争正在从实验室走向生产线,资本和人才都在向头部企业集中.",
    ]
    rec = clean_document(page("", excerpt))
    narrow = str.maketrans("，？", ",?")
    assert [p.translate(narrow) for p in rec.paragraphs] == excerpt  # (the repair may widen a mark)


@pytest.mark.parametrize("timed, accepted", [(True, True), (False, False)])
def test_a_short_piece_with_a_title_and_a_time_is_an_article(timed, accepted):
    brief = ["全市首条无人驾驶公交线路今天开通。"]
    head = "<div>2025-03-01 09:15</div>" if timed else ""
    if accepted:
        rec = clean_document(page(head, brief, title="无人驾驶公交线路开通"))
        assert rec.paragraphs == brief and rec.published_at == datetime(2025, 3, 1, 9, 15, tzinfo=SHANGHAI)
    else:
        with pytest.raises(UnknownLayoutError):
            clean_document(page(head, brief, title="无人驾驶公交线路开通"))


def test_the_shape_is_judged_on_the_repaired_text():
    """A whole page of UTF-8 read as windows-1252: no Han at all before the repair, an article after."""
    damaged = utf8_read_as(page("<div>2025-03-01 09:15</div>", BODY).decode("utf-8"), "whatwg-1252")
    assert not_an_article([damaged]) is not None  # what the check said when it ran before the repair
    rec = clean_document(damaged.encode("utf-8"))
    assert rec.title == "国产大模型开源新版本" and rec.published_at is not None
    assert sum(len(p) for p in rec.paragraphs) > 60 and rec.repairs


@pytest.mark.parametrize("name", ["lyrics-chineselyrics4u.html"])
def test_real_pages_without_an_article_are_still_refused(name):
    with pytest.raises(CleaningError):
        clean_document((NEGATIVES / name).read_bytes())


def test_numbered_points_of_an_article_are_not_markdown():
    points = [f"{i}. {p}" for i, p in enumerate(BODY * 2, 1)]
    assert not_an_article(points) is None
    assert not_an_article([f"- 第{i}项" for i in range(10)]) is not None


@pytest.mark.parametrize(
    "url, converted",
    [
        (None, False),  # a Traditional blog post: kept as written
        ("http://www.repost.com.cn/newsDetail_forward_31000005", True),  # a copy of a thepaper.cn article
    ],
)
def test_traditional_text_is_restored_only_on_copies_of_thepaper(url, converted):
    lines = [
        ln
        for ln in (Path(__file__).parent / "data" / "text" / "simplified_clean.txt")
        .read_text(encoding="utf-8")
        .splitlines()
        if ln.strip() and not ln.startswith("#")
    ][40:60]
    trad = [opencc.OpenCC("s2t").convert(ln) for ln in lines]
    rec = clean_document(page("<div>2025-03-01 09:15</div>", trad, title="國產大模型開源新版本"), url=url)
    body = "\n".join(rec.paragraphs)
    if converted:
        assert rec.repairs.get("traditional") or body != "\n".join(trad)
    else:
        assert body == "\n".join(trad) and rec.title == "國產大模型開源新版本"


# ------------------------------------------------------------------ 4: fields from the page's evidence
@pytest.mark.parametrize(
    "head, meta, url, want",
    [
        ("<div>发布时间：2022-02-13 09:57</div>", "", None, (2022, 2, 13, 9, 57)),
        ("<div>2022年02月13日 09:57 来源：光明日报</div>", "", None, (2022, 2, 13, 9, 57)),
        ("<div>更新时间 2021/1/29 13:18</div>", "", None, (2021, 1, 29, 13, 18)),
        (
            "",
            '<meta property="article:published_time" content="2022-02-06T12:48:06+08:00">',
            None,
            (2022, 2, 6, 12, 48),
        ),
        ("", '<meta name="publishdate" content="2022-02-11">', None, (2022, 2, 11, 0, 0)),
        ("", "", "http://news.example.com.cn/2022-02/13/c_1128372.htm", (2022, 2, 13, 0, 0)),
        # the page's day agrees with the meta tag: the visible minute wins
        ("<div>2022-02-11 09:52</div>", '<meta name="publishdate" content="2022-02-11">', None, (2022, 2, 11, 9, 52)),
    ],
)
def test_time_from_the_pages_evidence(head, meta, url, want):
    rec = clean_document(page(head, BODY, meta=meta), url=url)
    assert rec.published_at == datetime(*want, tzinfo=SHANGHAI)


def test_a_time_agreed_by_two_sources_beats_a_lone_one():
    cands = [
        (datetime(2022, 2, 11, tzinfo=SHANGHAI), False, 3),
        (datetime(2022, 2, 11, 9, 52, tzinfo=SHANGHAI), True, 2),
        (datetime(2021, 1, 1, 8, 0, tzinfo=SHANGHAI), True, 3),
    ]
    assert evidence.choose_time(cands) == datetime(2022, 2, 11, 9, 52, tzinfo=SHANGHAI)
    assert evidence.choose_time([]) is None


@pytest.mark.parametrize(
    "line, author, outlet, source",
    [
        ("光明日报记者 王建宏 张文攀", "王建宏 张文攀", "", ""),
        ("作者：安东尼", "安东尼", "", ""),
        ("文/李明", "李明", "", ""),
        ("魏哲哲/人民日报", "魏哲哲", "人民日报", ""),
        ("新华社", "", "", "新华社"),
        ("中新网", "", "", "中新网"),
        # negatives: prose that mentions a reporter, a language pair
        ("记者问他是否后悔，他摇了摇头。", "", "", ""),
        ("中文/英文", "", "", ""),
    ],
)
def test_bylines(line, author, outlet, source):
    rec = clean_document(page(f"<div>2025-03-01 09:15</div><div>{line}</div>", BODY))
    assert (rec.author, rec.author_outlet) == (author, outlet)
    assert rec.source == source
    assert rec.paragraphs == BODY


def test_title_where_the_sources_agree_not_a_menu_item():
    doc = page("<div>2025-03-01 09:15</div>", BODY, title="国产大模型开源新版本")
    rec = clean_document(
        doc.replace(
            b"<h1>", b"<div class='skip'><a href='#c'>\xe8\xb7\xb3\xe5\x88\xb0\xe6\xad\xa3\xe6\x96\x87</a></div><h1>"
        )
    )
    assert rec.title == "国产大模型开源新版本"


def test_chrome_around_the_body_is_left_out():
    related = (
        "<div class='rel'><h3>相关阅读</h3>"
        + "".join(f"<p>·第{i}条相关新闻的标题在这里（2022-02-1{i} 10:00）</p>" for i in range(4))
        + "</div>"
    )
    rec = clean_document(page("<div>2025-03-01 09:15</div><div>来源：光明日报</div>", BODY, tail=related))
    assert rec.paragraphs == BODY and rec.source == "光明日报"


# ------------------------------------------------------------------ 5 and chrome rules
@pytest.mark.parametrize(
    "line, kind",
    [
        ("本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP", "app_promo"),
        ("（本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP）", "app_promo"),
        ("·富夫妻望子成龙假离婚三月后丈夫另娶（2005-04-03 17:19PM）", "related"),
        ("第1页/共1页", "pager"),
        ("<<上一页|下一页>>", "pager"),
        ("反侵权公告：根据《中华人民共和国著作权法》等法律法规，本网声明如下", "disclaimer"),
        ("①凡本网注明“来源：某某网”的所有作品，版权均属于某某网", "disclaimer"),
        # negatives: prose that mentions the same words
        ("他说，本文来自一次访谈，更多细节将在下周公布。", None),
        ("第1页的内容讲述了这座城市的历史，共有三个部分。", None),
    ],
)
def test_chrome_rules(line, kind):
    assert bp.classify(line) == kind


def test_a_tail_section_and_everything_after_it_is_chrome():
    paras = BODY * 2 + ["相关阅读", "某某科技公司发布新产品", "另一条新闻标题在这里"]
    res = bp.strip_paragraphs(paras)
    assert res.paragraphs == BODY * 2 and res.counts["tail_section"] == 3
    # in the first half it is a word of the text, not the start of the tail
    assert bp.strip_paragraphs(["相关阅读", *BODY * 3]).paragraphs[-1] == BODY[1]
