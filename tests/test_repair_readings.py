"""The Viterbi search of cleaning/repair/readings.py is exact: on small lattices its best
reading scores what a plain scorer of whole strings gives the best of every enumerated path;
the document's words vouch only for other places; the work budget bounds a text's repair."""

import random

import pytest
from hypothesis import example, given, settings, strategies as st

from cleaning.repair import gbktear, readings
from cleaning.repair.readings import (
    ASCII_LOGP,
    MAX_QUOTES,
    PUNCT_PAIR_COST,
    QUOTE_COST,
    SEGMENT_COST,
    STOP_BONUS,
    WORD_BONUS,
    Budget,
    BudgetExceeded,
    CLAUSE_MARKS,
    DocumentWords,
    Lattice,
    best_reading,
)
from cleaning.repair.wordmodel import boundary_logp, char_logp, max_word_len, word_freq, word_logp


# --------------------------------------------------------------------------- a plain scorer
def _common(w: str) -> bool:
    return word_freq(w) >= readings.WORD_MIN_FREQ


def _han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def plain_score(chars: list[str], slots: list[bool], cost: float, quotes: int = 0) -> float:
    """The module doc's score of one reading, computed on the whole string at once."""
    n = len(chars)
    best = [float("-inf")] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        c = chars[j - 1]
        if _alnum(c):
            single = 0.0 if j > 1 and _alnum(chars[j - 2]) else ASCII_LOGP - SEGMENT_COST
        else:
            single = char_logp(c) - SEGMENT_COST
        best[j] = best[j - 1] + single
        for i in range(max(0, j - max_word_len()), j - 1):
            w = "".join(chars[i:j])
            if word_freq(w):
                best[j] = max(best[j], best[i] + word_logp(w) - SEGMENT_COST)
    score = best[n] - cost
    depth = min(MAX_QUOTES, quotes)
    for i, c in enumerate(chars):
        prev = chars[i - 1] if i else ""
        if c in CLAUSE_MARKS:
            if prev in CLAUSE_MARKS:
                score -= PUNCT_PAIR_COST
            if _han(prev):
                score += boundary_logp(prev, "ES")
        elif prev in CLAUSE_MARKS and _han(c):
            score += boundary_logp(c, "BS")
        if c == "“":
            depth = min(MAX_QUOTES, depth + 1)
        elif c == "”":
            if depth:
                depth -= 1
            else:
                score -= QUOTE_COST
        if not slots[i]:
            continue
        before, after = "".join(chars[max(0, i - 3) : i]), "".join(chars[i + 1 : i + 4])
        if c == "。":
            ends = before and (
                before[-1].isdigit()
                or before[-1] in "%”’）》"
                or (len(before) > 1 and (before[-2].isdigit() or _common(before[-2:])))
                or (len(before) > 2 and _common(before))
            )
            starts = after and (
                after[0] in "“‘（《"
                or (len(after) > 1 and _common(after[:2]))
                or (len(after) > 2 and _common(after[:3]))
            )
            if ends and starts:
                score += STOP_BONUS
        elif any(
            len(w) > 1 and _common(w)
            for w in (
                before[-1:] + c,
                before[-2:] + c if len(before) > 1 else "",
                c + after[:1],
                c + after[:2] if len(after) > 1 else "",
            )
        ):
            score += WORD_BONUS
    return score


# --------------------------------------------------------------------------- random lattices
#: Characters that make words with each other (规模, 模型, 大模型, 上海, 海光...), marks, a Latin letter.
POOL = list("规模化型大上海光信息中国。，“”AI")


def _lattice(rnd: random.Random, n: int):
    """A chain of ``n`` positions, each read one to three ways (some of them slots, some with
    a cost), sometimes through an epsilon edge."""
    lat = Lattice()
    source = u = lat.node((0, 0))
    for k in range(n):
        v = lat.node((k + 1, 0))
        for j in range(rnd.randint(1, 3)):
            c = rnd.choice(POOL)
            cost = rnd.choice([0.0, 0.0, 1.0, 3.0])
            slot = rnd.random() < 0.4
            if rnd.random() < 0.15:
                mid = lat.node((k, 1 + j))
                lat.edge(u, mid, None, None, cost=cost)
                lat.edge(mid, v, c, c, slot=slot)
            else:
                lat.edge(u, v, c, c, cost=cost, slot=slot)
        u = v
    return lat, source, u


def _paths(lat: Lattice, u: int, sink: int):
    if u == sink:
        yield []
        return
    for e in lat.out[u]:
        for rest in _paths(lat, e[0], sink):
            yield [e] + rest


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 6), st.integers(0, 2))
@example(86660, 5, 0)  # a state kept one character where the 。 slot after 大海 needed two (found by hypothesis)
def test_best_reading_is_the_best_path(seed, n, quotes):
    lat, source, sink = _lattice(random.Random(seed), n)
    got = best_reading(lat, source, sink, open_quotes=quotes)
    scores = []
    for path in _paths(lat, source, sink):
        chars = [e[2] for e in path if e[2] is not None]
        slots = [e[6] for e in path if e[2] is not None]
        scores.append(("".join(chars), plain_score(chars, slots, sum(e[3] for e in path), quotes)))
    best = max(s for _, s in scores)
    assert got is not None
    assert got.score == pytest.approx(best, abs=1e-6)
    assert any(t == got.text and s == pytest.approx(got.score, abs=1e-6) for t, s in scores)


@pytest.fixture(autouse=True)
def monkeypatch_states(monkeypatch):
    """No beam: every state is kept, so that the search must be exact."""
    monkeypatch.setattr(readings, "MAX_STATES", 10**6)


def test_no_path_no_reading():
    lat = Lattice()
    a, b, c = lat.node(0), lat.node(1), lat.node(2)
    lat.edge(a, b, "中", "中")
    assert best_reading(lat, a, c) is None


def test_context_is_not_in_the_text_and_positions_are_kept():
    lat = Lattice()
    a = lat.node((0, 0))
    b = lat.chain(a, "规", str, lambda k: (1 + k, 0))
    c = lat.node((2, 0))
    for ch in "模人":
        lat.edge(b, c, ch, ch, slot=True)
    got = best_reading(lat, a, c)
    assert got.text == "模" and got.slots == (0,) and got.positions == (1,)


# --------------------------------------------------------------------------- the document's words
def test_document_words_vouch_only_for_other_places():
    text = "海光信息负责人说海光信息"
    doc = DocumentWords(text, list(range(len(text))))
    assert doc.share("海光信", 0, 2) == pytest.approx(1 / len(text))  # the one at 8 vouches for 0
    assert doc.share("海光信息", 8, 11) == pytest.approx(1 / len(text))  # and the one at 0 for 8
    assert doc.share("息负责", 3, 5) == 0.0  # only here
    assert doc.share("负责人", 4, 6) == 0.0  # a dictionary word: the dictionary's business
    assert doc.share("海光", 0, 1) == 0.0  # two characters: too short to be a name of the document's
    doc_one = DocumentWords("海光信息", [0, 1, 2, 3])
    assert doc_one.share("海光信", 0, 2) == 0.0


def test_a_name_torn_in_one_window_is_read_as_written_elsewhere():
    """海光信息 (not a dictionary word) torn at the start, intact in the same run further on."""
    from bench.damage import mirror_decode, swap_a3

    text = "海光信息负责人上台致辞。海光信息展示了新产品的实测效果。"
    broken = mirror_decode(swap_a3(text.encode("gbk")))
    fixed, counts = gbktear.repair_tears(broken)
    # issue 25: read as written elsewhere, or left as it was when the model is not sure enough
    assert fixed.startswith("海光信息") or (fixed == broken and counts.get("unrepaired"))


# --------------------------------------------------------------------------- bounded work
def test_budget():
    b = Budget(10)
    b.spend(10)
    with pytest.raises(BudgetExceeded):
        b.spend(1)
    assert b.spent == 11


def test_work_per_text_is_bounded(monkeypatch):
    """Flipped bytes of the real mirror sample look like tears everywhere: the search stops
    at TEXT_WORK units of work (and the windows left are counted), instead of running on."""
    from bench.tears import flipped
    from tests.conftest import SAMPLES

    text = flipped((SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes(), 0).decode("utf-8", "replace")
    spent = []
    real = gbktear.Budget

    class Counted(real):
        def __init__(self, units):
            super().__init__(units)
            spent.append(self)

    monkeypatch.setattr(gbktear, "Budget", Counted)
    monkeypatch.setattr(gbktear, "TEXT_WORK", 5_000)
    fixed, counts = gbktear.repair_tears(text)
    assert counts.get("tear_windows_skipped", 0) > 0
    # spent at most the budget plus the one node whose work went over it
    assert spent and all(b.spent <= 5_000 + 10_000 for b in spent)
    assert len(fixed) <= len(text) + 8
