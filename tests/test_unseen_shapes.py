"""Pages of no known layout: title, byline, time and source found by their shapes; chrome
stripped by shape; pages and text that hold no article refused; list answers kept whole."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from crawler import listapi
from domain.record import SHANGHAI, UnknownLayoutError
from cleaning.document import clean_document
from cleaning.listitem import record_from_list_item
from cleaning import boilerplate as bp

BODY = [
    "研究团队表示，这项技术已经在三家医院完成了临床前验证，下一步将扩大样本规模，并与产业伙伴合作推进量产。",
    "业内人士认为，该领域的竞争正在从实验室走向生产线，资本和人才都在向头部企业集中，监管也在加快。",
]
URL = "http://www.repost-site.com.cn/newsDetail_forward_31000002"


def repost(head: list[str], *, title_tag: str = "", tail: list[str] = ()) -> bytes:
    divs = "".join(f"<div>{x}</div>" for x in head)
    body = "".join(f"<p>{p}</p>" for p in BODY)
    tails = "".join(f"<div>{x}</div>" for x in tail)
    return (
        f"<html><head><title>{title_tag}</title></head><body><div class='hd'>{divs}</div>"
        f"<div class='bd'>{body}</div>{tails}</body></html>"
    ).encode()


@pytest.mark.parametrize(
    "head, title_tag, want",
    [
        # byline above the time line, source below it
        (
            ["国产大模型开源新版本", "澎湃新闻记者 王一鸣", "2025-03-01 09:15", "来源：澎湃新闻"],
            "",
            ("国产大模型开源新版本", "王一鸣", (2025, 3, 1, 9, 15), "澎湃新闻"),
        ),
        # time, source and byline on one line
        (
            ["国产大模型开源新版本", "2025-03-01 09:15 来源：澎湃新闻 澎湃新闻记者 王一鸣"],
            "",
            ("国产大模型开源新版本", "王一鸣", (2025, 3, 1, 9, 15), "澎湃新闻"),
        ),
        # 来源 right under the title, the byline after the time
        (
            ["国产大模型开源新版本", "来源：澎湃新闻", "2025-03-01 09:15", "澎湃新闻记者 王一鸣"],
            "",
            ("国产大模型开源新版本", "王一鸣", (2025, 3, 1, 9, 15), "澎湃新闻"),
        ),
        # a repost site's own name above the title
        (
            ["某某科技网", "国产大模型开源新版本", "2025-03-01 09:15", "来源：澎湃新闻"],
            "国产大模型开源新版本_某某科技网",
            ("国产大模型开源新版本", "", (2025, 3, 1, 9, 15), "澎湃新闻"),
        ),
        (
            ["www.repost-site.com.cn", "国产大模型开源新版本", "2025-03-01 09:15"],
            "",
            ("国产大模型开源新版本", "", (2025, 3, 1, 9, 15), ""),
        ),
        # no time at all: the page's heading and the byline below it
        (
            ["首页 资讯 正文", "<h1>国产大模型开源新版本</h1>", "澎湃新闻记者 王一鸣"],
            "国产大模型开源新版本 - 某站",
            ("国产大模型开源新版本", "王一鸣", None, ""),
        ),
    ],
)
def test_fields_by_shape(head, title_tag, want):
    rec = clean_document(repost(head, title_tag=title_tag), url=URL)
    title, author, when, source = want
    assert rec.layout == "unknown"
    assert (rec.title, rec.author, rec.source) == (title, author, source)
    assert rec.published_at == (datetime(*when, tzinfo=SHANGHAI) if when else None)
    assert rec.paragraphs == BODY


def test_chrome_by_shape_is_not_body():
    head = ["国产大模型开源新版本", "2025-03-01 09:15", "来源：澎湃新闻", "+1 字号", "科学湃正文 15 0", "上海"]
    rec = clean_document(repost(head, tail=["收藏 分享 +1", "沪ICP备14003370号"]), url=URL)
    assert rec.paragraphs == BODY
    assert rec.stripped.get("dateline") == 1 and rec.stripped.get("widget", 0) >= 2


def test_pph_byline_on_two_lines_keeps_the_account():
    head = [
        "一个澎湃号作者的文章",
        "2025-03-01 09:15",
        "来源：澎湃新闻·澎湃号·湃客",
        "字号",
        "原创 徐博文",
        "集智俱乐部",
    ]
    rec = clean_document(repost(head), url=URL)
    assert (rec.author, rec.author_outlet, rec.content_type) == ("徐博文", "集智俱乐部", "pph")
    assert rec.paragraphs == BODY


@pytest.mark.parametrize(
    "page",
    [
        # a home page: headlines and links
        "<html><body><div>首页 时事 财经 科技</div>"
        + "".join(f"<li><a href='/newsDetail_forward_{i}'>第{i}条新闻的标题在这里很长</a></li>" for i in range(30))
        + "</body></html>",
        # a list page with a time per item
        "<html><body><h1>科学湃</h1>"
        + "".join(
            f"<div><a href='/x{i}'>科研团队发现新材料第{i}号</a></div><div>2025-03-0{1 + i % 9} 09:15</div>"
            for i in range(20)
        )
        + "</body></html>",
    ],
)
def test_pages_without_an_article_are_refused(page):
    with pytest.raises(UnknownLayoutError):
        clean_document(page.encode("utf-8"), url=URL)


@pytest.mark.parametrize(
    "text",
    [
        "# 项目说明\n\n安装方法如下，请先阅读文档。\n\n- 运行 pip install，然后配置数据库。\n- 启动服务，访问首页。\n```\nmake test\n```\n",
        "\n".join(f"2025-03-01 09:{m:02d}:00 INFO 任务完成，处理了{m}条记录，耗时很短，没有错误。" for m in range(20)),
        "\n".join(f"[ERROR] 连接数据库失败，正在第{m}次重试，请检查网络配置和密码。" for m in range(10)),
    ],
)
def test_text_without_an_article_shape_is_refused(text):
    with pytest.raises(UnknownLayoutError, match="shape"):
        clean_document(text.encode("utf-8"))


@pytest.mark.parametrize(
    "line, kind",
    [
        ("+1 字号", "widget"),
        ("收藏 分享 +1", "widget"),
        ("科学湃正文 15 0", "counter"),
        ("湃客 1.2万 36", "counter"),
        ("上海", "dateline"),
        ("北京讯", "dateline"),
        ("研究人员发现", None),
        ("上海的研究团队发现了新材料。", None),
        ("2025年", None),
        ("字号很大的标题", None),
    ],
)
def test_chrome_shapes(line, kind):
    assert bp.classify(line) == kind
    assert bp.classify(line, edge=False) is None


# ------------------------------------------------------------------ list answers
def test_nested_items_are_kept_and_skipped_ones_counted():
    item = {"contId": "1", "name": "数据 | 深圳超级工厂", "pubTimeLong": 1765110426207}
    body = {
        "code": 200,
        "data": {
            "list": [item, [dict(item, contId="2")], [[dict(item, contId="3")]], None, "x", {"name": "no id"}, []],
            "hasNext": False,
            "startTime": 1,
        },
    }
    page = listapi.parse_list_response(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    assert [i["contId"] for i in page.items] == ["1", "2", "3"]
    assert page.skipped == {"not_an_object": 2, "no_cont_id": 1, "empty_list": 1}


def test_list_item_title_kept_as_given_and_pph_account_as_column():
    item = {
        "contId": "32000001",
        "name": "数据 | 深圳超级工厂  的夜班",
        "pubTimeLong": 1765110426207,
        "authorInfo": {"userId": 1, "sname": "集智俱乐部", "authInfo": "澎湃号·湃客"},
    }
    rec = record_from_list_item(item)
    assert rec.title == "数据 | 深圳超级工厂  的夜班"
    assert (rec.content_type, rec.node_name) == ("pph", "集智俱乐部")


def test_list_answer_as_a_document_finds_a_nested_item():
    body = {"code": 200, "data": {"list": [[{"contId": "7", "name": "标题 | 七"}]], "hasNext": False}}
    rec = clean_document(
        json.dumps(body, ensure_ascii=False).encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_7"
    )
    assert (rec.cont_id, rec.title) == (7, "标题 | 七")


def test_known_layout_with_empty_fields_gets_them_from_its_visible_text():
    page = (
        '<html><head><title>t</title></head><body><div class="newscontent"><h1 class="news_title">国产大模型开源新版本</h1>'
        '<div class="meta-x"><span>澎湃新闻记者 王一鸣</span></div><div>2025-03-01 09:15 来源：澎湃新闻</div>'
        '<div class="news_txt">' + "".join(f"<p>{p}</p>" for p in BODY) + "</div></div></body></html>"
    )
    rec = clean_document(page.encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_31000003")
    assert rec.layout == "desktop_old"
    assert (rec.author, rec.source) == ("王一鸣", "澎湃新闻")
    assert rec.published_at == datetime(2025, 3, 1, 9, 15, tzinfo=SHANGHAI)
    assert rec.paragraphs == BODY
