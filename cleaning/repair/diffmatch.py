""":mod:`difflib`'s opcodes, the same answers, found faster where one text is the other with
characters deleted (the repair log's diffs of the stages that drop characters: U+FFFD, pinyin
annotations, private-use characters).

``difflib.SequenceMatcher`` (no junk, ``autojunk=False``) splits the two texts at their longest
common substring (the earliest in ``a``, then in ``b``, among the longest), then does the same
on each side. Its search (``find_longest_match``) visits every pair of equal characters of the
two ranges, which on 6,000 characters of Chinese with a few hundred deletions costs 0.1-0.25 s.

:class:`_Matcher` answers that search from the deletions themselves, where it can prove the
answer is difflib's, and asks difflib otherwise. When ``b`` is ``a`` with characters deleted,
the *pieces* (runs of ``a`` kept whole in ``b``, found by the leftmost embedding of ``b`` in
``a``) are common substrings. A common substring of two or more characters either lies in one
piece, or holds a *broken pair*: two neighbours of ``a`` that are not neighbours in one piece;
the longest common substring through each broken pair is measured once, against all of ``b``
(:func:`_through_broken_pairs`). In a range of ``a`` made of whole pieces whose images lie in
the range of ``b``, if the longest piece (length L, the first of them) is longer than every
common substring through a broken pair of the range, the longest common substrings are exactly
the pieces of length L, the earliest in ``a`` is the first of them, and its earliest place in
the range of ``b`` is ``str.find``'s: difflib's answer. Any other range is searched by difflib's
own loop (:func:`_difflib_longest`), which finds the places of a character in the range of ``b``
with ``str.find`` rather than difflib's index of all of ``b``, built for every text (with the plan,
most texts never search).
``tests/test_diffmatch.py`` compares the opcodes with difflib's on random texts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from difflib import Match, SequenceMatcher
from typing import Literal

Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]
#: A plan is only worth building when the pieces are this long on average.
MIN_MEAN_PIECE = 4


def opcodes(a: str, b: str) -> list[Opcode]:
    """``difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``."""
    return _Matcher(a, b).get_opcodes()


def _common_prefix(a: str, i: int, b: str, j: int) -> int:
    """The length of the longest common prefix of ``a[i:]`` and ``b[j:]`` (slices compared by
    doubling, then halving: a few comparisons in C)."""
    limit = min(len(a) - i, len(b) - j)
    good, step = 0, 1
    while good + step <= limit and a[i + good : i + good + step] == b[j + good : j + good + step]:
        good += step
        step *= 2
    while step > 1:
        step //= 2
        if good + step <= limit and a[i + good : i + good + step] == b[j + good : j + good + step]:
            good += step
    return good


def _common_suffix(a: str, i: int, b: str, j: int) -> int:
    """The length of the longest common suffix of ``a[:i]`` and ``b[:j]``."""
    limit = min(i, j)
    good, step = 0, 1
    while good + step <= limit and a[i - good - step : i - good] == b[j - good - step : j - good]:
        good += step
        step *= 2
    while step > 1:
        step //= 2
        if good + step <= limit and a[i - good - step : i - good] == b[j - good - step : j - good]:
            good += step
    return good


def _pieces(a: str, b: str) -> list[tuple[int, int, int]] | None:
    """``(start in a, start in b, length)`` of the runs of the leftmost embedding of ``b`` in
    ``a``, in order; None when ``b`` is not ``a`` with characters deleted."""
    out: list[tuple[int, int, int]] = []
    i = j = 0
    while j < len(b):
        i = a.find(b[j], i)
        if i < 0:
            return None
        n = _common_prefix(a, i, b, j)
        out.append((i, j, n))
        i += n
        j += n
    return out


def _through_broken_pairs(a: str, b: str, pieces: list[tuple[int, int, int]]) -> tuple[list[int], list[int]]:
    """The broken pairs ``(t, t + 1)`` of ``a`` that are common to ``b``, each with the length of
    the longest common substring of ``a`` and ``b`` through it: (positions t, lengths)."""
    broken: list[int] = []
    prev_end = 0
    for start, _, n in pieces:
        broken.extend(range(max(0, prev_end - 1), start))
        prev_end = start + n
    broken.extend(range(max(0, prev_end - 1), len(a) - 1))
    where: dict[str, list[int]] = {}
    ts: list[int] = []
    xs: list[int] = []
    n_b = len(b)
    in_b = set(b)  # a pair with a character b lacks (a U+FFFD, a pinyin tone mark) is not searched
    for t in broken:
        pair = a[t : t + 2]
        found = where.get(pair)
        if found is None:
            found = where[pair] = []
            j = b.find(pair) if pair[0] in in_b and pair[1] in in_b else -1
            while j >= 0:
                found.append(j)
                j = b.find(pair, j + 1)
        if found:
            ts.append(t)
            # at each place: 2 + the common suffix before it + the common prefix after it, each
            # measured only where its first characters agree (most places: neither does)
            left, right = a[t - 1] if t else "", a[t + 2 : t + 3]
            best = 2
            for j in found:
                x = 2
                if j and b[j - 1] == left:
                    x += _common_suffix(a, t, b, j)
                if j + 2 < n_b and b[j + 2] == right:
                    x += _common_prefix(a, t + 2, b, j + 2)
                if x > best:
                    best = x
            xs.append(best)
    return ts, xs


class _Plan:
    """The pieces of ``b`` in ``a`` and the broken pairs' bounds (see the module doc)."""

    __slots__ = ("a", "b", "starts", "sizes", "pieces", "ts", "xs")

    def __init__(self, a: str, b: str, pieces: list[tuple[int, int, int]]) -> None:
        self.a, self.b, self.pieces = a, b, pieces
        self.starts = [p[0] for p in pieces]
        self.sizes = [p[2] for p in pieces]
        self.ts, self.xs = _through_broken_pairs(a, b, pieces)

    @classmethod
    def of(cls, a: str, b: str) -> _Plan | None:
        if not a or not b or len(a) <= len(b):
            return None
        pieces = _pieces(a, b)
        if pieces is None or len(pieces) * MIN_MEAN_PIECE > len(b):
            return None
        return cls(a, b, pieces)

    def longest(self, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int] | None:
        """difflib's longest match in the ranges, or None when it is not proved."""
        pieces = self.pieces
        k0, k1 = bisect_left(self.starts, alo), bisect_left(self.starts, ahi)
        if k0 == k1:
            return None
        first, last = pieces[k0], pieces[k1 - 1]
        if last[0] + last[2] > ahi or (k0 and pieces[k0 - 1][0] + pieces[k0 - 1][2] > alo):
            return None  # a piece cut by the range
        if first[1] < blo or last[1] + last[2] > bhi:
            return None  # a piece whose image is outside the range of b
        size = max(self.sizes[k0:k1])
        i = pieces[self.sizes.index(size, k0, k1)][0]  # the first of the longest
        if size < 2:
            return None
        lo, hi = bisect_left(self.ts, alo), bisect_right(self.ts, ahi - 2)
        if lo < hi and max(self.xs[lo:hi]) >= size:
            return None  # a common substring through a broken pair may be as long
        return i, self.b.find(self.a[i : i + size], blo, bhi), size


class _Matcher(SequenceMatcher[str]):
    """A :class:`difflib.SequenceMatcher` without junk whose search is :class:`_Plan`'s where it
    proves the answer, and otherwise difflib's own (:func:`_difflib_longest`), without difflib's
    index of ``b`` (built for every text, where most texts never need it)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(None, "", "", autojunk=False)
        self.a, self.b = a, b  # set_seqs would index b; the search below does not read the index
        self._sizes = len(a), len(b)
        self._plan = _Plan.of(a, b)

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None) -> Match:
        ahi = self._sizes[0] if ahi is None else ahi
        bhi = self._sizes[1] if bhi is None else bhi
        if self._plan is not None:
            found = self._plan.longest(alo, ahi, blo, bhi)
            if found is not None:
                return Match(*found)
        return Match(*_difflib_longest(self.a, self.b, alo, ahi, blo, bhi))


def _difflib_longest(a: str, b: str, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """``SequenceMatcher(None, a, b, autojunk=False).find_longest_match(alo, ahi, blo, bhi)``:
    difflib's loop (the longest, then the earliest in ``a``, then in ``b``), with the places of
    ``a[i]`` in ``b[blo:bhi]`` found by ``str.find`` instead of difflib's index of all of ``b``.
    (Without junk, difflib's extensions of the match found are no-ops: the loop's match cannot be
    extended on either side within the ranges.)"""
    besti, bestj, bestsize = alo, blo, 0
    j2len: dict[int, int] = {}
    find = b.find
    for i in range(alo, ahi):
        c = a[i]
        get = j2len.get
        new: dict[int, int] = {}
        j = find(c, blo, bhi)
        while j >= 0:
            k = new[j] = get(j - 1, 0) + 1
            if k > bestsize:
                besti, bestj, bestsize = i - k + 1, j - k + 1, k
            j = find(c, j + 1, bhi)
        j2len = new
    return besti, bestj, bestsize
