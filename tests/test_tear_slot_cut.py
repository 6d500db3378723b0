"""References for the next attempt at the tear search's speed (bench/README.md "Issue 26, tear
search: where session 7's 4 % went, and what is left to cut (session 8)"): the slot cut
(``Lattice.prune_slots``) against its rule written as a loop per candidate, on random lattices
with fans wider and narrower than SLOT_KEEP and tied costs; the HMM boundary figures against the
four memory-mapped emission tables read directly (a rewrite of either must keep these answers)."""

from __future__ import annotations

import math
import random

import pytest

from cleaning import vocab
from cleaning.repair.lattice import Lattice, first_chars
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
    """The slot cut written as a loop per candidate (the rule of :meth:`Lattice.prune_slots`):
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
    lat.prune_slots(SLOT_KEEP)
    assert lat.out == expected
    # a fan wider than SLOT_KEEP was cut to it; a narrower one kept whole
    assert max(sum(1 for e in edges if e[6]) for edges in lat.out) == min(widest, SLOT_KEEP)
