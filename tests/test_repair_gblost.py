"""Issue 25 item 6: one byte lost from a page declared GB2312 (a full-width comma's lead byte, or a
byte in the middle of a run of characters), everything after it shifted by one byte until the
next ASCII byte. Test pages are real text (tests/data/text/simplified_clean.txt) encoded as
GB2312 with one byte deleted. The shifted run is read in step again from the bytes; the damaged
character itself is put back only when the word model is sure enough, else dropped and counted;
nothing the page did not have is ever added."""

from __future__ import annotations

import json

import pytest

from cleaning.document import clean_document
from cleaning.repair.gbklost import repair_gb_lost_bytes
from tests.eval_gate import clean_lines

URL = "https://www.thepaper.cn/newsDetail_forward_24801234"


def _gb2312(line: str) -> bool:
    try:
        line.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


LINES = [ln for ln in clean_lines() if "，" in ln and _gb2312(ln) and len(ln) >= 20 and not set(ln) & set('<>&"\\')]


def page(paragraph: str, charset: str = "gb2312") -> bytes:
    """A thepaper.cn article page (the Next.js layout) holding ``paragraph``, declared and encoded GB2312."""
    detail = {
        "contType": 0,
        "contentDetail": {
            "contId": 24801234,
            "name": "一篇普通的科技报道",
            "content": f"<p>{paragraph}</p><p>第二段的内容也很长，说明了很多问题。</p>",
            "pubTime": "2025-06-30 12:00",
            "author": "澎湃新闻记者 王某",
        },
    }
    nd = {"props": {"pageProps": {"contId": "24801234", "detailData": detail}}}
    return (
        f'<html><head><meta charset="{charset}"><title>x</title></head><body>'
        f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(nd, ensure_ascii=False)}</script>'
        "</body></html>"
    ).encode("gb2312")


def _damaged(line: str) -> tuple[bytes, str]:
    """The page with the lead byte of the line's first full-width comma deleted, and the comma."""
    data = page(line)
    i = data.index(line.encode("gb2312")) + line.encode("gb2312").index("，".encode("gb2312"))
    return data[:i] + data[i + 1 :], "，"


def test_the_pages_are_real_text():
    assert len(LINES) >= 20


@pytest.mark.parametrize("line", LINES[:24])
def test_a_lost_lead_byte_is_repaired_from_the_bytes_or_left(line):
    data, lost = _damaged(line)
    rec = clean_document(data, url=URL)
    body = rec.paragraphs[0]
    as_is = (
        clean_document(data.decode("gb18030", "replace").encode("utf-8"), url=URL).paragraphs[0]
        if not rec.repairs.get("gb_lost_byte")
        else None
    )
    if rec.repairs.get("gb_lost_byte"):
        # read in step again: the line itself, or without the damaged character (dropped, counted)
        assert body in (line, line.replace(lost, "", 1)), body
        if body != line:
            assert rec.repairs.get("gb_lost_dropped") == 1
        page_log = [e for e in rec.repair_log if e["field"] == "page"]
        assert page_log and all(e["rule"] == "gb_lost_byte" for e in page_log)
    else:
        assert body == as_is  # left as the page has it


def test_some_lost_bytes_are_found():
    """Measured: 8 of the 24 pages are read in step again (the comma itself dropped each time) (the place of the lost byte is the
    model's choice, taken only at a margin where it was right 10 times in 10, bench.margins)."""
    found = sum(1 for line in LINES[:24] if clean_document(_damaged(line)[0], url=URL).repairs.get("gb_lost_byte"))
    assert found >= 6


def test_an_intact_gb_page_is_not_touched():
    for line in LINES[:10]:
        data = page(line)
        text, counts, events = repair_gb_lost_bytes(data, data.decode("gb18030"))
        assert text == data.decode("gb18030") and counts == {} and events == []
        rec = clean_document(data, url=URL)
        assert rec.paragraphs[0] == line and "gb_lost_byte" not in rec.repairs
