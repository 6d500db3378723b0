"""Dateline bylines (cleaning.extract.credits.opening_credit, evidence.byline_in): the names
before ``／台北報導`` / ``／华盛顿4日电`` / ``／特稿``, bracketed at the head of the body or alone on
a line; never a name cut from the place after it, never an agency."""

import pytest

from cleaning.extract.credits import opening_credit
from cleaning.extract.evidence import byline_in


@pytest.mark.parametrize(
    "paragraphs, want",
    [
        (["【王家俊／台北報導】配合行政院組織改造，內政部社會司併入衛生福利部。"], "王家俊"),
        (["【丁牧群╱台北報導】女子三年前在診所當助理研究員。"], "丁牧群"),
        (["【陳怡妏╱綜合外電報導】日本前東京都知事辭職下台。"], "陳怡妏"),
        (["〔記者施曉光、吳亮儀、陳慧萍／台北報導〕市面上出現愈來愈多的啤酒。"], "施曉光 吳亮儀 陳慧萍"),
        (["【聯合晚報╱記者邱瓊平/台北報導】國光客運新開三條路線。"], "邱瓊平"),
        (["（记者张三／北京报道）今天上午，会议在北京举行。"], "张三"),
        (["图片说明", "【王家俊／台北報導】配合行政院組織改造。"], "王家俊"),  # among the first lines
        # negatives
        (["（中央社記者楊思瑞台南4日電）虱目魚協會今天舉辦抽籤。"], ""),  # no slash: name and place run together
        (["（新华社／北京电）今天上午，会议在北京举行。"], ""),  # an agency, not a person
        (["【图／记者甲】今天上午。"], ""),  # no dateline after the slash
        (["會議在北京舉行。", "第二段。", "第三段。", "【王家俊／台北報導】第四段。"], ""),  # not at the head
        (["他說【王家俊／台北報導】不實。"], ""),  # not opening the paragraph
    ],
)
def test_opening_dateline_credit(paragraphs, want):
    assert opening_credit(paragraphs) == want


@pytest.mark.parametrize(
    "line, want",
    [
        ("劉屏／華盛頓4日電", "劉屏"),
        ("朱真楷／台北報導", "朱真楷"),
        ("陳亭均／綜合報導", "陳亭均"),
        ("張立勳／特稿", "張立勳"),
        ("记者 张三", "张三"),
        # negatives
        ("充电／放电", ""),
        ("首页／新闻报道", ""),  # a breadcrumb: 首页 opens with no common surname
        ("新华社／北京电", ""),
        ("會議在台北舉行／台北報導。", ""),  # a sentence
    ],
)
def test_dateline_byline_alone_on_a_line(line, want):
    assert byline_in([line]) == want
