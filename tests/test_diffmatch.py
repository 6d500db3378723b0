"""cleaning.repair.diffmatch gives difflib's opcodes, on texts where its proofs apply (one text is
the other with characters deleted) and where they do not, with few letters (ties, repeats, common
substrings through the deletions: the cases where difflib's choice is not the deletions)."""

import difflib
import random

import pytest
from hypothesis import example, given, settings, strategies as st

from cleaning.repair import diffmatch
from cleaning.repair.log import diff_edits


def difflib_opcodes(a: str, b: str):
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def deleted(text: str, keep: list[bool]) -> str:
    return "".join(c for c, k in zip(text, keep) if k)


@settings(max_examples=400, deadline=None)
@given(st.data(), st.text(alphabet="ab?", min_size=0, max_size=80))
@example(data=None, a="aPaa")  # difflib deletes "aP" and inserts "a", not the P alone
def test_deletions_from_few_letters(data, a):
    keep = (
        [True, False, True, True]
        if data is None
        else data.draw(st.lists(st.booleans(), min_size=len(a), max_size=len(a)))
    )
    b = deleted(a, keep)
    assert diffmatch.opcodes(a, b) == difflib_opcodes(a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="中文的是\ufffd(zhō)", min_size=0, max_size=200), st.randoms(use_true_random=False))
def test_deletions_of_marks_and_annotations(a, rnd):
    b = "".join(c for c in a if c not in "\ufffd(zhō)" or rnd.random() < 0.3)
    assert diffmatch.opcodes(a, b) == difflib_opcodes(a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc", max_size=40), st.text(alphabet="abc", max_size=40))
def test_any_two_texts(a, b):
    assert diffmatch.opcodes(a, b) == difflib_opcodes(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_long_texts_with_repeats(seed):
    """Sentences repeated (a mirror copies its text), characters dropped one by one and in runs."""
    rnd = random.Random(seed)
    sentences = [
        "模型公司获得持续投入能力，",
        "上游获得长期订单预期。",
        "下游获得更可控的技术伙伴（AI）；",
        "的(de)是(shì)",
    ]
    a = "".join(rnd.choice(sentences) + ("\ufffd" if rnd.random() < 0.3 else "") for _ in range(300))
    b = "".join(c for c in a if not (c in "\ufffd(de)" and rnd.random() < 0.9) and rnd.random() > 0.002)
    assert diffmatch.opcodes(a, b) == difflib_opcodes(a, b)
    plan = diffmatch._Plan.of(a, b)
    assert plan is not None and len(plan.pieces) > 100  # the proofs were tried, not skipped


def test_the_plan_answers_most_searches_on_a_long_deletion(monkeypatch):
    """Not a fallback in disguise: on U+FFFD dropped from long text the plan answers."""
    rnd = random.Random(1)
    a = "".join(
        rnd.choice("模型公司获得持续投入能力上游长期订单预期") + ("\ufffd" if rnd.random() < 0.01 else "")
        for _ in range(5000)
    )
    b = a.replace("\ufffd", "")
    asked = []
    searched = difflib.SequenceMatcher.find_longest_match

    def counting(self, *args):
        asked.append(args)
        return searched(self, *args)

    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", counting)
    m = diffmatch._Matcher(a, b)
    assert m.get_opcodes() == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    blocks = len(m.get_matching_blocks())
    asked.clear()
    diffmatch.opcodes(a, b)
    assert blocks > 40 and len(asked) < blocks * 0.1


def test_diff_edits_uses_it_and_reads_the_same():
    before = "规模化\ufffd探索期，的(de)海光信息\ufffd\ufffd。" * 40
    after = before.replace("\ufffd", "").replace("(de)", "")
    edits = diff_edits(before, after)
    assert edits and all(new == "" for _, _, new in edits)
    assert "".join(old for _, old, _ in edits).count("\ufffd") == before.count("\ufffd")


@settings(max_examples=300, deadline=None)
@given(st.text("ab中文c", max_size=30), st.text("ab中文c", max_size=30), st.data())
def test_the_search_without_an_index_is_difflibs(a, b, data):
    """The search asked where the plan proves nothing (``str.find`` in the range instead of
    difflib's index of ``b``) answers as difflib's ``find_longest_match``, on any ranges."""
    alo = data.draw(st.integers(0, len(a)))
    ahi = data.draw(st.integers(alo, len(a)))
    blo = data.draw(st.integers(0, len(b)))
    bhi = data.draw(st.integers(blo, len(b)))
    want = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(alo, ahi, blo, bhi)
    assert diffmatch._difflib_longest(a, b, alo, ahi, blo, bhi) == tuple(want)
