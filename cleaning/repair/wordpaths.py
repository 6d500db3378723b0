"""The words spelled along a lattice's paths, and what the search states reaching each node must
keep: the word edges of :func:`readings.best_reading`'s shortest path, found once per node with
one dictionary look-up per step (see :mod:`.readings`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

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
#: A spelled path: (end node, word, edges).
Spelling = tuple[int, str, tuple[Edge, ...]]


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


class WordPath:
    """A word spelled along the lattice from a node, with what scoring it needs, computed once."""

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
        "simple",
        "base",
        "alnum",
        "first_bs",
        "last_kind",
        "last_es",
        "joined",
    )

    def __init__(self, v: int, word: str, edges: tuple[Edge, ...], dictionary: bool) -> None:
        self.v, self.word, self.edges, self.n = v, word, edges, len(word)
        cost = 0.0
        lost = swaps = 0
        slot = False
        for e in edges:
            cost += e[3]
            lost += e[4]
            swaps += e[5]
            slot = slot or e[6]
        self.cost, self.lost, self.swaps, self.slot = cost, lost, swaps, slot
        self.chars = [(c, e[6]) + char_info(c) for e in edges if (c := e[2]) is not None]
        self.joined = word
        self.alnum = self.n == 1 and char_kind(word) == "a"
        if self.n > 1:
            self.base = word_logp(word) - SEGMENT_COST - self.cost if dictionary else None
        elif self.n == 1 and not self.alnum:
            self.base = char_logp(word) - SEGMENT_COST - self.cost
        else:  # a Latin letter or digit (charged where its word starts), or no character
            self.base = -self.cost
        # No slot, quote or clause mark: the state only moves on (see best_reading).
        self.simple = self.n > 0 and not slot and all(c[2] != "m" and c[0] not in "“”" for c in self.chars)
        self.first_bs = self.last_es = 0.0
        self.last_kind = ""
        if self.n:
            self.first_bs = self.chars[0][3]
            _, _, self.last_kind, _, self.last_es = self.chars[-1]


def word_paths(lat: Lattice, u: int, out_edges: list[list[Edge]], doc: DocumentWords | None = None) -> list[WordPath]:
    """Every word (a dictionary word, a word of the document, or one character) spelled along a
    path from ``u``; a lone epsilon edge is a path of no character. The dictionary's are found
    once per lattice."""
    paths = lat.paths.get(u)
    if paths is None:
        paths = lat.paths[u] = [WordPath(v, w, edges, True) for v, w, edges in _spell(u, out_edges)]
    if doc is None or not doc.where:
        return paths
    return paths + [WordPath(v, w, edges, False) for v, w, edges in _spell_doc(u, out_edges, doc)]


def _spell(u: int, out_edges: list[list[Edge]]) -> list[Spelling]:
    """``(end node, word, edges)`` of the paths from ``u`` that spell one character or a
    dictionary word (one look-up per step says word and prefix: :func:`wordmodel.lookup`)."""
    out: list[Spelling] = []
    limit = max_word_len()
    stack: list[Spelling] = [(u, "", ())]
    while stack:
        node, prefix, edges = stack.pop()
        for e in out_edges[node]:
            s = e[2]
            path = edges + (e,)
            if s is None:
                if prefix:
                    stack.append((e[0], prefix, path))
                else:
                    out.append((e[0], "", path))
                continue
            w = prefix + s
            code = lookup(w)
            if not prefix or code > 1:
                out.append((e[0], w, path))
            if code & 1 and len(w) < limit:
                stack.append((e[0], w, path))
    return out


def _spell_doc(u: int, out_edges: list[list[Edge]], doc: DocumentWords) -> list[Spelling]:
    """The paths from ``u`` through a slot that spell a word of ``doc`` that is not a
    dictionary word."""
    out: list[Spelling] = []
    stack: list[tuple[int, str, tuple[Edge, ...], bool]] = [(u, "", (), False)]
    while stack:
        node, prefix, edges, slot = stack.pop()
        for e in out_edges[node]:
            s = e[2]
            path = edges + (e,)
            if s is None:
                stack.append((e[0], prefix, path, slot))
                continue
            w = prefix + s
            through = slot or e[6]
            if len(w) > 1 and through and w in doc.where and not word_freq(w):
                out.append((e[0], w, path))
            if w in doc.prefixes:
                stack.append((e[0], w, path, through))
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
