"""The words spelled along a lattice's paths, and what the search states reaching each node must
keep: the word edges of :func:`readings.best_reading`'s shortest path, found once per node with
one dictionary look-up per step (see :mod:`.readings`).
"""

from __future__ import annotations

import math
from functools import lru_cache

from .lattice import DocumentWords, Edge, Lattice, NodeKey, first_chars
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


#: What a state move along a word path reads (``readings._move``): (number of characters,
#: simple: no slot, quote or clause mark, so that a state without waiting checks only moves on;
#: the characters, the end node's :class:`NodeInfo`, log P(begins a word) of the first character,
#: kind and log P(ends a word) of the last (the latter 0 unless a clause mark may follow), how
#: many last characters the state keeps there, the word).
Spec = tuple[int, bool, tuple[CharInfo, ...], "NodeInfo", float, str, float, int, str]
#: One word path of a node (:func:`word_paths`), as ``readings.best_reading`` reads it: (end
#: node, its score without the states' part, the state moves made along it so far (by state id:
#: the new state's id and the score the move adds; the searches of a lattice share them), lost
#: bytes, swaps, edges, ids of the slot edges taken (None when none is), whether it is one Latin
#: letter or digit (a Latin word or a number is one segment), what a move reads: :data:`Spec`).
PathRecord = tuple[
    int, float, dict[int, tuple[int, float]], int, int, tuple[Edge, ...], "tuple[int, ...] | None", bool, Spec
]
#: A spelled path: (end node, word, edges, cost, lost bytes, swaps, slot, characters), the costs
#: added up from the left.
Spelling = tuple[int, str, tuple[Edge, ...], float, int, int, bool, tuple[CharInfo, ...]]


def word_paths(
    lat: Lattice, u: int, out_edges: list[list[Edge]], info: list[NodeInfo], doc: DocumentWords | None = None
) -> tuple[list[PathRecord], int]:
    """Every word (a dictionary word, a word of the document, or one character) spelled along a
    path from ``u`` that can be read here, as :data:`PathRecord`; a lone epsilon edge is a path of
    no character. With them the number of word paths from ``u`` (the work a state costs there),
    those of the document that do not vouch for this place included. The dictionary's are
    found once per lattice, the document's once per lattice and document."""
    paths = lat.paths.get(u)
    if paths is None:
        records = _dictionary_paths(u, out_edges, info)
        paths = lat.paths[u] = (records, len(records))
    if doc is None or not doc.where:
        return paths
    if lat.doc_paths[0] is not doc:
        lat.doc_paths = (doc, {})
    both = lat.doc_paths[1].get(u)
    if both is None:
        spelled = doc_spellings(lat, u, out_edges, doc)
        if spelled:
            both = (paths[0] + _doc_records(spelled, info, doc, lat.keys, u), paths[1] + len(spelled))
        else:
            both = paths  # (most nodes: too far from every slot)
        lat.doc_paths[1][u] = both
    return both


def doc_spellings(lat: Lattice, u: int, out_edges: list[list[Edge]], doc: DocumentWords) -> list[Spelling]:
    """:func:`_spell_doc` of ``u``, once per lattice and document (none, without spelling, from
    the nodes too far from every slot: :func:`_far_from_slots`)."""
    if lat.doc_spelled[0] is not doc:
        lat.doc_spelled = (doc, dict.fromkeys(_far_from_slots(lat, out_edges, doc.MAX_DOC_WORD), _NO_SPELLINGS))
    found = lat.doc_spelled[1].get(u)
    if found is None:
        found = lat.doc_spelled[1][u] = _spell_doc(u, out_edges, doc)
    return found


#: What :func:`doc_spellings` answers for a node too far from every slot (never changed).
_NO_SPELLINGS: list[Spelling] = []


def _far_from_slots(lat: Lattice, out_edges: list[list[Edge]], reach: int) -> list[int]:
    """The nodes from which every path reads ``reach`` characters or more before its first slot
    edge (or has none): :func:`_spell_doc` finds nothing there for words of at most ``reach``
    characters. (A word it keeps is spelled through a slot edge, which comes before the word's
    last character, so at most ``reach`` - 1 characters are read before it.)"""
    order = lat.ordered()
    dist = [reach] * len(out_edges)
    for u in reversed(order):
        d = reach
        for e in out_edges[u]:
            x = 0 if e[6] else dist[e[0]] + (e[2] is not None)
            if x < d:
                d = x
        dist[u] = d
    return [u for u in order if dist[u] >= reach]


def doc_logp(w: str, doc: DocumentWords, start: int, end: int) -> float | None:
    """log P of a word of two or more characters read from ``[start, end]`` of the damaged
    text: the dictionary's, plus the document's share elsewhere; None when it is neither a
    dictionary word nor one the document has at another place."""
    shared = doc.share(w, start, end)
    if not shared:
        return word_logp(w) if word_freq(w) else None
    return math.log(shared + (math.exp(word_logp(w)) if word_freq(w) else 0.0))


def _doc_records(
    spelled: list[Spelling], info: list[NodeInfo], doc: DocumentWords, keys: list[NodeKey], u: int
) -> list[PathRecord]:
    """The :data:`PathRecord` of each path from ``u`` that spells a word of ``doc`` (two or more
    characters, through a slot), scored by :func:`doc_logp`; a word the document has only where
    it was read is left out."""
    out: list[PathRecord] = []
    for v, w, edges, cost, lost, swaps, slot, chars in spelled:
        # the document vouches for the characters chosen for lost bytes
        logp = doc_logp(w, doc, keys[u][0], keys[v][0])
        if logp is None:
            continue
        end = info[v]
        last = chars[-1]
        simple = not slot and all(c[2] != "m" and c[0] not in "“”" for c in chars)
        spec = (len(w), simple, chars, end, chars[0][3], last[2], last[4] if end.mark else 0.0, end.keep, w)
        slot_ids = tuple([id(e) for e in edges if e[6]]) if slot else None
        out.append((v, logp - SEGMENT_COST - cost, {}, lost, swaps, edges, slot_ids, False, spec))
    return out


def _dictionary_paths(u: int, out_edges: list[list[Edge]], info: list[NodeInfo]) -> list[PathRecord]:
    """The :data:`PathRecord` of each path from ``u`` that spells one character or a dictionary
    word (one look-up per step says word and prefix: :func:`wordmodel.lookup`), depth first."""
    out: list[PathRecord] = []
    emit = out.append
    limit = max_word_len()
    stack: list[Spelling] = [(u, "", (), 0.0, 0, 0, False, ())]
    push, pop = stack.append, stack.pop
    while stack:
        node, prefix, edges, cost, lost, swaps, slot, chars = pop()
        for e in out_edges[node]:
            s = e[2]
            if s is None:
                if prefix:
                    push((e[0], prefix, edges + (e,), cost + e[3], lost + e[4], swaps + e[5], slot or e[6], chars))
                else:
                    v = e[0]
                    end = info[v]
                    p_slot = slot or e[6]
                    path = edges + (e,)
                    emit(
                        (
                            v,
                            -(cost + e[3]),
                            {},
                            lost + e[4],
                            swaps + e[5],
                            path,
                            tuple([id(x) for x in path if x[6]]) if p_slot else None,
                            False,
                            (0, False, chars, end, 0.0, "", 0.0, end.keep, ""),
                        )
                    )
                continue
            w = prefix + s
            code = lookup(w)
            spelled = not prefix or code > 1
            longer = code & 1 and len(w) < limit
            if not (spelled or longer):
                continue
            c_slot = e[6]
            alone = _ALONE[c_slot].get(s)  # (CharInfo,): the characters of the word s
            if alone is None:
                alone = _ALONE[c_slot][s] = (((s, c_slot) + char_info(s)),)
            one = alone[0]
            p_slot = slot or c_slot
            p_cost = cost + e[3]
            p_lost = lost + e[4]
            p_swaps = swaps + e[5]
            path = edges + (e,)
            p_chars = chars + alone if prefix else alone
            if spelled:
                v = e[0]
                end = info[v]
                kind = one[2]
                if prefix:
                    base = word_logp(w) - SEGMENT_COST - p_cost
                    simple = not p_slot and all(c[2] != "m" and c[0] not in "“”" for c in p_chars)
                    alnum = False
                    first_bs = p_chars[0][3]
                else:
                    alnum = kind == "a"
                    base = -p_cost if alnum else char_logp(w) - SEGMENT_COST - p_cost
                    simple = not p_slot and kind != "m" and s not in "“”"
                    first_bs = one[3]
                emit(
                    (
                        v,
                        base,
                        {},
                        p_lost,
                        p_swaps,
                        path,
                        tuple([id(x) for x in path if x[6]]) if p_slot else None,
                        alnum,
                        (len(w), simple, p_chars, end, first_bs, kind, one[4] if end.mark else 0.0, end.keep, w),
                    )
                )
            if longer:
                push((e[0], w, path, p_cost, p_lost, p_swaps, p_slot, p_chars))
    return out


#: Per character met, read at a slot or not: the one :data:`CharInfo` of a word of that character
#: alone, shared by every path that reads it (a path's characters are made of these).
_ALONE: dict[bool, dict[str, tuple[CharInfo]]] = {False: {}, True: {}}


def _spell_doc(u: int, out_edges: list[list[Edge]], doc: DocumentWords) -> list[Spelling]:
    """The paths from ``u`` through a slot that spell a word of ``doc`` that is not a
    dictionary word."""
    out: list[Spelling] = []
    stack: list[Spelling] = [(u, "", (), 0.0, 0, 0, False, ())]
    where, prefixes = doc.where, doc.prefixes
    while stack:
        node, prefix, edges, cost, lost, swaps, slot, chars = stack.pop()
        for e in out_edges[node]:
            s = e[2]
            if s is None:
                stack.append((e[0], prefix, edges + (e,), cost + e[3], lost + e[4], swaps + e[5], slot or e[6], chars))
                continue
            w = prefix + s
            through = slot or e[6]
            found = len(w) > 1 and through and w in where and not word_freq(w)
            deeper = w in prefixes
            if found or deeper:
                item = (
                    e[0],
                    w,
                    edges + (e,),
                    cost + e[3],
                    lost + e[4],
                    swaps + e[5],
                    through,
                    chars + ((s, e[6]) + char_info(s),),
                )
                if found:
                    out.append(item)
                if deeper:
                    stack.append(item)
    return out


def analyse(lat: Lattice, sink: int) -> tuple[list[int], list[list[Edge]], list[NodeInfo]]:
    """The nodes on a path to ``sink``, in order; per node its edges to such nodes; per node
    what the states reaching it must keep (:func:`node_info`). Once per lattice (one sink)."""
    if lat.analysis is None:
        out = lat.out
        order = lat.ordered()
        live = [False] * len(out)
        live[sink] = True
        for u in reversed(order):
            if not live[u]:
                for e in out[u]:
                    if live[e[0]]:
                        live[u] = True
                        break
        # (a node off every path to the sink has no edge to one: nothing to keep)
        out_edges = [[e for e in edges if live[e[0]]] if live[u] else _NO_EDGES for u, edges in enumerate(out)]
        order = [u for u in order if live[u]]
        lat.analysis = (order, out_edges, node_info(order, out_edges))
    return lat.analysis


class NodeInfo:
    """What the states reaching a node must keep: whether a clause mark may be read next
    (``mark``), how many of the last characters the next slots' checks read (``keep``: 3 less
    the distance to the nearest slot), and, found when first asked (:meth:`look_ahead`), the next
    two characters the lattice can read (``ahead``: the set of first ones and the set of pairs;
    None when there are too many); ``fires``: per word check resolved against them, the strings
    that fire it (:func:`readstate.advance`'s)."""

    __slots__ = ("mark", "keep", "_out", "_v", "known", "ahead", "fires")

    def __init__(self, mark: bool, keep: int, out_edges: list[list[Edge]], v: int) -> None:
        self.mark, self.keep, self._out, self._v = mark, keep, out_edges, v
        self.known = False  # whether ``ahead`` is found yet
        self.ahead: tuple[frozenset[str], frozenset[str]] | None = None
        self.fires: dict[str, frozenset[str]] = {}

    def look_ahead(self) -> tuple[frozenset[str], frozenset[str]] | None:
        """``ahead``, found on the first call."""
        if not self.known:
            firsts: set[str] = set()
            pairs: set[str] = set()
            stack = [self._v]
            found = True
            while stack and found:
                for e in self._out[stack.pop()]:
                    if e[2] is None:
                        stack.append(e[0])
                        continue
                    firsts.add(e[2])
                    after = first_chars(self._out, e[0])
                    if after is None or len(pairs) > MAX_AHEAD:
                        found = False
                        break
                    pairs.update(e[2] + t for t in after)
            self.ahead = (frozenset(firsts), frozenset(pairs)) if found else None
            self.known = True
        return self.ahead


def node_info(order: list[int], out_edges: list[list[Edge]]) -> list[NodeInfo]:
    """Per node of ``order`` its :class:`NodeInfo`."""
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
    info = [_OFF_PATH] * n  # a node off every path to the sink is never reached
    for u in order:
        info[u] = NodeInfo(mark[u], max(0, 3 - dist[u]), out_edges, u)
    return info


#: The :class:`NodeInfo` of the nodes no path to the sink goes through (never read).
_OFF_PATH = NodeInfo(False, 0, [], 0)
#: The edges kept of a node off every path to the sink (never changed).
_NO_EDGES: list[Edge] = []
