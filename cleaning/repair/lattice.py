"""The lattice the tear repair searches (:mod:`.readings`): nodes between characters, edges that
each read one candidate character (or none) with the cost of the choice; the work budget of a
search; and the words of the document being read (:class:`DocumentWords`, a cache model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .params import MAX_AHEAD, WORD_BONUS
from .wordmodel import char_logp, following, word_freq

#: An edge: (to node, character read or None, its Simplified form scored, cost, lost bytes,
#: swaps, slot, context) (:meth:`Lattice.edge`).
Edge = tuple[int, str | None, str | None, float, int, int, bool, bool]
#: A node's sort key: every edge goes from a smaller key to a larger one.
NodeKey = tuple[int, int, int]


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

    __slots__ = ("out", "keys", "paths", "doc_paths", "analysis")

    def __init__(self) -> None:
        self.out: list[list[Edge]] = []
        self.keys: list[NodeKey] = []
        # Any: wordpaths.WordPath and wordpaths.NodeInfo (wordpaths imports this module, not the reverse)
        self.paths: dict[int, list[Any]] = {}  # node -> its dictionary word paths (see wordpaths.word_paths)
        # (a document, node -> the dictionary's and that document's word paths)
        self.doc_paths: tuple[object, dict[int, list[Any]]] = (None, {})
        self.analysis: tuple[list[int], list[list[Edge]], list[Any]] | None = (
            None  # (order, live edges per node, node info): see wordpaths.analyse
        )

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

    def prune_slots(self, keep: int) -> None:
        """Keep, of each group of slot edges between two nodes, the ``keep`` most plausible
        alone: the character's own probability, plus WORD_BONUS for each side on which it can
        make a common word with the characters next to it in the lattice. The cut is made
        before the search, so that nothing downstream pays for the candidates dropped."""
        before: list[set[str]] = [set() for _ in self.out]  # characters read just before (through epsilons)
        order = sorted(range(len(self.out)), key=self.keys.__getitem__)
        for u in order:
            for e in self.out[u]:
                before[e[0]].update((e[2],) if e[2] is not None else before[u])
        for u, edges in enumerate(self.out):
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
                after = first_chars(self.out, v) or set()

                def plausible(e: Edge, after: set[str] = after) -> float:
                    c = e[2]
                    return (
                        char_logp(c)
                        - e[3]
                        + (WORD_BONUS if c in ends else 0.0)
                        + (WORD_BONUS if not following(c)[0].isdisjoint(after) else 0.0)
                    )

                fan.sort(key=plausible, reverse=True)
                drop.update(map(id, fan[keep:]))
            self.out[u] = [e for e in edges if id(e) not in drop]

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
        for i, ch in enumerate(text):
            if not _cjk(ch):
                continue
            for n in range(2, self.MAX_DOC_WORD + 1):
                if i + n > len(text) or not _cjk(text[i + n - 1]):
                    break
                w = text[i : i + n]
                if n >= self.MIN_DOC_WORD and not word_freq(w):
                    self.where.setdefault(w, []).append((positions[i], positions[i + n - 1]))
        self.prefixes = frozenset(w[:k] for w in self.where for k in range(1, len(w)))

    def share(self, w: str, start: int, end: int) -> float:
        """Occurrences of ``w`` away from the damaged text's ``[start, end]``, over the
        document's length."""
        found = self.where.get(w)
        if not found:
            return 0.0
        lo, hi = start - self.MARGIN, end + self.MARGIN
        n = sum(1 for a, b in found if b < lo or a > hi)
        return n / self.total


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def first_chars(out_edges: list[list[Edge]], u: int) -> set[str] | None:
    """The characters that can be read next from ``u`` (through epsilon edges); None: too many."""
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
    return out
