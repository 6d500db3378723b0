"""The tear repair's answers, compared between two trees: a speed-up must not change any.

``python -m bench.tears_same --against TREE [--quick]`` builds the corpus of :mod:`bench.tears`
once (the torn pages: damaged mirror dumps, the nxos sample and its flipped copies; the torn
accuracy paragraphs, Simplified and Traditional), then has each tree (this one and ``TREE``, a
checkout of another commit, e.g. ``../main-checkout``) clean it in a process of its own, started in
that tree so that it imports that tree's packages: every page's whole record
(``clean_document``, repair log included) and every paragraph's ``repair_tears_explained``
(text, counts, events) and ``repair_text`` (text, counts, log), one JSON line each. Prints how
many lines were compared and the first that differ; exits 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Run in the tree compared (its working directory first on ``sys.path``): reads the pickled
#: corpus (argv[1]), writes one JSON line per answer (argv[2]).
CHILD = r"""
import json, pickle, sys
from cleaning.document import clean_document
from cleaning.repair import repair_text
from cleaning.repair.gbktear import repair_tears_explained

corpus = pickle.load(open(sys.argv[1], "rb"))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    def put(key, value):
        out.write(json.dumps({"key": key, "value": value}, ensure_ascii=False, sort_keys=True, default=str) + "\n")
    for name, url, body in corpus["pages"]:
        try:
            put(name, clean_document(body, url=url).to_dict())
        except Exception as exc:
            put(name, {"error": type(exc).__name__, "message": str(exc)})
    for name, text in corpus["texts"]:
        fixed, counts, events = repair_tears_explained(text)
        put(name + " tears", [fixed, counts, [e.to_dict() for e in events]])
        res = repair_text(text)
        put(name + " chain", [res.text, res.repairs, [e.to_dict() for e in res.log]])
"""


def corpus(quick: bool) -> dict:
    """``{"pages": [(name, url, body)], "texts": [(name, torn text)]}``: :mod:`bench.tears`'s."""
    import opencc

    from bench.damage import gbk_punct_swap
    from bench.tears import paragraphs, torn_pages

    n_pages, n_flipped, n_paragraphs = (8, 3, 60) if quick else (24, 8, 200)
    pages = [
        (f"{name} #{k}", url, body)
        for name, items in torn_pages(n_pages, n_flipped).items()
        for k, (url, body) in enumerate(items)
    ]
    s2t = opencc.OpenCC("s2t")
    texts = []
    for k, simplified in enumerate(paragraphs(n_paragraphs)):
        texts.append((f"simplified #{k}", gbk_punct_swap(simplified)))
        texts.append((f"traditional #{k}", gbk_punct_swap(s2t.convert(simplified))))
    return {"pages": pages, "texts": texts}


def fixture_corpus() -> dict:
    """A small fixed corpus for ``tests/test_tear_answers.py``: the nxos sample and two flipped
    copies, two torn mirror dumps of each kind, eight torn paragraphs of each script."""
    full = corpus(quick=True)
    kinds: dict[str, int] = {}
    pages = []
    for name, url, body in full["pages"]:
        kind = name.rsplit(" #", 1)[0]
        if kinds.get(kind, 0) < 2:
            kinds[kind] = kinds.get(kind, 0) + 1
            pages.append((name, url, body))
    texts = [t for t in full["texts"] if int(t[0].rsplit("#", 1)[1]) < 8]
    return {"pages": pages, "texts": texts}


#: The fields of a record the repair decides (the fixture's digest: keywords or the cleaner's
#: version may change without the repair changing).
REPAIRED_FIELDS = ("title", "summary", "paragraphs", "repairs", "repair_log")


def record_digest(record: dict) -> str:
    """SHA-256 of the canonical JSON of a record's :data:`REPAIRED_FIELDS` (as :data:`CHILD`
    writes them): the fixture keeps a digest (the nxos sample's repair log alone is 140 KB)."""
    import hashlib

    repaired = {k: record.get(k) for k in REPAIRED_FIELDS}
    canonical = json.dumps(repaired, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_fixture(tree: Path, out: Path) -> None:
    """The fixed corpus and ``tree``'s answers to it, as ``tests/data/tears/tear_answers.json``."""
    import base64
    import gzip

    fixed = fixture_corpus()
    with tempfile.TemporaryDirectory(prefix="tears-same-") as tmp:
        corpus_file = Path(tmp) / "corpus.pickle"
        corpus_file.write_bytes(pickle.dumps(fixed))
        got = {r["key"]: r["value"] for r in answers(tree, corpus_file, Path(tmp) / "answers.jsonl")}
    doc = {
        "provenance": (
            "python -m bench.tears_same --fixture: bench.tears's corpus (mock mirror dumps of bench.damage, "
            "the nxos sample of tests/data/samples and copies with 1 % of bytes flipped, torn news paragraphs "
            f"of the mock); the answers of the tree {tree} at the time of writing (h-tears, issue 26)"
        ),
        "pages": [
            {
                "name": name,
                "url": url,
                "body_gz_b64": base64.b64encode(gzip.compress(body, mtime=0)).decode(),
                "repairs": got[name].get("repairs"),
                "log_events": len(got[name].get("repair_log", [])),
                "record_sha256": record_digest(got[name]),
            }
            for name, url, body in fixed["pages"]
        ],
        "texts": [
            {"name": name, "text": text, "tears": got[name + " tears"], "chain": got[name + " chain"]}
            for name, text in fixed["texts"]
        ],
    }
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def answers(tree: Path, corpus_file: Path, out: Path) -> list[dict]:
    """The answers of ``tree``'s code on the pickled corpus."""
    from bench.procs import run_in_tree

    run_in_tree(tree, ["-c", CHILD, str(corpus_file), str(out)], "bench.tears_same")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def compare(mine: list[dict], theirs: list[dict]) -> list[str]:
    """The keys whose answers differ (or that one side lacks)."""
    a = {r["key"]: r["value"] for r in mine}
    b = {r["key"]: r["value"] for r in theirs}
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tears_same", description=__doc__.split("\n\n")[0])
    p.add_argument("--against", required=True, metavar="TREE", help="the other checkout (e.g. ../main-checkout)")
    p.add_argument("--quick", action="store_true", help="bench.tears --quick's corpus")
    p.add_argument("--fixture", metavar="OUT", help="write TREE's answers to the small fixed corpus to OUT instead")
    args = p.parse_args(argv)
    if args.fixture:
        write_fixture(Path(args.against), Path(args.fixture))
        return 0
    with tempfile.TemporaryDirectory(prefix="tears-same-") as tmp:
        corpus_file = Path(tmp) / "corpus.pickle"
        corpus_file.write_bytes(pickle.dumps(corpus(args.quick)))
        mine = answers(ROOT, corpus_file, Path(tmp) / "mine.jsonl")
        theirs = answers(Path(args.against), corpus_file, Path(tmp) / "theirs.jsonl")
    differ = compare(mine, theirs)
    print(f"{len(mine)} answers of this tree, {len(theirs)} of {args.against}: {len(differ)} differ")
    for key in differ[:10]:
        print("  differs:", key)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
