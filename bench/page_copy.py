"""How long the page-copy repair's anchors must be (``params.PAGE_COPY_ANCHOR``), measured on
real pages: every real page of ``tests/data`` (the devset, its negatives, the real samples) is
cleaned; in its stored body and title, spans of 1-3 characters are dropped (every ``--step``-th
place) and the page's other copies, repaired as the chain repairs them (:func:`cleaning.extract.copies.page_copies`: h1, <title>,
og/description metas, JSON-LD) are asked to restore them with anchors of 1 to 8 characters.
A restoration is right when it puts back exactly the dropped characters, wrong otherwise;
refused spans stay dropped (the repair's safe outcome).

    .venv/bin/python -m bench.page_copy [--step 3]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from cleaning.decode import decode_bytes
from cleaning.document import clean_document
from cleaning.extract import html as h
from cleaning.extract.copies import page_copies
from cleaning.repair import repair_text
from cleaning.repair.pagecopy import Span, copy_of, fill
from domain.record import CleaningError

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SIZES = (1, 2, 3, 4, 5, 6, 8)


def real_pages() -> list[Path]:
    found = sorted((DATA / "devset" / "pages").glob("*.html")) + sorted((DATA / "devset" / "negatives").glob("*.html"))
    return found + sorted((DATA / "samples").glob("*.html")) + sorted((DATA / "public").glob("*.html"))


def page_texts(path: Path) -> tuple[list[str], list[str]] | None:
    """``(lines of the stored title and body, the page's other copies)``, or None."""
    raw = path.read_bytes()
    try:
        rec = clean_document(raw)
    except CleaningError:
        return None
    doc = h.parse(decode_bytes(raw).text)
    copies = page_copies(doc) if doc is not None else []
    lines = [t for t in [rec.title, *rec.paragraphs] if t]
    return lines, [c for c in copies if c not in lines]


def measure(step: int) -> tuple[dict[int, Counter[str]], int, int]:
    """Per anchor size: right / wrong / refused restorations; pages, pages with copies."""
    out: dict[int, Counter[str]] = {a: Counter() for a in SIZES}
    pages = with_copies = 0
    for path in real_pages():
        got = page_texts(path)
        if got is None:
            continue
        pages += 1
        lines, copies = got
        if not copies:
            continue
        with_copies += 1
        pool = []
        for c in copies:  # repaired as the chain repairs a page's copies (cleaning.document)
            r = repair_text(c)
            pool.append(copy_of(r.text, r.log, r.kept))
        for line in lines:
            for k in range(1, len(line) - 1, step):
                for n in (1, 2, 3):
                    if k + n >= len(line):
                        continue
                    text, lost = line[:k] + line[k + n :], line[k : k + n]
                    span = Span(k, k, "\ufffd" * n, "replacement_dropped")  # a lost character: one U+FFFD
                    for a in SIZES:
                        done = fill(text, [span], pool, size=a)
                        if not done.events:
                            out[a]["refused"] += 1
                        else:
                            out[a]["right" if done.events[0].after == lost else "wrong"] += 1
    return out, pages, with_copies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step", type=int, default=3, help="drop a span at every STEP-th place")
    args = ap.parse_args()
    out, pages, with_copies = measure(args.step)
    print(f"{pages} real pages cleaned, {with_copies} with another copy of some of their text")
    print("anchor  right  wrong  refused  precision")
    for a, c in out.items():
        done = c["right"] + c["wrong"]
        prec = f"{100 * c['right'] / done:.2f} %" if done else "-"
        print(f"{a:>6}  {c['right']:>5}  {c['wrong']:>5}  {c['refused']:>7}  {prec}")


if __name__ == "__main__":
    main()
