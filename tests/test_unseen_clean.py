"""Clean Simplified text (tests/data/text/simplified_clean.txt: Latin names and accented words
beside Chinese punctuation, symbols, 乾 昇 蒐 著, URLs, code) comes out byte-identical through
``repair_text`` and ``clean_document``, line by line and as one document."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from cleaning.document import clean_document
from cleaning.repair import repair_text
from cleaning.repair.traditional import is_converted_traditional

TEXT = Path(__file__).parent / "data" / "text"
CLEAN = [
    ln
    for ln in (TEXT / "simplified_clean.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
]
OLD = [
    ln
    for ln in (Path(__file__).parent / "data" / "repair" / "must_stay_unchanged.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if ln.strip() and not ln.startswith("#")
]
URL = "https://www.thepaper.cn/newsDetail_forward_24801234"


def page(paragraphs: list[str], title: str = "一篇普通的科技报道") -> bytes:
    content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    detail = {
        "contType": 0,
        "contentDetail": {
            "contId": 24801234,
            "name": title,
            "content": content,
            "pubTime": "2025-06-30 12:00",
            "author": "澎湃新闻记者 王某",
        },
    }
    nd = {"props": {"pageProps": {"contId": "24801234", "detailData": detail}}}
    return (
        f'<html><head><title>x</title></head><body><script id="__NEXT_DATA__" type="application/json">'
        f"{json.dumps(nd, ensure_ascii=False)}</script></body></html>"
    ).encode()


def test_corpus_is_large_enough():
    assert len(CLEAN) >= 100


@pytest.mark.parametrize("line", CLEAN + OLD)
def test_repair_text_leaves_it_alone(line):
    res = repair_text(line)
    assert res.text == line and res.repairs == {}


@pytest.mark.parametrize("line", CLEAN)
def test_clean_document_leaves_it_alone(line):
    rec = clean_document(page([line]), url=URL)
    assert rec.paragraphs == [line] and rec.repairs == {}


def test_whole_corpus_as_one_document():
    assert not is_converted_traditional("\n".join(CLEAN))
    rec = clean_document(page(CLEAN), url=URL)
    assert rec.paragraphs == CLEAN and rec.repairs == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(CLEAN), min_size=1, max_size=6))
def test_any_mix_of_clean_lines_stays(lines):
    text = "\n".join(lines)
    assert repair_text(text).text == text
