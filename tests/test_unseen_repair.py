"""Repair on damage the old tables never showed: whole documents of UTF-8 read as a single-byte
codec (C1 controls, lost undefined bytes, NBSP turned into a space, two layers), and
Traditional reposts made by a phrase converter (Taiwan, Hong Kong); negatives stay."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings, strategies as st

from bench.damage import SINGLE_BYTE_READS, utf8_read_as
from cleaning.repair import repair_text
from cleaning.repair.mojibake import repair_mojibake
from cleaning.repair.traditional import detect_converter, fix_zhe, is_converted_traditional, to_simplified
from tests.conftest import SAMPLES

TEXT = Path(__file__).parent / "data" / "text"
CLEAN = [
    ln
    for ln in (TEXT / "simplified_clean.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
]


def _article_text() -> str:
    page = (SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in re.sub(r"<[^>]+>", "\n", page).splitlines()]
    return "\n".join(ln for ln in lines if ln)


LONG = _article_text()


def similarity(a: str, b: str) -> float:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(bl.size for bl in sm.get_matching_blocks()) / max(1, len(b))


# ------------------------------------------------------------------ whole documents
@pytest.mark.parametrize("how", SINGLE_BYTE_READS)
@pytest.mark.parametrize("nbsp", [False, True])
def test_whole_page_of_utf8_read_as_single_byte(how, nbsp):
    damaged = utf8_read_as(LONG, how, nbsp_to_space=nbsp)
    fixed, n = repair_mojibake(damaged)
    assert n > 0
    # a dropped byte is chosen among five by the word model, and kept only above its measured
    # 99.5 % margin (issue 25): measured 0.973 (0.998 when every guess was kept), the rest left as it was
    floor = 0.999 if how != "1252-dropped" else 0.97
    assert similarity(fixed, LONG) >= floor


@pytest.mark.parametrize("how", SINGLE_BYTE_READS)
def test_corpus_read_as_single_byte(how):
    text = "\n".join(CLEAN)
    fixed, _ = repair_mojibake(utf8_read_as(text, how))
    assert similarity(fixed, text) >= (0.999 if how != "1252-dropped" else 0.975)  # measured 0.978


def test_two_layers():
    text = "澎湃新闻记者在上海报道：人工智能产业链的连锁反应正在到来。"
    twice = utf8_read_as(utf8_read_as(text, "whatwg-1252"), "whatwg-1252")
    assert repair_mojibake(twice)[0] == text


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(CLEAN), min_size=3, max_size=12),
    st.sampled_from(["latin-1", "whatwg-1252"]),
    st.booleans(),
)
def test_property_utf8_read_as_single_byte_comes_back(lines, how, nbsp):
    text = "\n".join(lines)
    fixed = repair_mojibake(utf8_read_as(text, how, nbsp_to_space=nbsp))[0]
    # a lost byte or a NBSP-or-space the bytes leave open is the model's choice: below its measured
    # margin the character stays as its bytes (never invented), which costs recall on short texts
    assert similarity(fixed, text) >= 0.9


MOJIBAKE = [
    ("æ¾Žæ¹ƒæ–°é—»", "澎湃新闻"),  # cp1252
    ("æ¾\x8eæ¹\x83æ\x96°é\x97»", "澎湃新闻"),  # Latin-1: C1 controls
    ("科技公司å\x8f\x91å¸\x83了新模型", "科技公司发布了新模型"),  # a run inside good text
    ("他说â€œæˆ‘ä»¬ä¼šåŠªåŠ›â€\x9dã€‚", "他说“我们会努力”。"),
    ("他说â€œæˆ‘ä»¬ä¼šåŠªåŠ›â€ã€‚", "他说“我们会努力”。"),  # 9D of ” lost
    ("å¹³å\x8f°çš„ç\x94¨æˆ·", "平台的用户"),
    ("AIäº§ä¸šé“¾", "AI产业链"),  # glued to a Latin word, and still a word
]


@pytest.mark.parametrize("damaged, expected", MOJIBAKE)
def test_mojibake_table(damaged, expected):
    assert repair_text(damaged).text == expected


@pytest.mark.parametrize(
    "line",
    [
        "她最喜欢的歌手是Beyoncé……",
        "“NESTLÉ”是雀巢",
        "Café Müller®",
        "Pokémon™的新作",
        "Señor—一位老人",
        "naïve « café »",
        "Ångström单位",
        "价格¥99，温度25°C±1°",
        "Moët®香槟",
        "José’s餐厅",
    ],
)
def test_clean_latin_next_to_symbols_stays(line):
    assert repair_text(line).text == line


# ------------------------------------------------------------------ Traditional
@pytest.mark.parametrize(
    "text",
    [
        "乾县和乾安县都不大",
        "北宋毕昇发明了活字印刷",
        "他蒐集了祕鲁和氾水的资料，说得很清楚",
        "“什麽”的写法",
        "这部著作很著名，效果显著，土著居民也知道。",
        "乾隆年间，毕昇的后人蒐集了祕方，黄河氾滥了，这是著名的事。",
    ],
)
def test_simplified_with_traditional_looking_characters_is_not_converted(text):
    assert not is_converted_traditional(text)
    assert repair_text(text).text == text


@pytest.mark.parametrize(
    "trad, simp",
    [
        ("花瓣散落著一地，她慰藉著受傷的人。", "花瓣散落着一地，她慰藉着受伤的人。"),
        ("他的著裝很講究，隨著時間推移，這意味著改變。", "他的着装很讲究，随着时间推移，这意味着改变。"),
        ("這部著作很著名，作者以嚴謹著稱。", "这部著作很著名，作者以严谨著称。"),
        ("他著急地等著結果。", "他着急地等着结果。"),
    ],
)
def test_zhe_by_the_word_it_forms(trad, simp):
    assert repair_text(trad, traditional=True).text == simp


@pytest.mark.parametrize("config, expect", [("s2twp", "tw2sp"), ("s2hk", None), ("s2t", "t2s")])
def test_the_converter_that_made_a_repost_is_undone(config, expect):
    text = "\n".join(CLEAN[40:100])
    repost = opencc.OpenCC(config).convert(text)
    assert is_converted_traditional(repost)
    conv = detect_converter(repost)
    if expect:
        assert conv == expect
    back = to_simplified(repost, converter=conv)
    assert similarity(back, text) >= 0.99


@pytest.mark.parametrize(
    "simp",
    [
        "这个程序的水平很高，培训的概率也很大，软件和信息系统都依赖网络。",
        "研究人员在视频里演示了鼠标和硬盘的新用法，数据显示效果不错。",
    ],
)
def test_taiwan_phrase_repost_reversed(simp):
    repost = opencc.OpenCC("s2twp").convert(simp)
    assert repair_text(repost).text == simp


def test_fix_zhe_leaves_words_written_with_zhu():
    assert fix_zhe("著名 著作 显著 土著 名著 著称") == "著名 著作 显著 土著 名著 著称"
    assert fix_zhe("看著 随著 著装 著急") == "看着 随着 着装 着急"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(CLEAN), min_size=1, max_size=5))
def test_property_simplified_text_is_never_detected(lines):
    assert not is_converted_traditional("\n".join(lines))
