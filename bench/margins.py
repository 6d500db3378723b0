"""The word model's accuracy by margin, on damaged real text (issue 25: a choice the bytes leave
open is kept only above the margin at which the model is right at least 99.5 % of the time).

``python -m bench.margins [--json]`` damages real text (the lines of the real thepaper.cn page
of tests/data/samples and tests/data/text/simplified_clean.txt) in two ways and repairs it with
every margin allowed (the thresholds of :mod:`cleaning.repair.params` set to -inf):

* **mojibake**: UTF-8 read as a windows-1252 that drops its five undefined bytes
  (:func:`bench.damage.utf8_read_as`, ``1252-dropped``), with and without NBSP turned into a
  space, ten lines at a time; the lost bytes put back (:mod:`cleaning.repair.lostbytes`);
* **gb_lost_place**: one byte deleted from each line encoded as GB2312 (in its longest run of
  two-byte characters); where the lost byte was is the model's choice (:mod:`cleaning.repair.gbklost`);
* **tears**: the GBK punctuation swap (:func:`bench.damage.gbk_punct_swap`) of each line, as
  it is and converted to Traditional; the characters chosen for lost bytes (:mod:`cleaning.repair.gbktear`).

Every change the model decided (``by == "model"``), and every change the bytes decided, is right when each of its characters lines
up with the original (difflib; full-width punctuation folded for tears). Printed: per margin
bucket the count and accuracy, and per threshold the accuracy and count of the choices at or
above it, with the smallest threshold from which every higher one has an accuracy of at least
TARGET (a lower one may reach it by chance while a higher one does not).
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys

TARGET = 0.995
BUCKETS = (0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, math.inf)
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def real_lines() -> list[str]:
    from tests.eval_gate import article_text, clean_lines

    lines = [ln for ln in article_text().splitlines() if any("\u4e00" <= c <= "\u9fff" for c in ln)]
    return list(dict.fromkeys(lines + clean_lines()))


def _right(output: str, original: str, offset: int, after: str) -> bool:
    """Whether every character of ``output[offset:offset + len(after)]`` lines up with ``original``."""
    if not after:
        return True
    sm = difflib.SequenceMatcher(None, output, original, autojunk=False)
    covered = set()
    for a, _, size in sm.get_matching_blocks():
        covered.update(range(a, a + size))
    return all(k in covered for k in range(offset, offset + len(after)))


def _mojibake(lines: list[str]) -> list[tuple[float, bool]]:
    from bench.damage import utf8_read_as
    from cleaning.repair.mojibake import repair_mojibake_explained

    out = []
    for nbsp in (False, True):
        for i in range(0, len(lines), 10):
            text = "\n".join(lines[i : i + 10])
            res = repair_mojibake_explained(utf8_read_as(text, "1252-dropped", nbsp_to_space=nbsp))
            out += [
                (e.margin if e.by == "model" else math.inf, _right(res.text, text, e.offset, e.after), e.by)
                for e in res.events
            ]
    return out


def _tears(lines: list[str]) -> list[tuple[float, bool]]:
    import opencc

    from bench.damage import gbk_punct_swap
    from cleaning.repair.gbktear import repair_tears_explained

    s2t = opencc.OpenCC("s2t")
    out = []
    for line in lines:
        for text in (line, s2t.convert(line)):
            try:
                text.encode("gbk")
            except UnicodeEncodeError:
                continue
            damaged = gbk_punct_swap(text)
            fixed, _, events = repair_tears_explained(damaged)
            out += [
                (
                    e.margin if e.by == "model" else math.inf,
                    _right(fixed.translate(_FOLD), text.translate(_FOLD), e.offset, e.after.translate(_FOLD)),
                    e.by,
                )
                for e in events
            ]
    return out


def _gb_lost(lines: list[str]) -> list[tuple[float, bool, str]]:
    """One byte deleted from each GB2312 line (a full-width mark's lead where it has one, else a
    byte in the middle of a run); the place found (its margin), right when the line comes back
    whole or without the damaged character only."""
    from cleaning.repair import params
    from cleaning.repair.gbklost import _RUN, _fix_run

    params.TEAR_MODEL_MARGIN = math.inf  # the damaged character itself dropped: the place alone is judged
    out = []
    for line in lines:
        try:
            data = line.encode("gb2312")
        except UnicodeEncodeError:
            continue
        runs = [m for m in _RUN.finditer(data) if m.end() - m.start() >= 6]
        if not runs:
            continue
        m = max(runs, key=lambda r: r.end() - r.start())
        i = m.start() + 2 * ((m.end() - m.start()) // 4)  # a lead byte in the middle of the run
        damaged = data[:i] + data[i + 1 :]
        lost = data[i : i + 2].decode("gb18030")
        for r in _RUN.finditer(damaged):
            if r.start() <= i < r.end() and (r.end() - r.start()) % 2:
                fixed = _fix_run(damaged, r.start(), r.end())
                if fixed is None:
                    break
                new = (damaged[: r.start()] + fixed[0] + damaged[r.end() + 1 :]).decode("gb18030", "replace")
                out.append((fixed[2], new == line.replace(lost, "", 1), "model"))
                break
    return out


def table(events: list[tuple[float, bool, str]]) -> dict:
    """Per bucket and per threshold: counts and accuracies of the model's choices; the threshold
    chosen; and the accuracy of the changes the bytes decided."""
    choices = [(m, ok) for m, ok, by in events if by == "model"]
    by_bytes = [ok for _, ok, by in events if by == "bytes"]
    buckets = []
    for lo, hi in zip(BUCKETS, BUCKETS[1:]):
        inside = [ok for m, ok in choices if lo <= m < hi]
        buckets.append(
            {"from": lo, "to": hi, "n": len(inside), "accuracy": sum(inside) / len(inside) if inside else None}
        )
    thresholds = []
    for t in BUCKETS[:-1]:
        above = [ok for m, ok in choices if m >= t]
        thresholds.append({"margin": t, "n": len(above), "accuracy": sum(above) / len(above) if above else None})
    chosen = None  # the smallest threshold from which every higher one reaches TARGET too
    for row in reversed(thresholds):
        if row["accuracy"] is not None and row["accuracy"] < TARGET:
            break
        if row["accuracy"] is not None:
            chosen = row["margin"]
    below = [ok for m, ok in choices if m < 0]
    return {
        "choices": len(choices),
        "right": sum(ok for _, ok in choices),
        "negative_margin": len(below),
        "bytes": len(by_bytes),
        "bytes_right": sum(by_bytes),
        "buckets": buckets,
        "thresholds": thresholds,
        "smallest_threshold": chosen,
    }


def run() -> dict:
    from cleaning.repair import params

    names = ("MOJIBAKE_MODEL_MARGIN", "TEAR_MODEL_MARGIN", "GB_PLACE_MARGIN")
    saved = {n: getattr(params, n) for n in names}
    for n in names:
        setattr(params, n, -math.inf)
    try:
        lines = real_lines()
        return {
            "lines": len(lines),
            "mojibake": table(_mojibake(lines)),
            "tears": table(_tears(lines)),
            "gb_lost_place": table(_gb_lost(lines)),
            "target": TARGET,
            "in_use": saved,
        }  # last: it sets TEAR
    finally:
        for n in names:
            setattr(params, n, saved[n])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.margins", description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    res = run()
    if args.json:
        print(json.dumps(res, indent=2, default=str))
        return 0
    print(f"{res['lines']} real lines; target accuracy {res['target']:.3f}")
    for name in ("mojibake", "tears", "gb_lost_place"):
        r = res[name]
        print(
            f"\n{name}: {r['bytes']} changes the bytes decided, {r['bytes_right']} right; "
            f"{r['choices']} model choices, {r['right']} right"
        )
        print("  margin bucket        n   accuracy")
        for b in r["buckets"]:
            acc = "-" if b["accuracy"] is None else f"{b['accuracy']:.4f}"
            print(f"  [{b['from']:>5}, {b['to']:>5})  {b['n']:>6}   {acc}")
        print("  threshold   n above   accuracy above")
        for t in r["thresholds"]:
            acc = "-" if t["accuracy"] is None else f"{t['accuracy']:.4f}"
            print(f"  >= {t['margin']:>5}   {t['n']:>7}   {acc}")
        print(f"  smallest threshold with accuracy >= {res['target']} from there up: {r['smallest_threshold']}")
    print(f"\nin use: {res['in_use']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
