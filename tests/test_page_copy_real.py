"""Real evidence for the page-copy repair (issue 25 item 1): a real news page (Taiwan's Central
News Agency, tests/data/public/PROVENANCE.md) states its lead paragraph twice, in the article and
in its ``description`` meta, and its title in the ``<h1>``, the ``<title>`` and ``og:title``. A
byte lost from one copy is restored from the other, exactly, and logged as decided by the page;
the page as saved is cleaned without any repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaning.document import clean_document
from tests.conftest import run_cli

PAGE = Path(__file__).parent / "data" / "public" / "twnews_cna_201603190029.html"
URL = "https://www.cna.com.tw/news/asoc/201603190029-1.aspx"
RAW = PAGE.read_bytes()
TEXT = RAW.decode("utf-8")
LEAD = "（中央社記者邱俊欽桃園19日電）桃園市平鎮區一家輪胎行今天清晨發生大火，7人從火場中疏散；由於火勢延燒猛烈，一名62歲女子逃生不及，命喪火窟。"
TITLE = "平鎮輪胎行惡火 疏散7人1女命喪"


def lose_a_byte(at_char: int) -> bytes:
    """The page with the second byte of the character at ``at_char`` lost."""
    at = len(TEXT[:at_char].encode("utf-8"))
    return RAW[: at + 1] + RAW[at + 2 :]


def test_the_page_as_saved_needs_no_repair():
    rec = clean_document(RAW, url=URL)
    assert rec.title == TITLE and rec.paragraphs[-1] == LEAD
    assert rec.repair_log == [] and not rec.repairs


@pytest.mark.parametrize("offset", [8, 30, 60])
def test_a_byte_lost_from_the_lead_is_restored_from_the_description(offset):
    article = TEXT.index('<div class="paragraph"')
    at = TEXT.index(LEAD, article) + offset
    rec = clean_document(lose_a_byte(at), url=URL)
    assert rec.paragraphs[-1] == LEAD and rec.title == TITLE
    (entry,) = rec.repair_log
    assert (entry["rule"], entry["by"], entry["field"], entry["before"]) == ("page_copy", "page", "body", "\ufffd")
    assert entry["after"] == LEAD[offset] and rec.body_text[entry["offset"]] == LEAD[offset]
    assert rec.repairs == {"undecodable_bytes": 1, "page_copy": 1}


def test_a_byte_lost_from_every_copy_of_the_lead_is_dropped_not_invented():
    """The lead stands three times (the article, ``description``, ``og:description``): with the
    same character damaged in all of them, no copy is evidence."""
    places = [i + len("今天清") for i in _all(TEXT, "今天清晨發生大火")]  # each 晨
    assert len(places) >= 3
    damaged = RAW
    for at_char in sorted(places, reverse=True):
        at = len(TEXT[:at_char].encode("utf-8"))
        damaged = damaged[: at + 1] + damaged[at + 2 :]
    rec = clean_document(damaged, url=URL)
    assert rec.paragraphs[-1] == LEAD.replace("晨", "")
    assert not [e for e in rec.repair_log if e["rule"] == "page_copy"]
    assert rec.repairs.get("unrepaired") == 1 and "page_copy" not in rec.repairs


def _all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def test_clean_explain_shows_the_restoration(tmp_path):
    """``thepaper-archive clean FILE --explain`` as a user types it: the restored span's line."""
    path = tmp_path / "cna.html"
    path.write_bytes(lose_a_byte(TEXT.index(LEAD, TEXT.index('<div class="paragraph"')) + 8))
    proc = run_cli("clean", str(path), "--url", URL, "--explain")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "page_copy" in ln and " -> " in ln]
    assert len(lines) == 1 and " page " in lines[0] and f'"\ufffd" -> "{LEAD[8]}"' in lines[0], proc.stdout
    assert "1 restored from the page's other copy" in proc.stdout
