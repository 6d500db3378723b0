"""Damaged spans restored from the page's own other copy of the text (issue 25 item 1,
cleaning/repair/pagecopy.py): only where an undamaged copy agrees on both sides of the span and
gives one answer; never from a damaged copy, never on short anchors, never on clean text."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from cleaning.document import clean_document
from cleaning.repair import RepairResult, repair_text
from cleaning.repair.log import RepairEvent
from cleaning.repair.pagecopy import PageCopies, restore

HAN = re.compile("[\u4e00-\u9fff]")
CLEAN = "研究团队表示，这项技术已经在三家医院完成了临床前验证，下一步将扩大样本规模。"
LOST = CLEAN.replace("临床前", "临\ufffd前")  # one character lost: one U+FFFD
REAL = [
    ln
    for ln in (Path(__file__).parent / "data" / "text" / "simplified_clean.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if ln.strip() and not ln.startswith("#") and HAN.search(ln)
]


def restored(text: str, copies: list[str]):
    res = repair_text(text)
    restore(res, PageCopies(copies, repair_text), text)
    return res


@pytest.mark.parametrize(
    "damaged, copies, want, page_copy",
    [
        # an undamaged copy that agrees on both sides restores the character
        (LOST, [CLEAN], CLEAN, 1),
        (LOST, ["摘要：" + CLEAN[:30]], CLEAN, 1),  # a copy of part of the text (a description)
        (CLEAN.replace("临床前", "临\ufffd\ufffd前"), [CLEAN], CLEAN, 1),  # one character, two U+FFFD
        # negatives: the span stays dropped
        (LOST, [CLEAN, CLEAN.replace("临床前", "临检前")], LOST.replace("\ufffd", ""), 0),  # copies disagree
        (LOST, [CLEAN + CLEAN.replace("临床前", "临检前")], LOST.replace("\ufffd", ""), 0),  # one copy, two answers
        (LOST, [CLEAN.replace("临床前", "临\ufffd前")], LOST.replace("\ufffd", ""), 0),  # the copy is damaged there too
        (LOST, [CLEAN.replace("已经", "已\ufffd")], CLEAN, 1),  # ... but elsewhere: still evidence here
        (LOST, [CLEAN.replace("医院完成了临", "医院做完了临")], LOST.replace("\ufffd", ""), 0),  # left anchor differs
        (LOST, [CLEAN.replace("临床前", "临床试验前")], LOST.replace("\ufffd", ""), 0),  # more than one U+FFFD's worth
        ("完成了临\ufffd前验证", ["完成了临床前验证"], "完成了临前验证", 0),  # 7 characters of context: short
        (LOST, [], LOST.replace("\ufffd", ""), 0),  # no other copy
        (CLEAN, [CLEAN.replace("临床前", "临检前")], CLEAN, 0),  # clean text: nothing to restore
    ],
)
def test_a_span_is_restored_only_where_an_undamaged_agreeing_copy_determines_it(damaged, copies, want, page_copy):
    res = restored(damaged, copies)
    assert res.text == want
    events = [e for e in res.log if e.rule == "page_copy"]
    assert len(events) == page_copy == res.repairs.get("page_copy", 0)
    for e in events:
        assert e.by == "page" and res.text[e.offset : e.offset + len(e.after)] == e.after
        assert "\ufffd" in e.before
    if not page_copy and "\ufffd" in damaged and copies:
        assert res.repairs.get("unrepaired") == 1  # asked, not determined: counted


def test_a_title_is_restored_from_the_page_title_when_they_agree_outside_the_damage():
    title = "国产大模型开源新版本推理能力大幅提升"
    damaged = title.replace("推理", "推\ufffd\ufffd")
    page = f"{title}_科技_澎湃新闻-The Paper"
    assert restored(damaged, [page]).text == title
    # at the end of the title, the page title's separator is where the copy must end too
    end = title[:-1] + "\ufffd"
    assert restored(end, [page]).text == title
    assert restored(end, [title + "了"]).text == title[:-1]  # no boundary after it in the copy


def test_a_torn_span_left_unrepaired_is_restored_from_the_copy():
    """A span the tear repair left ``unrepaired`` (kept as it was) is damage too."""
    text = "研究团队表示，这项技术已经在三家医院完成了临?前验证，下一步将扩大样本规模。"
    res = RepairResult(text, kept=[RepairEvent("unrepaired", text.index("?"), "?", "?", "model")])
    res.add("unrepaired", 1)
    restore(res, PageCopies([CLEAN], repair_text), text)
    assert res.text == CLEAN and res.repairs == {"page_copy": 1}
    assert [(e.rule, e.before, e.after, e.by) for e in res.log] == [("page_copy", "?", "床", "page")]


def test_events_after_the_span_move_with_it():
    text = LOST + "æ¾Žæ¹ƒ"  # mojibake repaired by its bytes after the restored span
    res = restored(text, [CLEAN + "澎湃"])
    assert res.text == CLEAN + "澎湃"
    for e in res.log:
        assert res.text[e.offset : e.offset + len(e.after)] == e.after, e


# ------------------------------------------------------------------ through the whole chain
def _page(title_h1: str, paras: list[str], *, og_title: str = "", description: str = "") -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    metas = (f'<meta property="og:title" content="{escape(og_title)}">' if og_title else "") + (
        f'<meta name="description" content="{escape(description)}">' if description else ""
    )
    return (
        f"<html><head><title>站点</title>{metas}</head><body><div class='main'><h1>{escape(title_h1)}</h1>"
        f"<div>2025-03-01 09:15</div><div class='content'>{body}</div></div></body></html>"
    ).encode()


TITLE = "国产大模型开源新版本推理能力大幅提升"
BODY = [CLEAN, "业内人士认为，该领域的竞争正在从实验室走向生产线，资本和人才都在向头部企业集中，监管也在加快。"]


@pytest.mark.parametrize(
    "h1, og, description, want_title, want_body, n",
    [
        (TITLE.replace("推理", "推\ufffd"), TITLE, "", TITLE, BODY, 1),  # h1 restored from og:title
        (TITLE, "", LOST, TITLE, BODY, 0),  # the description is damaged, the body is not: nothing
        (TITLE.replace("推理", "推\ufffd"), TITLE.replace("推理", "推\ufffd"), "", TITLE.replace("理", ""), BODY, 0),
        (TITLE, TITLE, "", TITLE, BODY, 0),  # a clean page: no change, no log
    ],
)
def test_fields_of_a_page_are_restored_from_its_own_copies(h1, og, description, want_title, want_body, n):
    rec = clean_document(_page(h1, BODY, og_title=og, description=description))
    assert rec.title == want_title and rec.paragraphs == want_body
    entries = [e for e in rec.repair_log if e["rule"] == "page_copy"]
    assert len(entries) == n
    for e in entries:
        assert e["by"] == "page" and e["field"] == "title" and rec.title[e["offset"] :].startswith(e["after"])
    if n == 0 and "\ufffd" not in h1 + description:
        assert rec.repair_log == [] and not rec.repairs


def test_a_lead_paragraph_is_restored_from_the_description():
    rec = clean_document(_page(TITLE, [LOST, BODY[1]], description=CLEAN))
    assert rec.paragraphs == BODY
    (entry,) = rec.repair_log
    assert entry["rule"] == "page_copy" and entry["by"] == "page" and entry["field"] == "body"
    assert "\n".join(rec.paragraphs)[entry["offset"]] == "床"


# ------------------------------------------------------------------ property: nothing invented
@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(REAL), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=3)),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_restored_text_never_holds_a_han_character_the_page_did_not_have(lines, cuts, with_copy):
    """Characters lost (each leaving a U+FFFD) anywhere in real text: with the whole text as the
    page's other copy, only its own characters come back, each in its place; with no other copy,
    U+FFFD never becomes Han (the span is dropped)."""
    original = "\n".join(lines)
    text = original
    for pos, n in sorted(cuts, reverse=True):
        pos %= len(text) + 1
        text = text[:pos] + "\ufffd" * n + text[pos + n :]
    res = restored(text, [original] if with_copy else [])
    have = {}
    for ch in HAN.findall(original if with_copy else text):
        have[ch] = have.get(ch, 0) + 1
    for ch in HAN.findall(res.text):
        have[ch] = have.get(ch, 0) - 1
        assert have[ch] >= 0, (ch, text, res.text)
    assert "\ufffd" not in res.text
    for e in res.log:
        if e.rule == "page_copy":
            assert e.by == "page" and res.text[e.offset : e.offset + len(e.after)] == e.after
    if not with_copy:
        assert "page_copy" not in res.repairs


def test_the_list_items_title_is_a_copy_too():
    """The list API item the page was reached from states its title (``name``)."""
    damaged = TITLE.replace("推理", "推\ufffd")
    assert clean_document(_page(damaged, BODY)).title == TITLE.replace("理", "")
    rec = clean_document(_page(damaged, BODY), list_item={"contId": 31000001, "name": TITLE})
    assert rec.title == TITLE
    assert [(e["rule"], e["by"], e["field"]) for e in rec.repair_log] == [("page_copy", "page", "title")]
    other = clean_document(
        _page(damaged, BODY), list_item={"contId": 31000001, "name": "另一篇文章的标题推测能力大幅提升"}
    )
    assert other.title == TITLE.replace("理", "")  # a list item of another text is no evidence
