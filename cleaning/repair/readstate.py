"""The search state of :func:`readings.best_reading` and the score characters add to it as
they are read: clause marks, quotes, and the bonus checks for slot characters that make words
(see :mod:`.readings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .params import MAX_QUOTES, STOP_BONUS, WORD_BONUS
from .wordmodel import COMMON_WORD_FREQ, PUNCT_PAIR_COST, QUOTE_COST, following, word_freq
from .wordpaths import CharInfo, NodeInfo

WORD_MIN_FREQ = COMMON_WORD_FREQ
_WORD, _STOP, _AHEAD = 1, 2, 3  # kinds of waiting bonus checks (see advance)
_OPENERS = "“‘（《"
_CLOSERS = "%”’）》"

#: A waiting check (see advance): (_WORD or _STOP, the characters seen: a str) or
#: (_AHEAD, the strings that fire: a frozenset[str]); Any: mypy cannot tell the two apart by the tag.
Check = tuple[int, Any]
#: A search state (see advance): kind of the last character, its log P(ends a word), the
#: last characters, the waiting checks, open quotes.
State = tuple[str, float, str, tuple[Check, ...], int]


def _word(w: str) -> bool:
    return word_freq(w) >= WORD_MIN_FREQ


def advance(state: State, chars: Sequence[CharInfo], info: NodeInfo) -> tuple[State, float]:
    """Append characters to ``state`` = (kind of the last character, its log P(ends a word)
    when a clause mark may follow, the last characters when a slot may follow, the bonus
    checks waiting for characters, open quotes): the new state and the score it adds besides
    the words themselves. ``chars`` are a word path's characters (the ``chars`` of :data:`.wordpaths.Spec`); ``info`` is what the lattice says
    of the node reached (:func:`node_info`).

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
            fed = _FED.get((waiting, s))
            if fed is None:
                if len(_FED) >= _FED_MAX:
                    _FED.clear()
                fed = _FED[waiting, s] = _feed_checks(waiting, s)
            waiting, bonus = fed
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
        ahead = info.ahead if info.known else info.look_ahead()
        if ahead is not None:
            waiting = _resolve(waiting, ahead, info.fires)
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


#: :func:`_feed_checks`'s answers, by waiting checks and character (a search meets the same
#: checks again and again: the states of a node, the runner-up searches).
_FED: dict[tuple[tuple[Check, ...], str], tuple[tuple[Check, ...], float]] = {}
_FED_MAX = 1 << 16


def _resolve(
    waiting: tuple[Check, ...], ahead: tuple[frozenset[str], frozenset[str]], fires: dict[str, frozenset[str]]
) -> tuple[Check, ...]:
    """Word checks resolved against ``ahead`` (the next characters the lattice can read: the
    set of first ones and the set of pairs): the strings that would fire, so that slot
    characters whose checks cannot fire, or fire alike, make one state. Checks that can fire
    on none are dropped. ``fires``: the answers for this ``ahead`` so far, by check."""
    out: list[Check] = []
    for check, seen in waiting:
        if check != _WORD:
            out.append((check, seen))
            continue
        fire = fires.get(seen)
        if fire is None:
            firsts, pairs = ahead
            one, two = following(seen)
            fire = fires[seen] = (one & firsts) | (two & pairs)
        if fire:
            out.append((_AHEAD, fire))
    return tuple(out)
