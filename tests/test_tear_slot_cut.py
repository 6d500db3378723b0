"""References for the next attempt at the tear search's speed (bench/README.md "Issue 26, tear
search: where session 7's 4 % went, and what is left to cut (session 8)"): the slot cut made on
edges already made (:func:`prune_slots`, the lattice code's until session 9) against its rule
written as a loop per candidate, and ``Lattice.cut_fans`` against it, on random lattices
with fans wider and narrower than SLOT_KEEP and tied costs; the HMM boundary figures against the
four memory-mapped emission tables read directly (a rewrite of either must keep these answers)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from cleaning import vocab
from cleaning.repair.lattice import _ALONE, Edge, Lattice, first_chars
from cleaning.repair.params import HMM_FLOOR_LOGP, SLOT_KEEP, WORD_BONUS
from cleaning.repair.tearwindow import slot_tables
from cleaning.repair.wordmodel import boundary_logp, char_logp, following


@pytest.mark.parametrize("ch", ["的", "是", "腜", "鬱", "A", "。", "\ue000"])
def test_boundary_figures_are_those_of_the_emission_tables(ch):
    def direct(states):
        vals = {k: math.exp(vocab.table(f"hmm_{k}").get(ch, HMM_FLOOR_LOGP)) for k in vocab.HMM_STATES}
        total = sum(vals.values())
        return 0.0 if total <= 0 else math.log(sum(vals[k] for k in states) / total)

    for states in ("BS", "ES", "B", "MES"):
        assert boundary_logp(ch, states) == direct(states)
    assert boundary_logp(ch, "BMES") == 0.0  # every state: certain
    if not any(vocab.table(f"hmm_{k}").id(ch) is not None for k in vocab.HMM_STATES):
        # a character none of the tables holds: the floor in every state, two of four states
        assert boundary_logp(ch, "BS") == pytest.approx(math.log(0.5))
    else:
        assert boundary_logp(ch, "BS") != pytest.approx(math.log(0.5))


def prune_slots(lat: Lattice, keep: int, sources: Sequence[int] | None = None) -> None:
    """The slot cut made on edges already made (the lattice code's until session 9, when
    :meth:`Lattice.cut_fans` came to make only the edges it keeps; this is its reference): keep, of
    each group of slot edges between two nodes, the ``keep`` most plausible alone: the
    character's own probability, plus WORD_BONUS for each side on which it can make a common word
    with the characters next to it in the lattice. ``sources``: the nodes that have slot edges, in increasing order (None: look at all)."""
    before = lat.chars_before()
    out = lat.out
    for u in range(len(out)) if sources is None else sources:
        edges = out[u]
        fans: dict[int, list[Edge]] = {}
        for e in edges:
            if e[6]:
                fans.setdefault(e[0], []).append(e)
        if not any(len(f) > keep for f in fans.values()):
            continue
        drop: set[int] = set()
        # what ends a word begun just before
        ends = frozenset().union(*(following(x)[0] for x in before[u]))
        for v, fan in fans.items():
            if len(fan) <= keep:
                continue
            after = first_chars(out, v) or set()
            # how plausible each candidate is alone (sorted as by this figure, stably)
            scores = []
            for e in fan:
                c = e[2]
                known = _ALONE.get(c)
                if known is None:
                    known = _ALONE[c] = (char_logp(c), following(c)[0])
                score = known[0] - e[3]
                if c in ends:
                    score += WORD_BONUS
                if not known[1].isdisjoint(after):
                    score += WORD_BONUS
                scores.append(score)
            ranked = sorted(range(len(fan)), key=scores.__getitem__, reverse=True)
            drop.update(id(fan[k]) for k in ranked[keep:])
        out[u] = [e for e in edges if id(e) not in drop]


def _alone(ch: str, cost: float, ends: frozenset[str], after: set[str]) -> float:
    """A candidate's figure: its own log P less its cost, a bonus for the word it ends, another
    for the word it starts."""
    bonus_end = WORD_BONUS if ch in ends else None
    bonus_start = WORD_BONUS if following(ch)[0] & after else None
    figure = char_logp(ch) - cost
    for bonus in (bonus_end, bonus_start):  # in this order: the same sums
        if bonus is not None:
            figure += bonus
    return figure


def _prune_one_by_one(lat: Lattice, keep: int) -> list[list]:
    """The slot cut written as a loop per candidate (the rule of :func:`prune_slots`):
    per pair of nodes, the ``keep`` slot edges of the highest figures, the first among equals."""
    seen_before: dict[int, set[str]] = {u: set() for u in range(len(lat.out))}
    for u in lat.ordered():
        for edge in lat.out[u]:
            seen_before[edge[0]] |= seen_before[u] if edge[2] is None else {edge[2]}
    result = [list(edges) for edges in lat.out]
    for u, edges in enumerate(lat.out):
        groups: dict[int, list[int]] = {}  # target -> indices of its slot edges
        for k, edge in enumerate(edges):
            if edge[6]:
                groups.setdefault(edge[0], []).append(k)
        ends = frozenset(c for x in seen_before[u] for c in following(x)[0])
        cut: set[int] = set()
        for v, members in groups.items():
            if len(members) <= keep:
                continue
            after = first_chars(result, v) or set()  # after the cuts made so far, as the cut reads it
            figures = {k: _alone(edges[k][2], edges[k][3], ends, after) for k in members}
            best = sorted(members, key=lambda k: -figures[k])  # stable: equal figures keep their order
            cut.update(best[keep:])
        result[u] = [edge for k, edge in enumerate(edges) if k not in cut]
    return result


@pytest.mark.parametrize("seed", range(12))
def test_slot_cut_keeps_what_the_loop_per_candidate_kept(seed):
    rnd = random.Random(seed)
    by_trail, _ = slot_tables()
    pool = by_trail[0xA3] + list("电脑视话我们的了是子")
    lat = Lattice()
    nodes = [lat.node((k, 0, 0)) for k in range(6)]
    for k in range(5):
        u, v = nodes[k], nodes[k + 1]
        if rnd.random() < 0.5:
            # a fan: many candidates, costs with ties (the order decides among equals)
            for ch in rnd.sample(pool, rnd.randint(SLOT_KEEP - 2, min(len(pool), SLOT_KEEP + 20))):
                lat.edge(u, v, ch, ch, cost=rnd.choice((0.0, 1.0, 2.5)), slot=True)
        else:
            lat.edge(u, v, rnd.choice("电我的"), rnd.choice("电我的"))
            if rnd.random() < 0.3:
                lat.edge(u, v, None, None)  # an epsilon edge: what was read before passes through
    expected = _prune_one_by_one(lat, SLOT_KEEP)
    widest = max(sum(1 for e in edges if e[6]) for edges in lat.out)
    prune_slots(lat, SLOT_KEEP)
    assert lat.out == expected
    # a fan wider than SLOT_KEEP was cut to it; a narrower one kept whole
    assert max(sum(1 for e in edges if e[6]) for edges in lat.out) == min(widest, SLOT_KEEP)


# ------------------------------------------------------------------ the cut made before the edges
# ``Lattice.cut_fans`` makes only the slot edges that ``prune_slots`` would keep: the reference is
# every candidate made an edge where the fan stands, then ``prune_slots(keep, sorted(fans))``.


def _expanded(out: list[list], fans: dict[int, list]) -> list[list]:
    """``out`` with every candidate of ``fans`` made an edge, at its fan's place."""
    made = [list(edges) for edges in out]
    for u, mine in fans.items():
        edges, done, new = made[u], 0, []
        for at, v, read, cost, lost, swaps in mine:
            new += edges[done:at]
            done = at
            new += [(v, ch, simple, cost + extra, lost, swaps, True, False) for ch, simple, extra in read]
        made[u] = new + edges[done:]
    return made


def _reference(lat: Lattice, fans: dict[int, list], keep: int) -> list[list]:
    ref = Lattice()
    ref.keys = list(lat.keys)
    ref.out = _expanded(lat.out, fans)
    prune_slots(ref, keep, sorted(fans))
    return ref.out


def _random_fans(seed: int, width: int = 5) -> tuple[Lattice, dict[int, list]]:
    """A chain of nodes with, between some of them, fans of candidates (several to the same
    node, costs with ties, extra costs), single characters, epsilon edges and detours."""
    rnd = random.Random(seed)
    by_trail, by_lead = slot_tables()
    lists = [by_trail[0xA3], by_lead[0xB5], by_lead[0xC4][:8], list("电脑视话我们的了是子")]
    lat = Lattice()
    nodes = [lat.node((k, 0, 0)) for k in range(width + 1)]
    fans: dict[int, list] = {}
    for k in range(width):
        u, v = nodes[k], nodes[k + 1]
        for _ in range(rnd.randint(1, 3)):
            kind = rnd.random()
            if kind < 0.5:
                cands = rnd.choice(lists)
                read = [(ch, ch, rnd.choice((0.0, 0.0, 8.0))) for ch in cands]
                target = v if rnd.random() < 0.8 else lat.node((k, 1, len(lat.keys)))
                if target != v:
                    lat.edge(target, v, None, None)  # a detour through a node inside the reading
                fans.setdefault(u, []).append((len(lat.out[u]), target, read, rnd.choice((0.0, 1.0, 2.5)), 1, 0))
            elif kind < 0.8:
                ch = rnd.choice("电我的在")
                lat.edge(u, v, ch, ch, cost=rnd.choice((0.0, 1.0)))
            else:
                lat.edge(u, v, None, None)  # what was read before passes through
    return lat, fans


@pytest.mark.parametrize("seed", range(40))
def test_cut_fans_makes_the_edges_prune_slots_keeps(seed):
    lat, fans = _random_fans(seed)
    expected = _reference(lat, fans, SLOT_KEEP)
    lat.cut_fans({u: list(f) for u, f in fans.items()}, SLOT_KEEP)
    assert lat.out == expected


@pytest.mark.parametrize("keep", [1, 4, 12, 200])
def test_cut_fans_at_every_width(keep):
    # 200: no fan is wider, every candidate is made; 1: one per pair of nodes
    for seed in range(10):
        lat, fans = _random_fans(seed, width=7)
        expected = _reference(lat, fans, keep)
        lat.cut_fans({u: list(f) for u, f in fans.items()}, keep)
        assert lat.out == expected
        slot = [sum(1 for e in edges if e[6]) for edges in lat.out]
        if keep == 200:
            assert sum(slot) == sum(len(f[2]) for mine in fans.values() for f in mine)


def test_cut_fans_reads_the_bonuses():
    # 迹 ends the word 人迹 begun just before: with the bonus it is kept, by its figure alone
    # (31st of the 48 candidates of a lost lead byte before A3) it would not be: the negative, a
    # cut without the bonus keeps another set
    lat = Lattice()
    a, b, c = (lat.node((k, 0, 0)) for k in range(3))
    lat.edge(a, b, "人", "人")
    pool = slot_tables()[0][0xA3]
    assert "迹" in pool
    fans = {b: [(0, c, [(ch, ch, 0.0) for ch in pool], 0.0, 1, 0)]}
    expected = _reference(lat, fans, SLOT_KEEP)
    lat.cut_fans({b: list(fans[b])}, SLOT_KEEP)
    assert lat.out == expected
    assert "迹" in {e[1] for e in lat.out[b]}
    assert "迹" not in sorted(pool, key=char_logp, reverse=True)[:SLOT_KEEP]


def test_cut_fans_with_more_after_than_looked_at():
    # more than MAX_AHEAD characters can follow: no bonus for starting a word (None), as prune_slots
    by_trail, by_lead = slot_tables()
    many = sorted({ch for cands in by_lead.values() for ch in cands})[:300]
    lat = Lattice()
    a, b, c = (lat.node((k, 0, 0)) for k in range(3))
    fans = {
        a: [(0, b, [(ch, ch, 0.0) for ch in by_trail[0xA3]], 0.0, 1, 0)],
        b: [(0, c, [(ch, ch, 0.0) for ch in many], 0.0, 1, 0)],
    }
    assert len(first_chars(_expanded(lat.out, fans), b) or ()) == 0  # None: too many
    assert first_chars(lat.out, b, fans) is None
    expected = _reference(lat, fans, SLOT_KEEP)
    lat.cut_fans({u: list(f) for u, f in fans.items()}, SLOT_KEEP)
    assert lat.out == expected


@pytest.mark.parametrize(
    "text",
    [
        "他說\ufffd們的電腦",  # a lost byte between two words
        "模型?訓練與推理",  # ? : a lost byte, itself, or a swapped full-width ?
        "價格\ufffd8元，漲幅\ufffd%",  # lost bytes before digits and punctuation
        "我们在这里\ufffd\ufffd学习",  # two lost bytes in a row
    ],
)
def test_window_lattices_cut_as_prune_slots_cuts_them(text, monkeypatch):
    from cleaning.repair import tearwindow

    seen: list[tuple[list[list], list[list]]] = []
    cut = Lattice.cut_fans

    def recorded(self, fans, keep):
        expected = _reference(self, fans, keep)
        cut(self, fans, keep)
        seen.append((self.out, expected))

    monkeypatch.setattr(Lattice, "cut_fans", recorded)
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + 6) + 1):
            tearwindow._window_lattice(text, start, end, text[:start][-6:], text[end:][:6])
    assert seen and any(sum(1 for es in out for e in es if e[6]) for out, _ in seen)
    for out, expected in seen:
        assert out == expected
