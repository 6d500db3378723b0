"""Issue 25 item 3: Traditional text that is not a copy of a thepaper.cn article is kept as
written. A real Traditional news page (Taiwan's Central News Agency, 2016; the twnews project's
offline sample, tests/data/public/PROVENANCE.md) goes through the whole chain with no conversion:
its title, lead and caption come out in the characters the page has."""

from __future__ import annotations

import re
from pathlib import Path

from cleaning.document import clean_document
from cleaning.repair.traditional import is_converted_traditional

PAGE = Path(__file__).parent / "data" / "public" / "twnews_cna_201603190029.html"
URL = "https://www.cna.com.tw/news/asoc/201603190029-1.aspx"
TRADITIONAL_ONLY = re.compile("[鎮輪與發從場勢燒猛園歲記體會]")


def test_the_page_is_traditional_text():
    text = PAGE.read_text(encoding="utf-8")
    assert is_converted_traditional(text)  # the detector alone would call it converted
    assert len(TRADITIONAL_ONLY.findall(text)) > 20


def test_a_real_traditional_page_that_does_not_copy_thepaper_is_kept_as_written():
    rec = clean_document(PAGE.read_bytes(), url=URL)
    assert rec.title == "平鎮輪胎行惡火 疏散7人1女命喪"
    assert rec.paragraphs[-1] == (
        "（中央社記者邱俊欽桃園19日電）桃園市平鎮區一家輪胎行今天清晨發生大火，7人從火場中疏散；"
        "由於火勢延燒猛烈，一名62歲女子逃生不及，命喪火窟。"
    )
    assert rec.paragraphs[0].startswith("桃園市平鎮區一家輪胎行19日清晨發生大火")  # the photo's caption
    assert not rec.repairs and rec.repair_log == []
    stored = "\n".join([rec.title, *rec.paragraphs])
    assert TRADITIONAL_ONLY.search(stored)  # nothing converted to Simplified
    for simplified in ("镇", "轮", "发", "从", "场", "势", "烧", "岁", "记"):
        assert simplified not in stored, simplified


def test_the_same_page_without_its_address_is_kept_too():
    """Nothing on it names thepaper.cn: no URL is needed to keep it as written."""
    rec = clean_document(PAGE.read_bytes())
    assert rec.title == "平鎮輪胎行惡火 疏散7人1女命喪" and "t2s" not in rec.repairs
