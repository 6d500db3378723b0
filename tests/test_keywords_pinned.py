"""The keywords of fixed texts, words and TF-IDF scores, as the keyword stage gave them before it
was made cheaper (issue 26): ties in order of first occurrence, a number's leftovers and a
column label left out, texts without any keyword. The expected values were computed by the
earlier code (``git show 7e10bb4:cleaning/keywords.py``), not by the code they check."""

from __future__ import annotations

from collections import Counter

import pytest
import rjieba

from cleaning import keywords
from cleaning.keywords import _COLUMN_PREFIX, _extractor, _tally, _tokens, extract_keywords
from tests.conftest import ROOT

SATELLITES = (
    "长光卫星可回收火箭发射成功，3颗卫星入轨",
    "",
    [
        "此次任务共搭载3颗卫星，将用于遥感观测、物联网通信和在轨技术验证。按照规划，该星座将在2027年前完成约120颗卫星的组网部署。"
    ],
)
NIGHT_SHIFT = (
    "特稿｜芯片工厂里的夜班",
    "凌晨两点。",
    ["凌晨两点，晶圆厂的无尘车间依然灯火通明。一千万片芯片从这里出发，量子计算机完成千次连续运行。"],
)
#: A title with whitespace at its ends (cut with the rest), an empty paragraph.
SPACED = (" 量子计算\r", "  ", ["合肥量子计算企业8000余家", ""])

#: (title, summary, paragraphs), the keywords with their scores, best first.
PINNED = [
    (
        SATELLITES,
        {
            "长光": 0.8747390855780487,
            "可回收": 0.8563502249707318,
            "入轨": 0.8189727403097562,
            "发射成功": 0.7815952556414634,
            "火箭": 0.5284635759014634,
            "卫星": 0.5268253567631708,
            "组网": 0.2883228319585366,
            "遥感": 0.22529850141121952,
            "星座": 0.21958141102487808,
            "搭载": 0.20456704648317076,
        },
    ),
    (
        NIGHT_SHIFT,
        {
            "芯片": 1.3850519772338463,
            "夜班": 1.0899611948907693,
            "工厂": 0.7274175401434615,
            "两点": 0.6031964966453847,
            "凌晨": 0.5891118758861539,
            "晶圆厂": 0.4813224342653846,
            "无尘": 0.44241470689230766,
            "灯火通明": 0.3841790248673077,
            "量子": 0.33144130474,
            "车间": 0.3097784183430769,
        },
    ),
    # a tie (two words the IDF table lacks, once each): the first to occur comes first
    (("Zorvex Quibble", "", []), {"Zorvex": 5.97738375145, "Quibble": 5.97738375145}),
    (("Quibble Zorvex", "", []), {"Quibble": 5.97738375145, "Zorvex": 5.97738375145}),
    (
        SPACED,
        {"量子": 2.872491307746667, "计算": 1.8661372857, "合肥": 0.6853269874758333, "企业": 0.35181434874583334},
    ),
    # no keyword: no text, numbers, stop words and marks alone, whitespace alone
    (("", "", []), {}),
    (("2024年3月", "的了是，。", ["100%", "  "]), {}),
    (("", "", ["\n \u3000 "]), {}),
]


def _scores(title: str, summary: str, paragraphs: list[str]) -> dict[str, float]:
    tokens = _tokens(_COLUMN_PREFIX.sub("", title), summary, "\n".join(paragraphs))
    words, scores, _ = _tally(Counter(tokens), _extractor())
    return dict(zip(words, scores))


@pytest.mark.parametrize("article,expected", PINNED, ids=[a[0][:10] or repr(a[2]) for a, _ in PINNED])
def test_keywords_and_scores_are_pinned(article, expected):
    assert extract_keywords(*article) == list(expected)
    scores = _scores(*article)
    assert {word: scores[word] for word in expected} == expected
    assert extract_keywords(*article, top=3) == list(expected)[:3]


def test_a_tie_at_the_cut_keeps_the_first_word():
    assert extract_keywords("Zorvex Quibble", top=1) == ["Zorvex"]
    assert extract_keywords("Quibble Zorvex", top=1) == ["Quibble"]


def test_no_keywords_asked_none_given():
    assert extract_keywords(*SATELLITES, top=0) == []
    assert extract_keywords(*SATELLITES, top=-1) == []


def test_the_judged_words_start_again_and_give_the_same_keywords(monkeypatch):
    """With room for two words, every article clears what the process judged: the same words."""
    monkeypatch.setattr(keywords, "_EXTRACTOR", None)
    monkeypatch.setattr(keywords, "JUDGED", 2)
    for article, expected in PINNED * 2:
        assert extract_keywords(*article) == list(expected)
    assert len(keywords._extractor().judged) < 40  # one article's words at most


def _corpus_lines() -> list[str]:
    text = (ROOT / "tests" / "data" / "text" / "simplified_clean.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


EDGES = ["", " ", "\r", "\n", "\r\n", "\t", "\u3000", "\xa0", "\x1c", "。", "A", "3"]


def test_the_title_cut_once_gives_the_words_of_the_whole_text():
    """:func:`_tokens` cuts a title once and repeats its words: the same words, in the same
    order, as cutting the whole text, whatever the title's, summary's and body's ends."""
    lines = _corpus_lines()
    assert len(lines) > 50
    checked = 0
    for i, line in enumerate(lines):
        title, summary, body = line[:24], lines[i - 1][:60], "\n".join(lines[i : i + 4])
        for before in EDGES[i % 3 :: 3]:
            for after in EDGES[i % 4 :: 4]:
                t = before + title + after
                for s, b in ((summary, body), (after + summary, body + before), ("", ""), ("", after)):
                    text = "\n".join([t] * keywords.TITLE_WEIGHT + [s, b]).strip()
                    assert _tokens(t, s, b) == (rjieba.cut(text) if text else []), (t, s[:10], b[-10:])
                    checked += 1
    assert checked > 1000
