"""The repair rules' tuned costs, margins and thresholds, in one place, each with what it trades.

The modules import their figures from here (``gbktear``, ``tearwindow``, ``readings``,
``readstate``, ``mojibake``, ``lostbytes``, ``plausible``, and the word model, :mod:`.wordmodel`,
which passes its own on to the modules that read them there). Changing one here is a change of the cleaner:
the eval gate (``tests/eval_gate.py``) and ``python -m bench.margins`` say what it did.
"""

from __future__ import annotations

# ------------------------------------------------------------------ never invent (issue 25)
#: A lost byte of UTF-8 read as cp1252 (:mod:`.lostbytes`) that the surviving bytes leave open
#: (several candidates decode) is put back only when the word model's choice beats the next
#: candidate by this much (log-probability). Lower: more mojibake repaired, more wrong
#: characters. Measured (``python -m bench.margins``, 394 real lines, bench/README.md): at >= 8,
#: 319 of 319 choices right (100 %); at >= 6, 99.49 %; at >= 4, 99.59 %; over all, 91.5 %.
MOJIBAKE_MODEL_MARGIN = 8.0
#: The same for a character the tear repair chooses for a lost GBK byte (:mod:`.gbktear`): its
#: reading must beat the best reading without that character there by this much. Lower: more
#: tears repaired, more invented characters. Measured the same way: at >= 10, 13 of 13 right;
#: at >= 8, 95.2 % (20 of 21); over all 58.5 % (147 choices): few tears pass, by design.
TEAR_MODEL_MARGIN = 10.0

#: A damaged span is restored from the page's other copy of the text (:mod:`.pagecopy`) only
#: where the two copies agree on this many characters on each side of it (2 x in all, within
#: its line). Lower: more spans restored, and a copy that says something else (a description
#: that rewords the lead) is more often taken for the same text. Measured (``python -m
#: bench.page_copy --step 2``: 1-3 characters dropped at every second place of the stored title
#: and body of 77 real pages, 48 of which state some of it again in a meta description, og:
#: title, JSON-LD or <title>): anchor 3: 2,499 restored, 13 wrong (99.48 %); 4: 2,336 and 4
#: wrong (99.83 %); 5: 2,202 and none wrong; 6 and 8: none wrong either, fewer restored.
PAGE_COPY_ANCHOR = 5
#: Most characters a copy may put back in one span (a lost character's few bytes; a longer
#: stretch is another text, not a lost span).
PAGE_COPY_MAX_FILL = 12

# ------------------------------------------------------------------ mojibake (lost cp1252 bytes)
#: Lines ftfy fixes in a document before it counts as damaged (short runs then repaired between
#: digits or Latin letters too). Lower: more runs read in clean-looking text; higher: fewer.
MOJIBAKE_DAMAGED_LINES = 3
#: A real space after a character with a lost byte, against a NBSP in it (a lost byte and a
#: space side by side are the rarer coincidence). Higher: NBSP preferred.
SPACED_COST = 4.0
#: A lost-byte choice that beat the next best by this much is "beyond doubt" and enters the
#: document's cache of characters (:class:`lostbytes.Doc`).
SURE = 6.0
#: What the document's cache weighs: ``SEEN_WEIGHT * log`` of how much more often a character was
#: chosen beyond doubt than its use predicts, at most ``SEEN_MAX``. Higher: the document's own
#: characters win more choices (names), and errors repeat more.
SEEN_WEIGHT = 1.0
SEEN_MAX = 2.0
#: Most candidate pairs scored together for two adjacent guessed characters (else one at a time):
#: work against accuracy on runs with three lost bytes.
MAX_PAIRS = 400

# ------------------------------------------------------------------ GBK tears: the lattice
#: Cost of a lost byte in a reading, and of a swapped full-width pair read back: higher means the
#: window as it is wins more often (fewer repairs, fewer false ones).
LOST_COST = 3.0
SWAP_COST = 1.0
#: A character chosen for a lost byte that belongs to the other script than the text's.
SCRIPT_COST = 8.0
#: Candidates per lost byte before the cut (by use), and kept after a local test: recall against time.
SLOT_TOP = 48
SLOT_KEEP = 12
#: Characters read past the resynchronising ASCII byte, the longest out-of-step run, and the
#: intact context on either side of a window: recall against time.
WINDOW_TAIL = 3
MAX_RUN = 40
CONTEXT = 6
#: A window is rewritten only when its best reading beats the window as it is by this much.
MIN_GAIN = 2.0

# ------------------------------------------------------------------ GBK tears: the text's budget
#: More torn windows than MAX_WINDOWS packed closer than one per MIN_CHARS_PER_WINDOW characters
#: is noise (binary junk, a wrong decoding), left alone.
MAX_WINDOWS = 32
MIN_CHARS_PER_WINDOW = 12
#: Most windows searched in one text; after PROBE_WINDOWS, stop when fewer than PROBE_MIN_SHARE
#: of them were tears (flipped bytes look like tears and cost seconds for nothing).
MAX_SEARCHED = 96
PROBE_WINDOWS = 12
PROBE_MIN_SHARE = 0.25
#: Work per text (word edges tried, ~8 µs each): ~0.5 s at most; the real torn sample needs ~21,000.
TEXT_WORK = 60_000

# ------------------------------------------------------------------ GBK tears: the search's score
#: A slot character that makes a common word with its neighbours, and a slot 。 between a word
#: that ends and one that starts: higher finds more words through lost bytes, and invents more.
WORD_BONUS = 3.0
STOP_BONUS = 7.0
#: Most states kept per node of the search, and continuations looked ahead at: work against
#: exactness (the restored share is the same from 4 to 64 states).
MAX_STATES = 8
MAX_AHEAD = 256
MAX_QUOTES = 8

# ------------------------------------------------------------------ one lost byte in a declared GB page
#: A GBK lead or trail byte lost from a page's bytes (:mod:`.gbklost`) is put back only when the
#: shifted run after it is at least this many characters long and the repaired run reads as
#: Chinese at least this much better (:func:`plausible.chinese_score`) than the torn one.
GB_LOST_MIN_RUN = 2
GB_LOST_MIN_GAIN = 0.3
#: The place where the byte was lost is the word model's choice among the places the bytes allow:
#: taken only when the best reads better than the next by this much. Measured (bench.margins, one byte
#: deleted from each of 291 real lines): at >= 15, 10 of 10 right; at >= 10, 94.4 %; over all 80.8 %.
GB_PLACE_MARGIN = 15.0

# ------------------------------------------------------------------ Traditional -> Simplified
#: Text is converted Traditional when Traditional forms are at least MIN_CHANGED and MIN_RATIO of
#: its Han characters and Simplified-only forms at most MAX_SIMPLIFIED per Traditional form.
#: Lower ratios: more reposts undone, and more Simplified text with 乾/昇/蒐 taken for Traditional.
MIN_RATIO = 0.08
MIN_CHANGED = 2
MAX_SIMPLIFIED = 0.25
#: Log-probability (wide vocabulary) a phrase converter (tw2sp, hk2s) must gain over t2s per
#: differing sentence. 0.1: OpenCC's own cases 53 of 55 (51 at 3.0 with jieba's words only), the
#: eval gate's s2t/s2tw/s2hk/s2twp figures unchanged. Higher: t2s kept more often.
PHRASE_GAIN = 0.1

# ------------------------------------------------------------------ the word model (:mod:`.wordmodel`)
#: Per word of a segmentation: higher prefers readings made of fewer, longer dictionary words
#: (and joins more characters into words that are not there); lower lets single characters win.
SEGMENT_COST = 2.5
#: log P of a Latin word or a number (one segment whatever its length): higher favours readings
#: that keep ASCII runs (a lost byte read as a Latin letter), lower favours Han characters there.
ASCII_LOGP = -6.0
#: log P of a character the dictionary lacks: higher lets rare characters into readings (more
#: names read right, more invented characters), lower keeps them out.
UNKNOWN_LOGP = -19.0
#: log P of CJK punctuation (jieba's dictionary has none), roughly by frequency in news prose:
#: higher for a mark makes readings with it win more often where a lost byte could be one.
PUNCT_LOGP = {
    "，": -4.0,
    "。": -4.5,
    "、": -6.0,
    "“": -6.0,
    "”": -6.0,
    "：": -7.0,
    "；": -8.0,
    "？": -8.5,
    "！": -9.0,
    "（": -8.0,
    "）": -8.0,
    "《": -7.5,
    "》": -7.5,
}
#: log P of the other marks the model knows (‘’—…·「」): as PUNCT_LOGP, for rarer marks.
OTHER_PUNCT_LOGP = -10.0
#: Two clause marks in a row (``。，``, which good text does not have): higher rejects more
#: readings that put a mark next to a mark, and more real ones (``……。``) with them.
PUNCT_PAIR_COST = 6.0
#: A closing quote without an opening one: higher keeps quotes balanced, at the cost of
#: readings of text whose quote opened outside the span read.
QUOTE_COST = 4.0
#: log emission probability of a character jieba's HMM has not seen in a state: the floor that
#: keeps unknown characters from deciding where a word ends; lower makes them count as
#: neither beginning nor ending a word (the states' shares even out).
HMM_FLOOR_LOGP = -20.0

# ------------------------------------------------------------------ common characters (:mod:`.lostbytes`)
#: A Han character outside the common set still counts as in common use when the words that hold
#: it add up to this frequency (:func:`wordmodel.char_usage`): lower lets rarer characters be
#: chosen for lost bytes (and kept in a repaired text), higher keeps to the common set.
COMMON_USAGE = 2000
#: Added to a lost-byte candidate in common use, and to one outside it, in the choice of adjacent
#: lost bytes: the gap is how much the text's score must favour a rare character to pick it.
COMMON_CHAR_BONUS = 2.0
RARE_CHAR_COST = 8.0

# ------------------------------------------------------------------ reads as Chinese (:mod:`.plausible`)
#: :func:`plausible.chinese_score` = COMMON_WEIGHT * share of common characters + WORDS_WEIGHT *
#: share covered by dictionary words; below WORDS_FROM common characters the words are not read
#: (they cannot lift a wrong decoding above a real one). More weight on words: decodings judged by
#: vocabulary more than by characters.
COMMON_WEIGHT = 0.4
WORDS_WEIGHT = 0.6
WORDS_FROM = 0.5
