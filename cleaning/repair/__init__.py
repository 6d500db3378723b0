"""Text repair for damaged copies of thepaper.cn articles (docs/site-notes.md §6).

:func:`repair_text` runs the whole chain on one string, in this order:

0. **U+FFFD runs and lines** (:mod:`.leftovers`): dropped and counted (``replacement_dropped``),
   never read as text;
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

**Never invent**: a character changes only where the surviving bytes (or a deterministic rule
on the text) determine it; where the word model chooses among candidates the bytes leave open
(a lost byte), its choice is kept only above the margin of :mod:`.params` at which its measured
accuracy is at least 99.5 %, else the span stays as it was and is counted ``unrepaired``.
**Every repair explained**: ``RepairResult.log`` holds a :class:`.log.RepairEvent` per change
(rule, offset in the result, before, after, decided by ``bytes``, ``model`` or ``rule``).

Each stage has a cheap pre-check, so clean text costs a few regex scans.  Clean Simplified
text comes out byte-identical with empty ``repairs`` and ``log``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cleaning.jsontext import drop_lone_surrogates

from .gbktear import has_tear_signs, repair_tears_explained, tear_marks
from .leftovers import drop_replacement_runs, remove_private_use, restore_copyright
from .log import RepairEvent, diff_edits, shift
from .mirror import restore_mirror_host
from .mojibake import repair_mojibake_explained
from .pinyin import remove_pinyin
from .punct import restore_fullwidth
from .traditional import detect_converter, is_converted_traditional, to_simplified

__all__ = ["RepairEvent", "RepairResult", "repair_text", "is_converted_traditional", "detect_converter"]


@dataclass
class RepairResult:
    text: str
    repairs: dict[str, int] = field(default_factory=dict)  # kind -> count; only non-zero kinds
    log: list[RepairEvent] = field(default_factory=list)  # every change, offsets in ``text``
    kept: list[RepairEvent] = field(default_factory=list)  # spans left unrepaired: no later stage changes them

    def add(self, kind: str, n: int) -> None:
        if n:
            self.repairs[kind] = self.repairs.get(kind, 0) + n

    def stage(
        self, rule: str, before: str, after: str, events: list[RepairEvent] | None = None, by: str = "rule"
    ) -> str:
        """Record a stage that turned ``before`` into ``after``: the earlier events moved along,
        the stage's own ``events`` (offsets in ``after``) or one per edit, of ``rule`` and ``by``."""
        if before == after:
            return after
        if events is None or self.log or self.kept:  # the edits are needed (a diff can cost much)
            edits = diff_edits(before, after)
            self.log = shift(self.log, edits)
            self.kept = shift(self.kept, edits)
        if events is None:
            events = [RepairEvent(rule, off, old, new, _by(rule, old, new, by)) for off, old, new in edits]
        self.log.extend(events)
        return after


def _by(rule: str, old: str, new: str, by: str) -> str:
    """著 -> 着 is the word model's choice (:func:`traditional.fix_zhe`), the rest of t2s a rule."""
    return "model" if rule == "t2s" and "著" in old and "着" in new else by


def repair_text(
    text: str,
    *,
    traditional: bool | None = None,
    mirror_host: str | None = None,
    converter: str | None = None,
    fffd_lost: bool = False,
    surrogates: bool = True,
) -> RepairResult:
    """Run the repair chain (see module doc) on ``text``; never raises on any str.
    ``converter`` (``t2s``/``tw2sp``/``hk2s``) forces the Traditional converter to undo;
    by default it is detected on ``text``. ``fffd_lost``: its U+FFFD stand for bytes UTF-8 could
    not read (no GBK byte behind any): all are dropped first, events of rule
    ``undecodable_bytes``, not counted here (the page counts its undecodable bytes).
    ``surrogates``: the text may hold lone surrogates (no decoded bytes do; a JSON escape of half
    a UTF-16 pair does): each is dropped first, counted and logged ``lone_surrogate``.
    :func:`cleaning.document.clean_document` drops them where it reads the page's JSON and
    passes False."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    res = RepairResult(text)
    if not text:
        return res
    if surrogates:
        text, dropped = drop_lone_surrogates(text)
        res.add("lone_surrogate", len(dropped))
        res.log += [RepairEvent("lone_surrogate", at, escape, "") for at, escape in dropped]
    if fffd_lost:
        text = res.stage("undecodable_bytes", text, text.replace("\ufffd", ""))
    t, n = drop_replacement_runs(text)
    res.add("replacement_dropped", n)
    t = res.stage("replacement_dropped", text, t)
    moj = repair_mojibake_explained(t)
    res.add("mojibake_latin1", moj.count)
    res.add("unrepaired", moj.unrepaired)
    t = res.stage("mojibake", t, moj.text, moj.events)
    marks = tear_marks(t)
    # No ?, U+FFFD or private-use character left (none marked): the stages up to the mirror host
    # only drop characters or put full-width marks and ASCII host names in, so the last two have
    # nothing to read unless a Traditional conversion changed the text.
    tail = bool(marks)
    if marks and has_tear_signs(t, marks):
        out, n = remove_pinyin(t)
        res.add("pinyin", n)
        t = res.stage("pinyin", t, out)
        out, counts, events = repair_tears_explained(t)
        for kind, n in counts.items():
            res.add(kind, n)
        t = res.stage("gbk_tear", t, out, [e for e in events if e.rule != "unrepaired"])
        res.kept += [e for e in events if e.rule == "unrepaired"]
    out, n = remove_pinyin(t)
    res.add("pinyin", n)
    t = res.stage("pinyin", t, out)
    if traditional is None:
        traditional = is_converted_traditional(t)
    if traditional:
        config = converter or detect_converter(t)
        converted = to_simplified(t, converter=config)
        if converted != t:
            res.add("t2s", 1)
            if config != "t2s":
                res.add(config, 1)
            t = res.stage("t2s", t, converted)
            tail = True
    out, n = restore_fullwidth(t, keep=[(e.offset, e.offset + len(e.after)) for e in res.kept])
    res.add("fullwidth_punct", n)
    t = res.stage("fullwidth_punct", t, out)
    out, n = restore_mirror_host(t, mirror_host)
    res.add("mirror_host", n)
    t = res.stage("mirror_host", t, out)
    if tail:
        out, pua, fffd = remove_private_use(t)
        res.add("pua_removed", pua)
        res.add("replacement_dropped", fffd)
        t = res.stage("dropped", t, out)
        out, n = restore_copyright(t)
        res.add("copyright_sign", n)
        t = res.stage("copyright_sign", t, out)
    res.text = t
    res.log.sort(key=lambda e: e.offset)
    return res
