"""The lattice the tear repair searches (:mod:`.readings`): nodes between characters, edges that
each read one candidate character (or none) with the cost of the choice; the work budget of a
search; and the words of the document being read (:class:`DocumentWords`, a cache model)."""

from __future__ import annotations

import re

from collections.abc import Callable, Sequence
from typing import Any

from .params import MAX_AHEAD, WORD_BONUS
from .wordmodel import char_logp, following, lookup

#: An edge: (to node, character read or None, its Simplified form scored, cost, lost bytes,
#: swaps, slot, context) (:meth:`Lattice.edge`).
Edge = tuple[int, str | None, str | None, float, int, int, bool, bool]
#: A node's sort key: every edge goes from a smaller key to a larger one.
NodeKey = tuple[int, int, int]
#: The candidates of a lost byte between two nodes, not made edges yet (:meth:`Lattice.cut_fans`):
#: (where among the node's edges they stand, to node, the candidates as (character, Simplified
#: form, extra cost), cost, lost bytes, swaps).
Fan = tuple[int, int, list[tuple[str, str, float]], float, int, int]
#: What the slot cut reads of a fan's candidate list (:func:`_fan_info`).
FanInfo = tuple[list[tuple[str, str, float]], frozenset[str], list[str], dict[float, list[float]], list[frozenset[str]]]


class BudgetExceeded(Exception):
    """The work allowed is spent."""


class Budget:
    """Units of work left (word edges tried from a state); :meth:`spend` raises
    :class:`BudgetExceeded` once they are spent."""

    __slots__ = ("left", "spent")

    def __init__(self, units: int):
        self.left = units
        self.spent = 0

    def spend(self, units: int) -> None:
        self.left -= units
        self.spent += units
        if self.left < 0:
            raise BudgetExceeded


class Lattice:
    """Nodes (ids from :meth:`node`, ordered by the caller's sort key) and one-character edges."""

    __slots__ = ("out", "keys", "paths", "doc_paths", "doc_spelled", "analysis", "state_ids", "states", "_order")

    def __init__(self) -> None:
        self.out: list[list[Edge]] = []
        self.keys: list[NodeKey] = []
        # Any: wordpaths.PathRecord and wordpaths.NodeInfo (wordpaths imports this module, not the reverse)
        # node -> (its dictionary word paths, how many) (see wordpaths.word_paths)
        self.paths: dict[int, tuple[list[Any], int]] = {}
        # (a document, node -> the dictionary's and that document's word paths, how many)
        self.doc_paths: tuple[object, dict[int, tuple[list[Any], int]]] = (None, {})
        # (a document, node -> the paths that spell its words: wordpaths.doc_spellings)
        self.doc_spelled: tuple[object, dict[int, list[Any]]] = (None, {})
        self.analysis: tuple[list[int], list[list[Edge]], list[Any]] | None = (
            None  # (order, live edges per node, node info): see wordpaths.analyse
        )
        # The search states met on this lattice (readstate.State), numbered: state -> id, id -> state
        # (the searches of one lattice share the state moves of its word paths, by id).
        self.state_ids: dict[Any, int] = {}
        self.states: list[Any] = []
        self._order: list[int] = []

    def ordered(self) -> list[int]:
        """The nodes sorted by their keys (every edge goes forward); kept until a node is added."""
        if len(self._order) != len(self.out):
            self._order = sorted(range(len(self.out)), key=self.keys.__getitem__)
        return self._order

    def node(self, order: NodeKey) -> int:
        """A new node; ``order`` sorts the nodes so that every edge goes forward."""
        self.out.append([])
        self.keys.append(order)
        return len(self.out) - 1

    def edge(
        self,
        u: int,
        v: int,
        ch: str | None,
        simplified: str | None,
        *,
        cost: float = 0.0,
        lost: int = 0,
        swaps: int = 0,
        slot: bool = False,
        context: bool = False,
    ) -> None:
        """An edge ``u -> v`` reading ``ch`` (scored as ``simplified``; None: no character).
        ``slot``: a character chosen for a lost byte (earns the word bonus); ``context``: not
        part of the reading's text (the intact text around a window)."""
        self.out[u].append((v, ch, simplified, cost, lost, swaps, slot, context))

    def chars_before(self, fans: dict[int, list[Fan]] | None = None) -> list[set[str]]:
        """Per node, the characters read just before it (through epsilon edges); ``fans``: slot
        candidates not made edges yet, read as edges."""
        out = self.out
        before: list[set[str]] = [set() for _ in out]
        for u in self.ordered():
            here = before[u]
            for e in out[u]:
                if e[2] is None:
                    before[e[0]].update(here)
                else:
                    before[e[0]].add(e[2])
            if fans is not None:
                for fan in fans.get(u, ()):
                    before[fan[1]].update(_fan_info(fan[2])[1])
        return before

    def cut_fans(self, fans: dict[int, list[Fan]], keep: int) -> None:
        """The slot edges of ``fans`` (node -> its fans, in the order they were met) made edges,
        and of each group of them between two nodes only the ``keep`` most plausible alone: the
        character's own probability, plus WORD_BONUS for each side on which it can make a common
        word with the characters next to it in the lattice. The cut is made before the search,
        so that nothing downstream pays for the candidates dropped, and before the edges, so
        that those dropped are never made: the same edges, in the same places, as making every
        candidate an edge (at ``fan[0]`` among the node's edges, in the fans' order) and then
        cutting (``tests/test_tear_slot_cut.py`` keeps that reference). The cut reads the
        lattice through every candidate for the characters before a node; for those after a
        fan, through the cuts of the nodes before and the candidates of the rest."""
        out = self.out
        before = self.chars_before(fans)
        for u in sorted(fans):
            mine = fans[u]
            groups: dict[int, list[int]] = {}  # to node -> its fans (indices in ``mine``)
            for k, fan in enumerate(mine):
                groups.setdefault(fan[1], []).append(k)
            kept: dict[int, set[int]] = {}  # fan -> the candidates kept (absent: all)
            wide = [ks for ks in groups.values() if sum(len(mine[k][2]) for k in ks) > keep]
            if wide:
                # what ends a word begun just before
                ends = frozenset().union(*(following(x)[0] for x in before[u]))
                for ks in wide:
                    after = first_chars(out, mine[ks[0]][1], fans) or set()
                    scores: list[float] = []
                    owner: list[tuple[int, int]] = []  # per score: (fan, candidate)
                    for k in ks:
                        _, _, read, cost, _, _ = mine[k]
                        _, _, simples, by_cost, completes = _fan_info(read)
                        alone = by_cost.get(cost)
                        if alone is None:  # the figure alone less the edge's cost
                            alone = by_cost[cost] = [
                                _ALONE[c][0] - (cost + extra) for c, (_, _, extra) in zip(simples, read)
                            ]
                        if after:
                            for figure, c, words in zip(alone, simples, completes):
                                if c in ends:
                                    figure += WORD_BONUS
                                if not words.isdisjoint(after):
                                    figure += WORD_BONUS
                                scores.append(figure)
                        else:
                            scores += [
                                figure + WORD_BONUS if c in ends else figure for figure, c in zip(alone, simples)
                            ]
                        if len(ks) > 1:
                            owner += [(k, i) for i in range(len(read))]
                    ranked = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:keep]
                    if len(ks) == 1:
                        kept[ks[0]] = set(ranked)
                    else:
                        for k in ks:
                            kept[k] = set()
                        for j in ranked:
                            k, i = owner[j]
                            kept[k].add(i)
            edges = out[u]
            made: list[Edge] = []
            done = 0
            for k, (at, v, read, cost, lost, swaps) in enumerate(mine):
                made += edges[done:at]
                done = at
                chosen = kept.get(k)
                made += [
                    (v, ch, simple, cost + extra, lost, swaps, True, False)
                    for i, (ch, simple, extra) in enumerate(read)
                    if chosen is None or i in chosen
                ]
            made += edges[done:]
            out[u] = made
            del fans[u]  # made edges: what the cuts of the later nodes read after them

    def chain(self, u: int, text: str, simplify: Callable[[str], str | None], order: Callable[[int], NodeKey]) -> int:
        """Edges reading ``text`` from ``u``, context only (cost 0); the last node.
        ``order(k)`` is the sort key of the node after the k-th character."""
        for k, ch in enumerate(text):
            v = self.node(order(k))
            self.edge(u, v, ch, simplify(ch), context=True)
            u = v
        return u


class DocumentWords:
    """The words of the document being read, for a cache model: every string of MIN_DOC_WORD
    to MAX_DOC_WORD Han characters of ``text`` (Simplified) that the dictionary lacks (a name:
    海光信息, 乘联会), where it stands in the damaged text (``positions``: the position each
    character was read from). Such a word, at another place in the document (torn in one place,
    intact or repaired in another), weighs as its share of the text; a word never vouches for
    the place it was read from (:meth:`share`). (Measured: with two-character strings and
    dictionary words too, the restored share of the bench's corpus is a little lower.)"""

    MIN_DOC_WORD = 3
    MAX_DOC_WORD = 4
    #: Occurrences this close to the span asked about count as the same place.
    MARGIN = 2

    def __init__(self, text: str, positions: Sequence[int]) -> None:
        self.total = max(1, len(text))
        self.where: dict[str, list[tuple[int, int]]] = {}
        where = self.where
        lo, hi = self.MIN_DOC_WORD, self.MAX_DOC_WORD
        # Per run of Han characters long enough to hold a word, its strings of lo..hi characters,
        # by start, then length (the order of a scan of every character): the same look-ups.
        for run in _HAN_RUN.finditer(text):
            a, b = run.span()
            for i in range(a, b - lo + 1):
                for n in range(lo, min(hi, b - i) + 1):
                    w = text[i : i + n]
                    if lookup(w) < 2:  # not a dictionary word (word_freq 0)
                        found = where.get(w)
                        if found is None:
                            found = where[w] = []
                        found.append((positions[i], positions[i + n - 1]))
        self.prefixes = frozenset({w[:k] for w in where for k in range(1, len(w))})

    def share(self, w: str, start: int, end: int) -> float:
        """Occurrences of ``w`` away from the damaged text's ``[start, end]``, over the
        document's length."""
        found = self.where.get(w)
        if not found:
            return 0.0
        lo, hi = start - self.MARGIN, end + self.MARGIN
        n = sum(1 for a, b in found if b < lo or a > hi)
        return n / self.total


#: Per candidate character of a slot: (log P of it alone, the characters that complete it into a
#: common word), for :meth:`Lattice.cut_fans` (as many as there are candidate characters).
_ALONE: dict[str | None, tuple[float, frozenset[str]]] = {}


#: A run of Han characters (:func:`_cjk`) of at least DocumentWords.MIN_DOC_WORD.
_HAN_RUN = re.compile("[\u4e00-\u9fff]{%d,}" % DocumentWords.MIN_DOC_WORD)


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def first_chars(out_edges: list[list[Edge]], u: int, fans: dict[int, list[Fan]] | None = None) -> set[str] | None:
    """The characters that can be read next from ``u`` (through epsilon edges); None: too many.
    ``fans``: slot candidates not made edges yet (:meth:`Lattice.cut_fans`), read as edges. (The
    answer is the union of what is met, None when it grows past MAX_AHEAD: the order in which
    the characters are met does not change it.)"""
    out: set[str] = set()
    stack = [u]
    while stack:
        node = stack.pop()
        for e in out_edges[node]:
            if e[2] is None:
                stack.append(e[0])
            else:
                out.add(e[2])
                if len(out) > MAX_AHEAD:
                    return None
        if fans is not None:
            for fan in fans.get(node, ()):
                out.update(_fan_info(fan[2])[1])
                if len(out) > MAX_AHEAD:
                    return None
    return out


def _fan_info(read: list[tuple[str, str, float]]) -> FanInfo:
    """What the slot cut reads of a candidate list (``tearwindow._read_as``'s, which lives as
    long as the process or until its cache is cleared): (the list, kept alive here so that its id
    names it, its Simplified forms as a set and in order, each candidate's figure alone less its
    cost by the cost of the edge (filled in by :meth:`Lattice.cut_fans`), the characters that
    complete each into a common word)."""
    known = _FAN_INFO.get(id(read))
    if known is not None:
        return known
    simples = [simple for _, simple, _ in read]
    for c in simples:
        if c not in _ALONE:
            _ALONE[c] = (char_logp(c), following(c)[0])
    info: FanInfo = (read, frozenset(simples), simples, {}, [_ALONE[c][1] for c in simples])
    if len(_FAN_INFO) >= _FAN_INFO_MAX:
        _FAN_INFO.clear()
    _FAN_INFO[id(read)] = info
    return info


#: :func:`_fan_info`'s answers, by the id of the candidate list (kept alive in the answer).
_FAN_INFO: dict[int, FanInfo] = {}
_FAN_INFO_MAX = 4096
