"""The best reading of a lattice of candidate characters, under a word model (Viterbi).

A :class:`Lattice` is a small DAG whose edges each carry one character (or none: an
epsilon edge), with the cost of the choice it stands for; a path from source to sink is
one reading of a damaged span. :func:`best_reading` finds the reading with the highest

    Σ words (log P(word) − SEGMENT_COST)      best segmentation into dictionary words
    − Σ costs of the edges taken              (lost bytes, swaps: the caller's prices)
    − 6 per pair of adjacent clause marks     (``。，``, which good text does not have)
    + log P(ends a word | character before a clause mark) + log P(starts one | after it)
    − 4 per closing quote without an opening one
    + WORD_BONUS per *slot* character (one chosen for a lost byte) that makes a common word
      (frequency ≥ WORD_MIN_FREQ) of two or three characters with its neighbours, and
      STOP_BONUS per slot ``。`` between a word (or a number) that ends and one that starts

over the Simplified form of the characters (the edges carry both forms), with the words of
:mod:`cleaning.repair.wordmodel` and, when given, of the document (:class:`DocumentWords`:
a word the document has at another place vouches for the slot characters it holds). A
Latin word or a number is one segment whatever its length (ASCII_LOGP).

The search is a shortest path over (node, state): the word edges are the words spelled
along the lattice's paths, found once per node with one dictionary look-up per step, so
that the characters of a slot are each scored once per node instead of once per enumerated
reading. A state is what later scores depend on: the kind of the last character (and its
end-of-word probability if a clause mark may follow), the last characters only when a slot
is near, the bonus checks still waiting for characters (resolved against the characters the
lattice can read next, so that candidates whose checks fire alike make one state), open
quotes. At most MAX_STATES states, the best, are kept per node.

Work is counted (one unit per word edge tried from a state): :class:`Budget` bounds it.
The word edges and what each node keeps are in :mod:`.wordpaths`; the states and the score
characters add to them in :mod:`.readstate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from .lattice import Budget, BudgetExceeded, DocumentWords, Edge, Lattice  # noqa: F401 - BudgetExceeded: re-exported
from .params import MAX_QUOTES, MAX_STATES, STOP_BONUS, WORD_BONUS  # noqa: F401 - STOP_BONUS, WORD_BONUS: re-exported
from .readstate import WORD_MIN_FREQ, State, advance  # noqa: F401 - WORD_MIN_FREQ: re-exported
from .wordmodel import (  # noqa: F401 - the word model's figures, re-exported
    ASCII_LOGP,
    CLAUSE_MARKS,
    PUNCT_PAIR_COST,
    QUOTE_COST,
    SEGMENT_COST,
    word_freq,
    word_logp,
)
from .wordpaths import Spec, analyse, doc_spellings, word_paths


@dataclass
class Reading:
    text: str
    score: float
    lost: int
    swaps: int
    slots: tuple[int, ...] = ()  # offsets in ``text`` of the characters read at slots
    positions: tuple[int, ...] = ()  # per character of ``text``: where it was read (its node's key[0])
    slot_edges: tuple[int, ...] = ()  # ids of the slot edges taken (for :func:`best_reading`'s ``exclude``)


#: What a Latin word or a number adds where it starts (one segment, whatever its length).
_LATIN_START = ASCII_LOGP - SEGMENT_COST


def doc_matters(lat: Lattice, source: int, sink: int, doc: DocumentWords) -> bool:
    """Whether reading ``lat`` with the words of ``doc`` can score differently: some path
    through a slot spells a word that ``doc`` has at another place. (Only a word the dictionary
    lacks can be one: :class:`DocumentWords` holds no other.)"""
    if not doc.where:
        return False
    order, out_edges, _ = analyse(lat, sink)
    keys = lat.keys
    for u in order:
        for v, w, *_ in doc_spellings(lat, u, out_edges, doc):
            if doc.share(w, keys[u][0], keys[v][0]) > 0:
                return True
    return False


def _move(states: list[State], ids: dict[State, int], spec: Spec, sid: int) -> tuple[int, float]:
    """The state (its id) that state ``sid`` moves to along a word path (:data:`wordpaths.Spec`),
    and the score the move adds besides the word itself; ``states`` and ``ids``: the lattice's
    states, numbered (a new one is added)."""
    n, simple, chars, node, first_bs, last_kind, es, keep, joined = spec
    state = states[sid]
    if not n:
        return sid, 0.0
    if simple and not state[3]:
        new: State = (last_kind, es, (state[2] + joined)[-keep:] if keep else "", (), state[4])
        delta = first_bs if state[0] == "m" else 0.0
    else:
        new, delta = advance(state, chars, node)
    nsid = ids.get(new)
    if nsid is None:
        nsid = ids[new] = len(states)
        states.append(new)
    return nsid, delta


def best_reading(
    lat: Lattice,
    source: int,
    sink: int,
    *,
    open_quotes: int = 0,
    budget: Budget | None = None,
    doc: DocumentWords | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Reading | None:
    """The highest-scoring path from ``source`` to ``sink`` (see the module doc), or None
    when there is none; ``doc``: the words of the document, as well as the dictionary's;
    ``exclude``: ids of edges no path may take (the runner-up of a slot's choice).
    Raises :class:`BudgetExceeded` when ``budget`` runs out."""
    order, out_edges, info = analyse(lat, sink)
    if not order or order[0] != source:
        return None
    keys = lat.keys
    start: State = ("", 0.0, "", (), min(MAX_QUOTES, open_quotes))
    ids, states_of = lat.state_ids, lat.states
    first = ids.get(start)
    if first is None:
        first = ids[start] = len(states_of)
        states_of.append(start)
    # node -> {state id: (score, lost, swaps, node before, its state id, path from it)}
    table: dict[int, dict[int, tuple[float, int, int, int, int, tuple[Edge, ...]]]] = {
        source: {first: (0.0, 0, 0, -1, -1, ())}
    }
    for u in order:
        states = table.get(u)
        if not states:
            continue
        if len(states) > MAX_STATES:
            # A beam over the states of one node: those far behind cannot catch up.
            kept = sorted(states.items(), key=lambda kv: kv[1][0], reverse=True)[:MAX_STATES]
            states = table[u] = dict(kept)
        paths, n_paths = word_paths(lat, u, out_edges, info, doc)
        if budget is not None:
            budget.spend(n_paths * len(states))
        entries = states.items()  # not changed while u's paths are read (they end after u)
        for v, base, moves, p_lost, p_swaps, p_edges, slot_ids, alnum, spec in paths:
            if exclude and slot_ids is not None and not exclude.isdisjoint(slot_ids):
                continue
            target = table.get(v)
            if target is None:
                target = table[v] = {}
            for sid, (score, s_lost, s_swaps, _, _, _) in entries:
                moved = moves.get(sid)
                if moved is None:
                    moved = moves[sid] = _move(states_of, ids, spec, sid)
                nsid, delta = moved
                if alnum:
                    total = score + base
                    if states_of[sid][0] != "a":
                        total += _LATIN_START  # a Latin word or a number starts: one segment
                    total += delta
                else:
                    total = score + base + delta
                old = target.get(nsid)
                if old is None or total > old[0]:
                    target[nsid] = (total, s_lost + p_lost, s_swaps + p_swaps, u, sid, p_edges)
    final = table.get(sink)
    if not final:
        return None
    score, lost, swaps, u, sid, edges = max(final.values(), key=lambda entry: entry[0])
    taken: list[tuple[int, Edge]] = []  # (source node, edge)
    while u >= 0:
        node = u
        path: list[tuple[int, Edge]] = []
        for e in edges:
            path.append((node, e))
            node = e[0]
        taken.extend((x, e) for x, e in reversed(path) if e[1] is not None and not e[7])
        u, sid, edges = table[u][sid][3:]
    taken.reverse()
    # cast: ``taken`` holds only edges that read a character (the extend above)
    return Reading(
        "".join(cast(str, e[1]) for _, e in taken),
        score,
        lost,
        swaps,
        tuple(k for k, (_, e) in enumerate(taken) if e[6]),
        tuple(keys[x][0] for x, _ in taken),
        tuple(id(e) for _, e in taken if e[6]),
    )
