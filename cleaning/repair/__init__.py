"""Text repair for damaged copies of thepaper.cn articles (thepaper-site.md §6).

:func:`repair_text` runs the whole chain on one string, in this order:

1. **mojibake** (:mod:`.mojibake`): UTF-8/GBK/Big5 read as Latin-1/cp1252, whole documents or
   runs, lost cp1252 bytes and NBSP-as-space, two layers (ftfy first, our own runs after);
2. **GBK punctuation-swap tears** (:mod:`.gbktear`, whose best readings :mod:`.readings` finds:
   a Viterbi search over a lattice of candidates, scored with :mod:`.wordmodel`); on text that
   shows tear signs, pinyin annotations are removed first, because the mirror inserted them
   before the byte damage;
3. **pinyin annotations** (:mod:`.pinyin`);
4. **Traditional -> Simplified** (:mod:`.traditional`), only when the text was converted
   (``traditional=None``: detect on this text; True/False: the caller decided), undoing the
   converter that was used (``t2s``, Taiwan ``tw2sp``, Hong Kong ``hk2s``: detected, or
   ``converter=``); 著 decided by the word it forms;
5. **full-width punctuation** (:mod:`.punct`);
6. **mirror host** -> ``www.thepaper.cn`` (:mod:`.mirror`);
7. **leftovers** (:mod:`.leftovers`): private-use code points and U+FFFD removed, ``?`` -> ``©``
   in copyright lines.

Each stage has a cheap pre-check, so clean text costs a few regex scans.  Clean Simplified
text comes out byte-identical with empty ``repairs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .gbktear import has_tear_signs, repair_tears
from .leftovers import remove_private_use, restore_copyright
from .mirror import restore_mirror_host
from .mojibake import repair_mojibake
from .pinyin import remove_pinyin
from .punct import restore_fullwidth
from .traditional import detect_converter, is_converted_traditional, to_simplified

__all__ = ["RepairResult", "repair_text", "is_converted_traditional", "detect_converter"]


@dataclass
class RepairResult:
    text: str
    repairs: dict[str, int] = field(default_factory=dict)  # kind -> count; only non-zero kinds

    def add(self, kind: str, n: int) -> None:
        if n:
            self.repairs[kind] = self.repairs.get(kind, 0) + n


def repair_text(text: str, *, traditional: bool | None = None, mirror_host: str | None = None,
                converter: str | None = None) -> RepairResult:
    """Run the repair chain (see module doc) on ``text``; never raises on any str.
    ``converter`` (``t2s``/``tw2sp``/``hk2s``) forces the Traditional converter to undo;
    by default it is detected on ``text``."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    res = RepairResult(text)
    if not text:
        return res
    t, n = repair_mojibake(text)
    res.add("mojibake_latin1", n)
    if has_tear_signs(t):
        t, n = remove_pinyin(t)
        res.add("pinyin", n)
        t, counts = repair_tears(t)
        for kind, n in counts.items():
            res.add(kind, n)
    t, n = remove_pinyin(t)
    res.add("pinyin", n)
    if traditional is None:
        traditional = is_converted_traditional(t)
    if traditional:
        config = converter or detect_converter(t)
        converted = to_simplified(t, converter=config)
        if converted != t:
            res.add("t2s", 1)
            if config != "t2s":
                res.add(config, 1)
            t = converted
    t, n = restore_fullwidth(t)
    res.add("fullwidth_punct", n)
    t, n = restore_mirror_host(t, mirror_host)
    res.add("mirror_host", n)
    t, n = remove_private_use(t)
    res.add("pua_removed", n)
    t, n = restore_copyright(t)
    res.add("copyright_sign", n)
    res.text = t
    return res
