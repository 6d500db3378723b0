"""Summarise py-spy's raw (collapsed) output: where the samples went.

``python -m bench.flame PROFILE.txt [--top 30] [--match SUBSTR]`` prints the
functions with the most inclusive samples (a function counted once per stack)
and the most self samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_LINE = re.compile(r"^(.*) (\d+)$")


def _frame_name(frame: str) -> str:
    # py-spy frames look like "func (path/to/file.py:123)": drop the line number
    return re.sub(r":\d+\)$", ")", frame.strip())


def summarise(lines, match: str | None = None) -> tuple[Counter, Counter, int]:
    """``(inclusive, self, total)`` sample counts per function over collapsed stacks."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in lines:
        m = _LINE.match(line.rstrip("\n"))
        if not m:
            continue
        stack, n = m.group(1), int(m.group(2))
        if match and match not in stack:
            continue
        frames = [_frame_name(f) for f in stack.split(";") if f.strip()]
        total += n
        for name in set(frames):
            inclusive[name] += n
        if frames:
            own[frames[-1]] += n
    return inclusive, own, total


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flame")
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--match", help="only stacks containing this text")
    args = p.parse_args(argv)
    with open(args.profile, encoding="utf-8", errors="replace") as fh:
        inclusive, own, total = summarise(fh, args.match)
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"--- {title}")
        for name, n in counter.most_common(args.top):
            print(f"{100 * n / max(1, total):5.1f}%  {name[:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
