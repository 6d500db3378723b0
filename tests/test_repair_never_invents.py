"""Never invent (issue 25): clean text goes through every repair unchanged, U+FFFD never becomes
text, and every change is explained where it stands.

The clean text is real: the lines of the real thepaper.cn page of tests/data/samples (news text,
names, menus, URLs), tests/data/text/simplified_clean.txt and must_stay_unchanged.txt (Latin words
with accents, symbols, code), and the correct texts of ftfy's public test cases
(tests/data/public/PROVENANCE.md: tweets with emoji, accents, symbols in many languages)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from cleaning.repair import repair_text
from cleaning.repair.gbktear import repair_tears_explained
from cleaning.repair.leftovers import drop_replacement_runs, remove_private_use, restore_copyright
from cleaning.repair.mirror import restore_mirror_host
from cleaning.repair.mojibake import repair_mojibake_explained
from cleaning.repair.pinyin import remove_pinyin
from cleaning.repair.punct import restore_fullwidth
from tests.eval_gate import article_text, clean_lines

DATA = Path(__file__).parent / "data"
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _ftfy_clean() -> list[str]:
    out = []
    for name in ("in-the-wild", "synthetic", "negative"):
        for c in json.loads((DATA / "public" / f"ftfy_{name}.json").read_text(encoding="utf-8")):
            if c.get("expect") != "pass":
                continue
            for text in (c["fixed"], c.get("fixed-encoding", c["fixed"])):
                if "\ufffd" not in text and text not in out:
                    out.append(text)
    return out


UNCHANGED = [
    ln
    for ln in (DATA / "repair" / "must_stay_unchanged.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
]
REAL = list(
    dict.fromkeys([ln for ln in article_text().splitlines() if ln.strip()] + clean_lines() + UNCHANGED + _ftfy_clean())
)
#: Every stage of the chain that runs on any text (Traditional -> Simplified runs only on text
#: detected as converted; tests/test_unseen_repair.py checks that clean text never is).
STAGES = {
    "replacement runs": lambda t: drop_replacement_runs(t)[0],
    "mojibake": lambda t: repair_mojibake_explained(t).text,
    "tears": lambda t: repair_tears_explained(t)[0],
    "pinyin": lambda t: remove_pinyin(t)[0],
    "fullwidth": lambda t: restore_fullwidth(t)[0],
    "mirror host": lambda t: restore_mirror_host(t, None)[0],
    "private use": lambda t: remove_private_use(t)[0],
    "copyright": lambda t: restore_copyright(t)[0],
}


def test_the_corpus_is_real_and_large_enough():
    assert len(REAL) >= 300
    assert sum(1 for ln in REAL if HAN.search(ln)) >= 300  # news text
    assert any(re.search("[\U0001f300-\U0001faff]", ln) for ln in REAL)  # emoji
    assert any("é" in ln for ln in REAL) and any("http" in ln for ln in REAL)


def _untouched(res, text: str) -> bool:
    """Nothing changed, nothing logged; at most a count of runs that were left as they were
    (``unrepaired``: a Latin text that looks like mojibake, e.g. ftfy's leetspeak case), and
    for Chinese text not even that."""
    allowed = set() if HAN.search(text) else {"unrepaired"}
    return res.text == text and not res.log and set(res.repairs) <= allowed


def test_clean_text_through_the_chain_is_unchanged():
    changed = [(ln, r.text, r.repairs) for ln in REAL if not _untouched(r := repair_text(ln), ln)]
    assert not changed, changed[:5]


@pytest.mark.parametrize("stage", list(STAGES))
def test_clean_text_through_each_repair_is_unchanged(stage):
    fix = STAGES[stage]
    changed = [(ln, out) for ln in REAL if (out := fix(ln)) != ln]
    assert not changed, changed[:5]


def test_the_whole_corpus_as_one_text_is_unchanged():
    text = "\n".join(REAL)
    res = repair_text(text)
    assert res.text == text and res.log == [] and set(res.repairs) <= {"unrepaired"}


@pytest.mark.parametrize("run", ["\ufffd\ufffd", "\ufffd" * 6, "\ufffd \ufffd\ufffd"])
def test_runs_of_replacement_characters_are_dropped_and_counted(run):
    line = "这是一篇微信公众号的文章，作者写道" + run + "大家好。"
    res = repair_text(line)
    assert res.text == "这是一篇微信公众号的文章，作者写道大家好。"
    assert res.repairs == {"replacement_dropped": run.count("\ufffd")}
    assert [(e.rule, e.before, e.after) for e in res.log] == [("replacement_dropped", run, "")]


def test_a_line_of_replacement_characters_is_dropped():
    res = repair_text("第一段。\n\ufffd\ufffd\ufffd \ufffd\n第三段。")
    assert res.text == "第一段。\n\n第三段。" and res.repairs == {"replacement_dropped": 4}


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.sampled_from([ln for ln in REAL if HAN.search(ln)]), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=8)),
        min_size=1,
        max_size=5,
    ),
)
def test_random_replacement_runs_never_become_han_characters(lines, runs):
    """U+FFFD inserted anywhere in real text, alone or in runs: the repair gives no Han character
    the text did not have (it drops the U+FFFD; the rest is clean text and stays)."""
    text = "\n".join(lines)
    for pos, n in sorted(runs, reverse=True):
        pos %= len(text) + 1
        text = text[:pos] + "\ufffd" * n + text[pos:]
    out = repair_text(text).text
    have = {}
    for ch in HAN.findall(text):
        have[ch] = have.get(ch, 0) + 1
    for ch in HAN.findall(out):
        have[ch] = have.get(ch, 0) - 1
        assert have[ch] >= 0, (ch, text, out)
    assert "\ufffd" not in out


def test_every_change_is_logged_where_it_stands():
    """The log's offsets are in the text returned: each change's ``after`` is there."""
    damaged = ["æ¾Žæ¹ƒæ–°é—»è®°è€… æœ±è½©报道,今天\ufffd\ufffd天气很好!", "這輪上市所打開的,並不是一個簡單的融資窗口。"]
    for text in damaged:
        res = repair_text(text)
        assert res.log
        for e in res.log:
            assert res.text[e.offset : e.offset + len(e.after)] == e.after, (e, res.text)
            assert e.by in ("bytes", "model", "rule")


def test_a_model_choice_below_the_margin_leaves_the_text_as_it_was():
    """cp1252 dropped 8F of 发 and 83 of 布: five candidates each, and the word model's choice
    is not sure enough: the run stays, counted ``unrepaired``."""
    res = repair_text("科技公司åå¸了新模型")
    assert res.text == "科技公司åå¸了新模型"
    assert res.repairs == {"unrepaired": 2} and res.log == []  # one per character left
