"""Metadata parsing: times, bylines, editors, sources, page titles, channels."""

from __future__ import annotations

from datetime import datetime

import pytest

from cleaning import metadata as md
from domain.record import SHANGHAI


def sh(*a):
    return datetime(*a, tzinfo=SHANGHAI)


TIMES = [
    ("2023-10-07 13:41", sh(2023, 10, 7, 13, 41)),
    ("2017-09-08 10:30 \n\n来源：澎湃新闻", sh(2017, 9, 8, 10, 30)),
    ("2026-01-18 10:59:30", sh(2026, 1, 18, 10, 59, 30)),
    ("2019年5月17日 23:48", sh(2019, 5, 17, 23, 48)),
    (1765110426207, sh(2025, 12, 7, 20, 27)),
    ("1765110426207", sh(2025, 12, 7, 20, 27)),
    ("20小时前", None),
    ("2023-13-40 25:99", None),
    ("", None),
    (None, None),
    (12, None),
    (True, None),
]


@pytest.mark.parametrize("value,expected", TIMES)
def test_parse_time(value, expected):
    got = md.parse_time(value)
    assert got == expected
    if got is not None:
        assert got.utcoffset().total_seconds() == 8 * 3600


AUTHORS = [
    ("澎湃新闻记者 朱轩", ("朱轩", "")),
    ("澎湃新闻记者朱轩", ("朱轩", "")),
    ("澎湃新闻实习生 王某 记者 李某", ("王某 李某", "")),
    ("澎湃新闻首席记者 王一鸣", ("王一鸣", "")),
    ("魏哲哲/@人民日报", ("魏哲哲", "人民日报")),
    ("杨卓君/整理", ("杨卓君", "")),  # "/整理" is the role (compiled by), not part of the name
    ("张三", ("张三", "")),
    ("Kate Smith", ("Kate Smith", "")),
    ("", ("", "")),
    ("澎湃新闻记者", ("", "")),
]


@pytest.mark.parametrize("raw,expected", AUTHORS)
def test_parse_author(raw, expected):
    assert md.parse_author(raw) == expected


@pytest.mark.parametrize(
    "line,writer",
    [
        ("原创 徐博文 集智俱乐部", "徐博文"),
        ("原创 集智俱乐部", ""),
        ("集智俱乐部", ""),
    ],
)
def test_parse_pph_byline(line, writer):
    assert md.parse_pph_byline(line) == writer


@pytest.mark.parametrize(
    "text,editor",
    [
        ("责任编辑：顾明", "顾明"),
        ("责任编辑：顾明 澎湃新闻，未经授权不得转载。新闻报料：4009-20-4009", "顾明"),
        ("責任編輯:李跃群", "李跃群"),
        ("编辑|皮爷", "皮爷"),
        ("编辑｜皮爷", "皮爷"),
        ("编辑部认为这项政策值得关注。", ""),
        ("", ""),
    ],
)
def test_parse_editor(text, editor):
    assert md.parse_editor(text) == editor


@pytest.mark.parametrize(
    "text,source",
    [
        ("来源：澎湃新闻", "澎湃新闻"),
        ("來源:澎湃新聞·澎湃號·湃客", "澎湃新聞·澎湃號·湃客"),
        ("2023-10-07 13:41 来源：澎湃新闻·澎湃号·湃客", "澎湃新闻·澎湃号·湃客"),
        ("数据来源于国家统计局", ""),
    ],
)
def test_parse_source(text, source):
    assert md.parse_source(text) == source


@pytest.mark.parametrize(
    "title,expected",
    [
        (
            "一周文化讲座｜书店与城市风格：书店对于城市有指标意义吗？_翻书党_澎湃新闻-The Paper",
            ("一周文化讲座｜书店与城市风格：书店对于城市有指标意义吗？", "翻书党"),
        ),
        ("标题_带_下划线_科学湃_澎湃新闻-The Paper", ("标题_带_下划线", "科学湃")),
        ("澎湃新闻-The Paper", ("澎湃新闻-The Paper", "")),
    ],
)
def test_split_page_title(title, expected):
    assert md.split_page_title(title) == expected


@pytest.mark.parametrize(
    "node,parent,expected",
    [
        (27234, 119908, (119908, "科技")),
        (25434, None, (25951, "财经")),
        (119446, 0, (119908, "科技")),
        (25462, 25388, (25388, "")),  # an id not in the table: kept, name unknown
        (99999, None, (None, "")),
        (None, "25950", (25950, "时事")),
    ],
)
def test_channel_for(node, parent, expected):
    assert md.channel_for(node, parent) == expected
