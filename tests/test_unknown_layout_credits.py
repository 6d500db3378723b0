"""Pages of no known layout: the people they credit outside the head byline (the body's closing
credit, the editor line), bylines with a dateline, text after an HTML comment, blog prose broken
by spaces, and encyclopedia entries refused as no article (real negatives of the devset)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest

from cleaning.document import clean_document
from cleaning.extract import credits
from cleaning.extract import html as h
from cleaning.extract.pagekind import MIN_SIGNS, encyclopedia_signs
from cleaning.extract.shape import not_an_article
from domain.record import CleaningError

DEVSET = Path(__file__).parent / "data" / "devset"
BODY = [
    "研究团队表示，这项技术已经在三家医院完成了临床前验证，下一步将扩大样本规模，并与产业伙伴合作推进量产。",
    "业内人士认为，该领域的竞争正在从实验室走向生产线，资本和人才都在向头部企业集中，监管也在加快。",
]


def page(head: str, paras: list[str], *, tail: str = "") -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return (
        "<html><head><title>国产大模型开源新版本_某某网</title></head><body><div class='main'>"
        f"<h1>国产大模型开源新版本</h1>{head}<div class='content'>{body}</div>{tail}</div></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "closing, author",
    [
        ("（记者 胡晓蓉）", "胡晓蓉"),
        ("（总台记者 张倩）", "张倩"),
        ("（常书香 马丹阳 ）", "常书香 马丹阳"),
        ("（袁源）", "袁源"),
        # negatives: a closing mark, a note, an agency: no person
        ("（待续）", ""),
        ("（图文无关）", ""),
        ("（新华社）", ""),
    ],
)
def test_the_bodys_closing_credit_names_the_author(closing, author):
    rec = clean_document(page("<div>2025-03-01 09:15</div>", [BODY[0], BODY[1] + closing]))
    assert rec.author == author


def test_a_byline_under_the_title_wins_over_the_closing_credit():
    rec = clean_document(page("<div>2025-03-01 09:15</div><div>作者：李明</div>", [BODY[0], BODY[1] + "（记者 王强）"]))
    assert rec.author == "李明"


@pytest.mark.parametrize(
    "tail, editor",
    [
        ("<div>来源：某某日报 编辑：苏亮</div>", "苏亮"),
        ("<div>[责任编辑:肖春芳]</div>", "肖春芳"),
        ("<div><span>责任编辑：</span>\n<span>焦鹏</span></div>", "焦鹏"),  # split over two lines
        ("<div>编辑部地址：北京市</div>", ""),  # negative: not a credit
    ],
)
def test_the_editor_line_anywhere_on_the_page(tail, editor):
    rec = clean_document(page("<div>2025-03-01 09:15</div>", BODY, tail=f"<div class='ft'>{tail}</div>"))
    assert rec.editor == editor
    assert rec.author == ""  # an editor is not the author


@pytest.mark.parametrize(
    "line, author",
    [
        ("本报记者罗科苏盈发自北京", "罗科苏盈"),
        ("新京报记者 彭冲 山东冠县报道", "彭冲"),
        ("记者王强", "王强"),
        ("作者：责任编辑：肖春芳", ""),  # the field after 作者 is an editor's, not a name
        ("作者： 赵婕 出自 某某网", "赵婕"),
        ("记者调查 民意调查", ""),  # a menu item: 记者 touching a word that is no name
    ],
)
def test_bylines_with_a_dateline_or_a_next_field(line, author):
    rec = clean_document(page(f"<div>2025-03-01 09:15</div><div>{line}</div>", BODY))
    assert rec.author == author


def test_the_text_after_an_html_comment_is_kept():
    doc = h.parse("<html><body><div>作者：<!--author-->赵婕<!--/author--> 出自</div></body></html>")
    assert h.body_blocks(doc, skip_chrome=False).paragraphs == ["作者：赵婕 出自"]


def test_blog_prose_broken_by_spaces_is_an_article_only_with_a_title_and_a_time():
    spaced = [
        "一波波接續性低溫寒流報到 已將新竹尖石鄉後山一帶層層山巒披上嫣紅的彩衣",
        "玉峰道路一路上雲氣山嵐滯留山頭 順路下切蜿蜒道路後不久即抵達來到國小",
        "營區內除了露營民宿餐飲賞楓項目 多了許多原木飾品更有畫龍點睛加乘效果",
    ]
    assert not_an_article(spaced, titled_and_timed=True) is None
    assert not_an_article(spaced, titled_and_timed=False) is not None
    headlines = ["国产大模型开源", "无人驾驶公交线路开通", "某地发布新政策"] * 3  # short: headlines
    assert not_an_article(headlines, titled_and_timed=True) is not None


ENCYCLOPEDIA = sorted(p.name for p in (DEVSET / "negatives").glob("encyclopedia-*.html"))


@pytest.mark.parametrize("name", ENCYCLOPEDIA)
def test_encyclopedia_entries_are_refused_for_their_structure(name):
    with pytest.raises(CleaningError, match="encyclopedia entry"):
        clean_document((DEVSET / "negatives" / name).read_bytes())


def test_no_real_article_of_the_devset_shows_an_encyclopedia_entrys_structure():
    from tests.devset_eval import decoded

    for p in sorted((DEVSET / "pages").glob("*.html")):
        assert len(encyclopedia_signs(h.parse(decoded(p.read_bytes())))) < MIN_SIGNS, p.name


def test_closing_credit_reads_only_the_bodys_end():
    assert credits.closing_credit(["（记者 王强）", *BODY * 4]) == ""
    assert credits.closing_credit([*BODY, "（记者 王强）"]) == "王强"


@pytest.mark.parametrize(
    "lines, refused",
    [
        # a forum's thread list: a reply count on a line of its own beside each thread
        ([x for i in range(12) for x in (str(i * 37), f"第{i}个帖子的标题，大家来讨论一下这个问题吧。")], True),
        # an article with a few numbers on lines of their own (a table's cells) is still one
        ([*BODY * 5, "2021", "2022", "1,024"], False),
    ],
)
def test_a_body_of_bare_counts_beside_headlines_is_a_list_page(lines, refused):
    why = not_an_article(lines, titled_and_timed=True)
    assert (why is not None and "bare counts" in why) is refused
