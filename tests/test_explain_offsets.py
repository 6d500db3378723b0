"""The repair log's shortcuts give what the plain computations give: an event moved with
:meth:`RepairEvent.at` and its :meth:`RepairEvent.to_dict` (``dataclasses.replace`` and
``asdict``), :func:`cleaning.repair.log.shift` on edits that keep the length, and the white-space
placing of :mod:`cleaning.explain` (:func:`_kept_prefix`: every offset up to it is its own)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaning.explain import RepairLog, _kept_prefix, _ws_offset
from cleaning.extract.html import normalize_ws
from cleaning.repair.log import RepairEvent, diff_edits, shift

# the characters white-space normalisation treats apart, and some it leaves
_CHARS = " \t\n\u3000\u00a0\u200b\ufeff\u00ad\x01\x85\u2028，。）》」abc中文x"
texts = st.text(alphabet=_CHARS, max_size=30)


def _asdict(e: RepairEvent, **extra: object) -> dict[str, object]:
    d = {k: v for k, v in dataclasses.asdict(e).items() if v is not None}
    if e.margin is not None:
        d["margin"] = round(e.margin, 2)
    d.update(extra)
    return d


@given(texts)
@settings(max_examples=400, deadline=None)
def test_kept_prefix_places_like_normalize_ws(raw: str) -> None:
    k = _kept_prefix(raw)
    for offset in range(len(raw) + 1):  # the prefixes kept are those up to k (none changed below it)
        assert (normalize_ws(raw[:offset] + "x") == raw[:offset] + "x") == (offset <= k), (raw, offset, k)
    for offset in range(-2, k + 1):
        assert _ws_offset(raw, offset) == max(0, offset)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), max_size=8), texts)
@settings(max_examples=200, deadline=None)
def test_entries_match_the_plain_placing(spots: list[tuple[int, int]], para: str) -> None:
    events = [RepairEvent("t2s", off, "這" * n, "这" * n, "rule", 0.5 if n == 2 else None) for off, n in spots]
    log = RepairLog()
    log.body_paragraph(0, events, para)
    log.field("summary", events, para)
    kept = [normalize_ws(para)]
    got = log.entries(kept, kept, "")
    want = [_asdict(e, field="body", offset=_ws_offset(para, e.offset)) for e in events]
    want += [_asdict(e, field="summary", offset=_ws_offset(para, e.offset)) for e in events]
    want.sort(key=lambda d: (d["field"] != "title", d["field"] != "body", d["field"], d["offset"]))
    assert got == want
    assert [list(d) for d in got] == [list(d) for d in want]


def test_at_and_to_dict_are_replace_and_asdict() -> None:
    for e in (RepairEvent("mojibake", 3, "Ã©", "é", "model", 1.23456), RepairEvent("t2s", 0, "這", "这")):
        moved = e.at(7)
        assert moved == dataclasses.replace(e, offset=7) and e.offset in (3, 0)
        assert hash(moved) == hash(dataclasses.replace(e, offset=7))
        for x in (e, moved):
            assert x.to_dict() == _asdict(x) and list(x.to_dict()) == list(_asdict(x))
            assert list(x.to_dict(field="body", offset=1)) == list(_asdict(x, field="body", offset=1))


def test_shift_of_same_length_edits_moves_nothing() -> None:
    events = [RepairEvent("pinyin", 4, "ab", ""), RepairEvent("t2s", 9, "這", "这")]
    edits = diff_edits("這是一個測試文本這是", "这是一个测试文本这是")
    assert shift(events, edits) == events
    grown = shift(events, [(2, "", "xy")])
    assert [e.offset for e in grown] == [6, 11]
    assert grown == [dataclasses.replace(e, offset=e.offset + 2) for e in events]


def _plain_diff_edits(before: str, after: str) -> list[tuple[int, str, str]]:
    """diff_edits as it was written first: character loops, difflib's opcodes."""
    import difflib

    if before == after:
        return []
    if len(before) == len(after):
        out, i, n = [], 0, len(before)
        while i < n:
            if before[i] == after[i]:
                i += 1
                continue
            j = i
            while j < n and before[j] != after[j]:
                j += 1
            out.append((i, before[i:j], after[i:j]))
            i = j
        return out
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    a, b = before[head : len(before) - tail], after[head : len(after) - tail]
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(head + j1, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


small = st.text(alphabet="ab這这\ufffd(x) ", max_size=24)


@given(small, small)
@settings(max_examples=500, deadline=None)
def test_diff_edits_as_written_first(before: str, after: str) -> None:
    assert diff_edits(before, after) == _plain_diff_edits(before, after)
    same_length = "".join(c if i % 3 else after[i % len(after)] if after else c for i, c in enumerate(before))
    assert diff_edits(before, same_length) == _plain_diff_edits(before, same_length)
    dropped = before.replace("\ufffd", "").replace("x", "")
    assert diff_edits(before, dropped) == _plain_diff_edits(before, dropped)


lines = st.text(alphabet=_CHARS.replace("\n", ""), max_size=20)


@given(st.lists(st.integers(0, 50), max_size=10), st.lists(lines, min_size=1, max_size=4), st.data())
@settings(max_examples=200, deadline=None)
def test_joined_body_entries_match_the_plain_placing(spots: list[int], paras: list[str], data) -> None:
    joined = "\n".join(paras)
    events = [RepairEvent("pinyin", min(off, len(joined)), "(x)", "") for off in spots]
    log = RepairLog()
    log.body_joined(events, joined)
    normalized = [normalize_ws(p) for p in paras]
    kept = data.draw(st.lists(st.sampled_from(normalized), max_size=len(normalized), unique=True))
    kept = [p for p in normalized if p in kept]  # in order, some left out (stripped)
    got = log.entries(normalized, kept, "")
    # the plain computation: the line of each event, its offset placed by normalize_ws
    where, j = {}, 0
    for k, para in enumerate(kept):
        while j < len(normalized) and normalized[j] != para:
            j += 1
        if j < len(normalized):
            where[j], j = k, j + 1
    starts = [sum(len(p) + 1 for p in kept[:k]) for k in range(len(kept))]
    want = []
    for e in events:
        line = joined[: e.offset].count("\n")
        offset = e.offset - sum(len(p) + 1 for p in paras[:line])
        if line in where:
            want.append(_asdict(e, field="body", offset=starts[where[line]] + _ws_offset(paras[line], offset)))
        elif not normalized[line]:
            after = [k for i, k in where.items() if i > line]
            at = starts[min(after)] if after else sum(len(p) + 1 for p in kept) - 1 if kept else 0
            want.append(_asdict(e, field="body", offset=max(0, at)))
    want.sort(key=lambda d: (d["field"] != "title", d["field"] != "body", d["field"], d["offset"]))
    assert got == want
