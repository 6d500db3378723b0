"""The words spelled along a lattice's paths, and what the search states reaching each node must
keep: the word edges of :func:`readings.best_reading`'s shortest path, found once per node with
one dictionary look-up per step (see :mod:`.readings`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from .lattice import DocumentWords, Edge, Lattice, first_chars
from .params import MAX_AHEAD
from .wordmodel import (
    CLAUSE_MARKS,
    SEGMENT_COST,
    boundary_logp,
    char_logp,
    lookup,
    max_word_len,
    word_freq,
    word_logp,
)

#: One character of a path: (character, slot, kind, log P(begins a word), log P(ends a word)).
CharInfo = tuple[str, bool, str, float, float]
#: A spelled path: (end node, word, edges, what it adds up: :data:`Totals`).
Spelling = tuple[int, str, tuple[Edge, ...], "Totals"]


def char_kind(ch: str) -> str:
    """The class of a character the score looks at: clause mark, Latin letter or digit, Han, other."""
    if ch in CLAUSE_MARKS:
        return "m"
    if ch.isascii() and ch.isalnum():
        return "a"
    if "\u4e00" <= ch <= "\u9fff":
        return "c"
    return "o"


@lru_cache(maxsize=65536)
def char_info(c: str) -> tuple[str, float, float]:
    """(kind, log P(begins a word), log P(ends a word)) of a character (the latter two 0 but
    for Han characters)."""
    k = char_kind(c)
    if k != "c":
        return k, 0.0, 0.0
    return k, boundary_logp(c, "BS"), boundary_logp(c, "ES")


#: What a path adds up along its edges (:func:`_spell`): (cost, lost bytes, swaps, slot, chars).
Totals = tuple[float, int, int, bool, tuple[CharInfo, ...]]
_NONE: Totals = (0.0, 0, 0, False, ())


def _plus(totals: Totals, e: Edge) -> Totals:
    """``totals`` with the edge ``e`` read after them (its cost added last, as a sum from the left)."""
    cost, lost, swaps, slot, chars = totals
    c = e[2]
    if c is not None:
        chars = chars + ((c, e[6]) + char_info(c),)
    return cost + e[3], lost + e[4], swaps + e[5], slot or e[6], chars


class WordPath:
    """A word spelled along the lattice from a node, with what scoring it needs, computed once;
    ``after``: the search's :func:`readstate.advance` of each state along this path (the same
    every time the lattice is searched again: the runner-up readings, the second pass)."""

    __slots__ = (
        "v",
        "word",
        "edges",
        "n",
        "cost",
        "lost",
        "swaps",
        "chars",
        "slot",
        "slot_ids",
        "simple",
        "base",
        "alnum",
        "first_bs",
        "last_kind",
        "last_es",
        "joined",
        "after",
    )

    def __init__(self, v: int, word: str, edges: tuple[Edge, ...], totals: Totals, dictionary: bool) -> None:
        self.v, self.word, self.edges, self.n = v, word, edges, len(word)
        self.cost, self.lost, self.swaps, slot, chars = totals
        self.slot, self.chars = slot, chars
        # ids of the slot edges taken (best_reading's ``exclude`` names slot edges only)
        self.slot_ids = frozenset(id(e) for e in edges if e[6]) if slot else frozenset()
        # Any: readstate.State (readstate imports this module, not the reverse)
        self.after: dict[Any, tuple[Any, float]] = {}
        self.joined = word
        self.alnum = self.n == 1 and char_kind(word) == "a"
        if self.n > 1:
            self.base = word_logp(word) - SEGMENT_COST - self.cost if dictionary else None
        elif self.n == 1 and not self.alnum:
            self.base = char_logp(word) - SEGMENT_COST - self.cost
        else:  # a Latin letter or digit (charged where its word starts), or no character
            self.base = -self.cost
        # No slot, quote or clause mark: the state only moves on (see best_reading).
        self.simple = self.n > 0 and not slot and all(c[2] != "m" and c[0] not in "“”" for c in chars)
        self.first_bs = self.last_es = 0.0
        self.last_kind = ""
        if self.n:
            self.first_bs = chars[0][3]
            _, _, self.last_kind, _, self.last_es = chars[-1]


def word_paths(lat: Lattice, u: int, out_edges: list[list[Edge]], doc: DocumentWords | None = None) -> list[WordPath]:
    """Every word (a dictionary word, a word of the document, or one character) spelled along a
    path from ``u``; a lone epsilon edge is a path of no character. The dictionary's are found
    once per lattice, the document's once per lattice and document."""
    paths = lat.paths.get(u)
    if paths is None:
        paths = lat.paths[u] = [WordPath(v, w, edges, totals, True) for v, w, edges, totals in _spell(u, out_edges)]
    if doc is None or not doc.where:
        return paths
    if lat.doc_paths[0] is not doc:
        lat.doc_paths = (doc, {})
    both = lat.doc_paths[1].get(u)
    if both is None:
        both = lat.doc_paths[1][u] = paths + [
            WordPath(v, w, edges, totals, False) for v, w, edges, totals in _spell_doc(u, out_edges, doc)
        ]
    return both


def _spell(u: int, out_edges: list[list[Edge]]) -> list[Spelling]:
    """``(end node, word, edges, totals)`` of the paths from ``u`` that spell one character or a
    dictionary word (one look-up per step says word and prefix: :func:`wordmodel.lookup`)."""
    out: list[Spelling] = []
    limit = max_word_len()
    stack: list[Spelling] = [(u, "", (), _NONE)]
    while stack:
        node, prefix, edges, totals = stack.pop()
        for e in out_edges[node]:
            s = e[2]
            if s is None:
                if prefix:
                    stack.append((e[0], prefix, edges + (e,), _plus(totals, e)))
                else:
                    out.append((e[0], "", edges + (e,), _plus(totals, e)))
                continue
            w = prefix + s
            code = lookup(w)
            spelled = not prefix or code > 1
            longer = code & 1 and len(w) < limit
            if spelled or longer:
                item = (e[0], w, edges + (e,), _plus(totals, e))
                if spelled:
                    out.append(item)
                if longer:
                    stack.append(item)
    return out


def _spell_doc(u: int, out_edges: list[list[Edge]], doc: DocumentWords) -> list[Spelling]:
    """The paths from ``u`` through a slot that spell a word of ``doc`` that is not a
    dictionary word."""
    out: list[Spelling] = []
    stack: list[tuple[int, str, tuple[Edge, ...], Totals]] = [(u, "", (), _NONE)]
    while stack:
        node, prefix, edges, totals = stack.pop()
        for e in out_edges[node]:
            s = e[2]
            if s is None:
                stack.append((e[0], prefix, edges + (e,), _plus(totals, e)))
                continue
            w = prefix + s
            through = totals[3] or e[6]
            if len(w) > 1 and through and w in doc.where and not word_freq(w):
                out.append((e[0], w, edges + (e,), _plus(totals, e)))
            if w in doc.prefixes:
                stack.append((e[0], w, edges + (e,), _plus(totals, e)))
    return out


def analyse(lat: Lattice, sink: int) -> tuple[list[int], list[list[Edge]], list[NodeInfo]]:
    """The nodes on a path to ``sink``, in order; per node its edges to such nodes; per node
    what the states reaching it must keep (:func:`node_info`). Once per lattice (one sink)."""
    if lat.analysis is None:
        order = sorted(range(len(lat.out)), key=lat.keys.__getitem__)
        live = [False] * len(lat.out)
        live[sink] = True
        for u in reversed(order):
            if not live[u]:
                live[u] = any(live[e[0]] for e in lat.out[u])
        out_edges = [[e for e in edges if live[e[0]]] for edges in lat.out]
        order = [u for u in order if live[u]]
        lat.analysis = (order, out_edges, node_info(order, out_edges))
    return lat.analysis


class NodeInfo:
    """What the states reaching a node must keep: whether a clause mark may be read next
    (``mark``), how many of the last characters the next slots' checks read (``keep``: 3 less
    the distance to the nearest slot), and, found when first asked, the next two characters
    the lattice can read (``ahead``: the set of first ones and the set of pairs; None when there
    are too many)."""

    __slots__ = ("mark", "keep", "_out", "_v", "_ahead")
    _UNSET = object()

    def __init__(self, mark: bool, keep: int, out_edges: list[list[Edge]], v: int) -> None:
        self.mark, self.keep, self._out, self._v, self._ahead = mark, keep, out_edges, v, self._UNSET

    @property
    def ahead(self) -> tuple[frozenset[str], frozenset[str]] | None:
        if self._ahead is self._UNSET:
            firsts: set[str] = set()
            pairs: set[str] = set()
            stack = [self._v]
            while stack and self._ahead is self._UNSET:
                for e in self._out[stack.pop()]:
                    if e[2] is None:
                        stack.append(e[0])
                        continue
                    firsts.add(e[2])
                    after = first_chars(self._out, e[0])
                    if after is None or len(pairs) > MAX_AHEAD:
                        self._ahead = None
                        break
                    pairs.update(e[2] + t for t in after)
            if self._ahead is self._UNSET:
                self._ahead = (frozenset(firsts), frozenset(pairs))
        return cast("tuple[frozenset[str], frozenset[str]] | None", self._ahead)  # cast: set above, not _UNSET


def node_info(order: list[int], out_edges: list[list[Edge]]) -> list[NodeInfo]:
    """Per node its :class:`NodeInfo`."""
    n = len(out_edges)
    dist = [3] * n
    mark = [False] * n
    for u in reversed(order):
        for e in out_edges[u]:
            v, s = e[0], e[2]
            d = 0 if e[6] else dist[v] + (s is not None)
            if d < dist[u]:
                dist[u] = d
            mark[u] = mark[u] or (mark[v] if s is None else s in CLAUSE_MARKS)
    return [NodeInfo(mark[u], max(0, 3 - dist[u]), out_edges, u) for u in range(n)]
