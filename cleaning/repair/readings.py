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
"""

from __future__ import annotations

import math
from typing import Any, cast
from dataclasses import dataclass
from functools import lru_cache

from .lattice import Budget, BudgetExceeded, DocumentWords, Edge, Lattice, first_chars  # noqa: F401 - BudgetExceeded: re-exported
from .params import MAX_AHEAD, MAX_QUOTES, MAX_STATES, STOP_BONUS, WORD_BONUS
from .wordmodel import (
    ASCII_LOGP,
    CLAUSE_MARKS,
    COMMON_WORD_FREQ,
    PUNCT_PAIR_COST,
    QUOTE_COST,
    SEGMENT_COST,
    boundary_logp,
    char_logp,
    following,
    lookup,
    max_word_len,
    word_freq,
    word_logp,
)

WORD_MIN_FREQ = COMMON_WORD_FREQ
_WORD, _STOP, _AHEAD = 1, 2, 3  # kinds of waiting bonus checks (see _advance)
_OPENERS = "“‘（《"
_CLOSERS = "%”’）》"

#: A waiting check (see _advance): (_WORD or _STOP, the characters seen: a str) or
#: (_AHEAD, the strings that fire: a frozenset[str]); Any: mypy cannot tell the two apart by the tag.
Check = tuple[int, Any]
#: A search state (see _advance): kind of the last character, its log P(ends a word), the
#: last characters, the waiting checks, open quotes.
State = tuple[str, float, str, tuple[Check, ...], int]
#: One character of a path: (character, slot, kind, log P(begins a word), log P(ends a word)).
CharInfo = tuple[str, bool, str, float, float]
#: A spelled path: (end node, word, edges).
Spelling = tuple[int, str, tuple[Edge, ...]]


@dataclass
class Reading:
    text: str
    score: float
    lost: int
    swaps: int
    slots: tuple[int, ...] = ()  # offsets in ``text`` of the characters read at slots
    positions: tuple[int, ...] = ()  # per character of ``text``: where it was read (its node's key[0])
    slot_edges: tuple[int, ...] = ()  # ids of the slot edges taken (for :func:`best_reading`'s ``exclude``)


def _kind(ch: str) -> str:
    """The class of a character the score looks at: clause mark, Latin letter or digit, Han, other."""
    if ch in CLAUSE_MARKS:
        return "m"
    if ch.isascii() and ch.isalnum():
        return "a"
    if "\u4e00" <= ch <= "\u9fff":
        return "c"
    return "o"


@lru_cache(maxsize=65536)
def _char_info(c: str) -> tuple[str, float, float]:
    """(kind, log P(begins a word), log P(ends a word)) of a character (the latter two 0 but
    for Han characters)."""
    k = _kind(c)
    if k != "c":
        return k, 0.0, 0.0
    return k, boundary_logp(c, "BS"), boundary_logp(c, "ES")


def _word(w: str) -> bool:
    return word_freq(w) >= WORD_MIN_FREQ


def _advance(state: State, chars: list[CharInfo], info: _NodeInfo) -> tuple[State, float]:
    """Append characters to ``state`` = (kind of the last character, its log P(ends a word)
    when a clause mark may follow, the last characters when a slot may follow, the bonus
    checks waiting for characters, open quotes): the new state and the score it adds besides
    the words themselves. ``chars`` are :attr:`_Path.chars`; ``info`` is what the lattice says
    of the node reached (:func:`_node_info`).

    A waiting check is ``(_WORD, the slot character and those after it)``: a word of two or
    three characters that starts with the slot; ``(_STOP, the characters after a slot 。
    that closes a word)``: an opening mark, or a word of two or three characters; or
    ``(_AHEAD, strings)``: a check resolved against the characters the lattice can read next,
    which fires when they read one of ``strings``."""
    kind, es, tail, waiting, q = state
    delta = 0.0
    for s, slot, k, bs, es_s in chars:
        if k == "m":
            if kind == "m":
                delta -= PUNCT_PAIR_COST
            delta += es
        elif k == "c":
            if kind == "m":
                delta += bs
        elif s == "“":
            q = min(MAX_QUOTES, q + 1)
        elif s == "”":
            if q:
                q -= 1
            else:
                delta -= QUOTE_COST
        if waiting:
            waiting, bonus = _feed_checks(waiting, s)
            delta += bonus
        if slot:
            if s == "。":
                if tail and (
                    tail[-1].isdigit()
                    or tail[-1] in _CLOSERS
                    or (len(tail) > 1 and tail[-2].isdigit())
                    or (len(tail) > 1 and (_word(tail[-2:]) or (len(tail) > 2 and _word(tail[-3:]))))
                ):
                    waiting += ((_STOP, ""),)
            elif tail and (s in following(tail[-1])[0] or (len(tail) > 1 and s in following(tail[-2:])[0])):
                delta += WORD_BONUS
            else:
                waiting += ((_WORD, s),)
        kind = k
        es = es_s
        tail = (tail + s)[-3:]
    if waiting:
        ahead = info.ahead
        if ahead is not None:
            waiting = _resolve(waiting, ahead)
    keep = info.keep
    return (kind, es if info.mark else 0.0, tail[-keep:] if keep else "", waiting, q), delta


def _feed_checks(waiting: tuple[Check, ...], s: str) -> tuple[tuple[Check, ...], float]:
    """The waiting checks after reading ``s``, and the bonus of those that fired."""
    still: list[Check] = []
    fired = 0.0
    for check, seen in waiting:
        if check == _AHEAD:
            if s in seen:
                fired += WORD_BONUS
                continue
            rest = frozenset(t[1] for t in seen if len(t) == 2 and t[0] == s)
            if rest:
                still.append((_AHEAD, rest))
            continue
        seen += s
        if check == _WORD:
            if _word(seen):
                fired += WORD_BONUS
                continue
        elif _word(seen) if len(seen) > 1 else s in _OPENERS:
            fired += STOP_BONUS
            continue
        if len(seen) < 3:
            still.append((check, seen))
    return tuple(still), fired


def _resolve(waiting: tuple[Check, ...], ahead: tuple[frozenset[str], frozenset[str]]) -> tuple[Check, ...]:
    """Word checks resolved against ``ahead`` (the next characters the lattice can read: the
    set of first ones and the set of pairs): the strings that would fire, so that slot
    characters whose checks cannot fire, or fire alike, make one state. Checks that can fire
    on none are dropped."""
    firsts, pairs = ahead
    out: list[Check] = []
    for check, seen in waiting:
        if check != _WORD:
            out.append((check, seen))
            continue
        one, two = following(seen)
        fire = (one & firsts) | (two & pairs)
        if fire:
            out.append((_AHEAD, fire))
    return tuple(out)


class _Path:
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
        self.chars = [(c, e[6]) + _char_info(c) for e in edges if (c := e[2]) is not None]
        self.joined = word
        self.alnum = self.n == 1 and _kind(word) == "a"
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


def _word_paths(lat: Lattice, u: int, out_edges: list[list[Edge]], doc: DocumentWords | None = None) -> list[_Path]:
    """Every word (a dictionary word, a word of the document, or one character) spelled along a
    path from ``u``; a lone epsilon edge is a path of no character. The dictionary's are found
    once per lattice."""
    paths = lat.paths.get(u)
    if paths is None:
        paths = lat.paths[u] = [_Path(v, w, edges, True) for v, w, edges in _spell(u, out_edges)]
    if doc is None or not doc.where:
        return paths
    return paths + [_Path(v, w, edges, False) for v, w, edges in _spell_doc(u, out_edges, doc)]


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


def doc_matters(lat: Lattice, source: int, sink: int, doc: DocumentWords) -> bool:
    """Whether reading ``lat`` with the words of ``doc`` can score differently: some path
    through a slot spells a word that ``doc`` has at another place."""
    order, out_edges, _ = _analyse(lat, sink)
    keys = lat.keys
    for u in order:
        for p in _word_paths(lat, u, out_edges, doc):
            if p.n > 1 and p.slot and doc.share(p.word, keys[u][0], keys[p.v][0]) > 0:
                return True
    return False


def _word_score(w: str, doc: DocumentWords | None, start: int, end: int) -> float | None:
    """log P of a word of two or more characters read from ``[start, end]`` of the damaged
    text: the dictionary's, plus the document's share elsewhere; None when it is neither a
    dictionary word nor one the document has at another place."""
    shared = doc.share(w, start, end) if doc is not None else 0.0
    if not shared:
        return word_logp(w) if word_freq(w) else None
    return math.log(shared + (math.exp(word_logp(w)) if word_freq(w) else 0.0))


def _analyse(lat: Lattice, sink: int) -> tuple[list[int], list[list[Edge]], list[_NodeInfo]]:
    """The nodes on a path to ``sink``, in order; per node its edges to such nodes; per node
    what the states reaching it must keep (:func:`_node_info`). Once per lattice (one sink)."""
    if lat.analysis is None:
        order = sorted(range(len(lat.out)), key=lat.keys.__getitem__)
        live = [False] * len(lat.out)
        live[sink] = True
        for u in reversed(order):
            if not live[u]:
                live[u] = any(live[e[0]] for e in lat.out[u])
        out_edges = [[e for e in edges if live[e[0]]] for edges in lat.out]
        order = [u for u in order if live[u]]
        lat.analysis = (order, out_edges, _node_info(order, out_edges))
    return lat.analysis


class _NodeInfo:
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


def _node_info(order: list[int], out_edges: list[list[Edge]]) -> list[_NodeInfo]:
    """Per node its :class:`_NodeInfo`."""
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
    return [_NodeInfo(mark[u], max(0, 3 - dist[u]), out_edges, u) for u in range(n)]


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
    order, out_edges, info = _analyse(lat, sink)
    if not order or order[0] != source:
        return None
    keys = lat.keys
    start: State = ("", 0.0, "", (), min(MAX_QUOTES, open_quotes))
    # node -> {state: (score, lost, swaps, back)}, back = (node, state, path) or None
    table: dict[int, dict[State, tuple[float, int, int, tuple[int, State, tuple[Edge, ...]] | None]]] = {
        source: {start: (0.0, 0, 0, None)}
    }
    for u in order:
        states = table.get(u)
        if not states:
            continue
        if len(states) > MAX_STATES:
            # A beam over the states of one node: those far behind cannot catch up.
            kept = sorted(states.items(), key=lambda kv: kv[1][0], reverse=True)[:MAX_STATES]
            states = table[u] = dict(kept)
        paths = _word_paths(lat, u, out_edges, doc)
        if budget is not None:
            budget.spend(len(paths) * len(states))
        for p in paths:
            if exclude and any(id(e) in exclude for e in p.edges):
                continue
            v = p.v
            base = p.base
            if doc is not None and p.slot and p.n > 1:
                # the document vouches for the characters chosen for lost bytes
                logp = _word_score(p.word, doc, keys[u][0], keys[v][0])
                base = None if logp is None else logp - SEGMENT_COST - p.cost
            if base is None:
                continue  # a word of the document only where it was read: not a word here
            node_info = info[v]
            keep = node_info.keep
            es = p.last_es if node_info.mark else 0.0
            target = table.setdefault(v, {})
            for state, (score, s_lost, s_swaps, _) in states.items():
                total = score + base
                if p.alnum and state[0] != "a":
                    total += ASCII_LOGP - SEGMENT_COST  # a Latin word or a number starts: one segment
                if not p.n:
                    new = state
                elif p.simple and not state[3]:
                    if state[0] == "m":
                        total += p.first_bs
                    new = (p.last_kind, es, (state[2] + p.joined)[-keep:] if keep else "", (), state[4])
                else:
                    new, delta = _advance(state, p.chars, node_info)
                    total += delta
                old = target.get(new)
                if old is None or total > old[0]:
                    target[new] = (total, s_lost + p.lost, s_swaps + p.swaps, (u, state, p.edges))
    final = table.get(sink)
    if not final:
        return None
    score, lost, swaps, back = max(final.values(), key=lambda entry: entry[0])
    taken: list[tuple[int, Edge]] = []  # (source node, edge)
    while back is not None:
        u, state, edges = back
        node = u
        path: list[tuple[int, Edge]] = []
        for e in edges:
            path.append((node, e))
            node = e[0]
        taken.extend((x, e) for x, e in reversed(path) if e[1] is not None and not e[7])
        back = table[u][state][3]
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
