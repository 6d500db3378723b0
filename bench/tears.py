"""Tear repair (GBK punctuation swap, site notes §6 item 4): speed and accuracy on one corpus.

``python -m bench.tears [--quick]`` measures, in this process:

* **pages**: ``clean_document`` on damaged mirror dumps of mock articles that carry the swap
  (:mod:`bench.damage`: the swap alone, and Traditional + pinyin + swap), on the real nxos
  sample, and on that sample with 1 % of its bytes flipped (``b ^ 0xFF``, one page per seed:
  the worst case, flipped bytes look like tears): pages/s and the slowest page;
* **accuracy**: :func:`cleaning.repair.gbktear.repair_tears` on news paragraphs of the mock
  (Simplified, and Traditional as the mirrors convert them first), damaged by the byte-level
  swap: the share of the original's characters found in place in the repair (flattened
  punctuation folded, as the full-width stage restores it), and the same figure for the
  damaged text left as it is.

``--compare TREE`` runs this benchmark with this tree's code and with ``TREE``'s (a checkout of
another commit, e.g. ``../main-checkout``), each in a process started in its tree, in turn for
``--rounds`` rounds, and prints per round the ratios of pages/s and pages per CPU-second (this /
TREE), both slowest pages, and both accuracy figures (equal unless the repair changed). That the
repaired texts are equal too is :mod:`bench.tears_same`'s check.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import sys
import time
from pathlib import Path

SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "samples"
    / "mirror_nxos_newsDetail_forward_32400625.txt"
)
SAMPLE_URL = "http://www.nxos.com.cn/newsDetail_forward_32400625"
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def restored_share(original: str, repaired: str) -> float:
    """Share of ``original``'s characters found in place in ``repaired`` (full-width folded)."""
    a, b = original.translate(_FOLD), repaired.translate(_FOLD)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(blk.size for blk in sm.get_matching_blocks()) / max(1, len(a))


def flipped(page: bytes, seed: int, share: float = 0.01) -> bytes:
    """``page`` with about ``share`` of its bytes flipped (XOR 0xFF), reproducibly."""
    rnd = random.Random(seed)
    return bytes(b ^ 0xFF if rnd.random() < share else b for b in page)


def _articles(n: int, seed: int = 7):
    from mocksite.dataset import Dataset

    ds = Dataset(max(n, 200), seed, cache_size=n + 64)
    return [ds.article(i) for i in range(n)]


def torn_pages(n_pages: int, n_flipped: int) -> dict[str, list[tuple[str, bytes]]]:
    """The page sets: ``{name: [(url, body)]}``."""
    from bench.damage import damaged_pages

    arts = _articles(n_pages * 3)
    torn = [(url, body, damage) for url, body, damage in damaged_pages(arts) if "gbk_swap" in damage]
    out: dict[str, list[tuple[str, bytes]]] = {}
    for url, body, damage in torn[:n_pages]:
        out.setdefault("mirror: " + "+".join(damage), []).append((url, body))
    if SAMPLE.exists():
        real = SAMPLE.read_bytes()
        out["real sample (nxos)"] = [(SAMPLE_URL, real)]
        out["real sample, 1 % bytes flipped"] = [(SAMPLE_URL, flipped(real, seed)) for seed in range(n_flipped)]
    return out


def time_pages(pages: list[tuple[str, bytes]]) -> dict:
    """``clean_document`` on each page: pages/s, the slowest page and its index."""
    from cleaning.document import clean_document

    times = []
    cpu0 = time.process_time()
    for url, body in pages:
        t0 = time.perf_counter()
        try:
            clean_document(body, url=url)
        except Exception:  # a page the chain refuses still costs its time
            pass
        times.append(time.perf_counter() - t0)
    total = sum(times)
    cpu = time.process_time() - cpu0
    worst = max(range(len(times)), key=times.__getitem__)
    return {
        "pages": len(pages),
        "cpu_s": cpu,  # on a shared machine: pages per CPU-second move less with the load than pages/s
        "seconds": total,
        "pages_per_s": len(pages) / max(total, 1e-9),
        "max_s": times[worst],
        "slowest": worst,
    }


def paragraphs(n: int, seed: int = 13) -> list[str]:
    """``n`` news paragraphs (over 40 characters) of the mock's generated articles."""
    arts = _articles(max(60, n // 3), seed)
    paras = [b.text for a in arts for b in a.blocks if len(getattr(b, "text", "") or "") > 40]
    return random.Random(seed).sample(paras, min(n, len(paras)))


def accuracy(n: int, repair=None) -> dict:
    """Restored share of torn paragraphs (Simplified and Traditional), repaired and not."""
    import opencc

    from bench.damage import gbk_punct_swap
    from cleaning.repair.gbktear import repair_tears

    repair = repair or repair_tears
    s2t = opencc.OpenCC("s2t")
    out = {}
    for name, convert in (("simplified", lambda s: s), ("traditional", s2t.convert)):
        total = ok = left = 0.0
        t0 = time.perf_counter()
        for simplified in paragraphs(n):
            original = convert(simplified)
            broken = gbk_punct_swap(original)
            fixed, _ = repair(broken)
            total += len(original)
            ok += restored_share(original, fixed) * len(original)
            left += restored_share(original, broken) * len(original)
        out[name] = {
            "paragraphs": n,
            "restored": ok / total,
            "unrepaired": left / total,
            "seconds": time.perf_counter() - t0,
        }
    return out


def in_tree(tree: Path, quick: bool) -> dict:
    """This benchmark run by ``tree``'s code (a checkout of another commit), in a process started
    in that tree (its packages first on ``sys.path``): its JSON result."""
    from bench.procs import run_in_tree

    return json.loads(
        run_in_tree(tree, ["-m", "bench.tears", "--json"] + (["--quick"] if quick else []), "bench.tears")
    )


def compared(tree: Path, quick: bool, rounds: int, log=print) -> dict:
    """This tree and ``tree`` run in turn, ``rounds`` times each (interleaved: the load of a shared
    machine moves both alike): per round the ratios this / ``tree`` of all torn pages' pages/s and
    pages per CPU-second, each side's slowest page, and whether the accuracy figures are equal."""
    here = Path(__file__).resolve().parent.parent
    out = []
    for k in range(rounds):
        sides = [("this", here), ("other", Path(tree))]
        got = dict((label, in_tree(path, quick)) for label, path in (sides if k % 2 == 0 else sides[::-1]))
        a, b = got["this"]["pages"]["all torn pages"], got["other"]["pages"]["all torn pages"]
        row = {
            "pages_per_s": (a["pages_per_s"], b["pages_per_s"]),
            "ratio_wall": a["pages_per_s"] / b["pages_per_s"],
            "ratio_cpu": (a["pages"] / a["cpu_s"]) / (b["pages"] / b["cpu_s"]),
            "slowest_s": (a["max_s"], b["max_s"]),
            "accuracy": {
                n: (got["this"]["accuracy"][n]["restored"], got["other"]["accuracy"][n]["restored"])
                for n in got["this"]["accuracy"]
            },
        }
        row["accuracy_equal"] = all(x == y for x, y in row["accuracy"].values())
        log(json.dumps(row))
        out.append(row)
    return {"tree": str(tree), "rounds": out}


def run(n_pages: int = 24, n_flipped: int = 8, n_paragraphs: int = 200, repair=None) -> dict:
    from cleaning.document import clean_document

    sets = torn_pages(n_pages, n_flipped)
    from cleaning.repair.wordmodel import text_logprob

    first = next(iter(sets.values()))[0]
    try:
        clean_document(first[1], url=first[0])  # warm the dictionaries (jieba, opencc)
    except Exception:
        pass
    text_logprob("", wide=True)  # and the lost-byte choice's (wordfreq's list, names): ~1 s once per process
    result = {name: time_pages(pages) for name, pages in sets.items()}
    every = [p for pages in sets.values() for p in pages]
    result["all torn pages"] = {
        "pages": len(every),
        "seconds": sum(r["seconds"] for r in result.values()),
        "max_s": max(r["max_s"] for r in result.values()),
        "cpu_s": sum(r["cpu_s"] for r in result.values()),
    }
    result["all torn pages"]["pages_per_s"] = len(every) / max(result["all torn pages"]["seconds"], 1e-9)
    return {"pages": result, "accuracy": accuracy(n_paragraphs, repair) if n_paragraphs else {}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tears", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="8 pages, 3 flipped copies, 60 paragraphs")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--compare",
        metavar="TREE",
        help="run this tree and TREE (a checkout of another commit) in turn, --rounds times: ratios",
    )
    p.add_argument("--rounds", type=int, default=2, help="with --compare: interleaved rounds (default 2)")
    args = p.parse_args(argv)
    n = (8, 3, 60) if args.quick else (24, 8, 200)
    if args.compare:
        compared(Path(args.compare), args.quick, args.rounds)
        return 0
    res = run(*n)
    if args.json:
        print(json.dumps(res, indent=2, ensure_ascii=False))
        return 0
    for name, r in res["pages"].items():
        print(
            f"{name:<40} {r['pages']:>3} pages  {r['pages_per_s']:8.2f} pages/s  slowest {r['max_s']:.3f} s  "
            f"{r['pages'] / max(r['cpu_s'], 1e-9):8.2f} pages/CPU-s"
        )
    for name, r in res["accuracy"].items():
        print(
            f"accuracy {name:<31} {r['restored']:.5f} restored (unrepaired {r['unrepaired']:.5f}), "
            f"{r['paragraphs']} paragraphs in {r['seconds']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
