"""Whether two versions of the code clean the same pages into the same records, byte for byte.

    .venv/bin/python -m bench.samerecords --before DIR [--pages 400] [--damaged 24]
    .venv/bin/python -m bench.samerecords --dump OUT.jsonl     # this tree's records only

The pages: the first ``--pages`` article pages of the mock site rendered without a server
(every layout it serves), every page of the development set (``tests/data/devset``: pages and
negatives), the layout fixtures and real samples of ``tests/data`` (extract, samples), and
``--damaged`` mirror dumps of mock articles (Traditional, pinyin, the GBK swap: the repair
paths) with a few UTF-8 pages misread as windows-1252. Each page becomes one JSON line: the
whole record (:meth:`domain.record.ArticleRecord.to_dict`: body, title, time, author, source,
keywords, repair counts and log, every other field) or the error the chain raised (its class
and message). With ``--before`` (a checkout of older code: ``git archive REV | tar -x -C DIR``)
both trees dump in a new process each (the tree's packages first on the path, this file as
the harness) and the lines are compared; the exit code is 1 when any differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # run as a file (the tree's packages on PYTHONPATH): bench/storage.py is not storage
#: The mock data set's "now": fixed, so that a dump is the same on every day.
MOCK_NOW = datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=8)))


@contextmanager
def _harness() -> Iterator[None]:
    """Imports of this tree's harness (``bench``), whichever tree's packages clean."""
    sys.path.insert(0, str(ROOT))
    try:
        yield
    finally:
        sys.path.pop(0)


def _mock(n: int) -> list[tuple[str, str, bytes]]:
    with _harness():
        from bench.cleanratio import mock_pages
    return [(f"mock {url.rsplit('_', 1)[1]}", url, body) for url, body in mock_pages(n, 7, MOCK_NOW)]


def _damaged(n: int) -> list[tuple[str, str, bytes]]:
    """``n`` mirror dumps (bench.damage's mechanisms in turn) and misread copies of a few."""
    with _harness():
        from bench.damage import damaged_pages, utf8_read_as
    from mocksite.dataset import Dataset

    ds = Dataset(400, 11, now=MOCK_NOW)
    arts = [ds.article(i) for i in range(len(ds))][: n * 2]
    out = [(f"damaged {'+'.join(d)} {url}", url, body) for url, body, d in damaged_pages(arts)[:n]]
    for art in arts[-n // 4 :] if n >= 4 else []:
        if art.expected_paragraphs:
            text = "\n".join([art.title, *art.expected_paragraphs])
            misread = utf8_read_as(text, "whatwg-1252").encode("utf-8")
            out.append(
                (f"misread {art.cont_id}", f"http://mirror.example.com/newsDetail_forward_{art.cont_id}", misread)
            )
    return out


def _files(tree: Path) -> list[tuple[str, str | None, bytes]]:
    data = tree / "tests" / "data"
    paths = sorted((data / "devset" / "pages").glob("*.html")) + sorted((data / "devset" / "negatives").glob("*.html"))
    paths += sorted((data / "extract").iterdir()) + sorted((data / "samples").iterdir())
    out = []
    for p in paths:
        if p.suffix in (".md", ".tsv"):
            continue
        digits = "".join(c for c in p.stem.rsplit("_", 1)[-1] if c.isdigit())
        url = f"https://www.thepaper.cn/newsDetail_forward_{digits}" if "forward" in p.stem and digits else None
        out.append((str(p.relative_to(tree)), url, p.read_bytes()))
    return out


def pages(tree: Path, n_mock: int, n_damaged: int) -> list[tuple[str, str | None, bytes]]:
    """(key, URL, body) of every page compared."""
    return _mock(n_mock) + _files(tree) + _damaged(n_damaged)


#: The small fixed page set of ``tests/test_clean_records_fixed.py``: pages kept as files (mock
#: pages of every layout and damaged copies, written by :func:`write_fixed_pages`), the layout
#: fixtures, the real samples and a few development-set pages; their records in ``FIXED_RECORDS``.
FIXED_DIR = ROOT / "tests" / "data" / "records"
FIXED_RECORDS = FIXED_DIR / "expected.jsonl"
_FIXED_MOCK = (0, 1, 4, 5, 6, 48, 49, 50, 51, 52, 53, 56, 60, 64, 70)  # of the first 91 articles' pages
_FIXED_DEVSET = ("cwced-05e98007", "cwced-064b591b", "cwced-0d931936")


def write_fixed_pages() -> None:
    """The fixed set's generated pages, as files under ``FIXED_DIR/pages``."""
    out = FIXED_DIR / "pages"
    out.mkdir(parents=True, exist_ok=True)
    mock = _mock(91)
    for k in _FIXED_MOCK:
        (out / f"mock_newsDetail_forward_{mock[k][0].split()[1]}.html").write_bytes(mock[k][2])
    # a byte lost from the JSON copy of a Next.js body: its rendered copy restores it (Copies.later)
    body = mock[-1][2]
    at = body.index(b'"content":"') + 200
    while body[at] < 0xE0:  # the lead byte of a three-byte character
        at += 1
    name = mock[-1][0].split()[1]
    (out / f"lostbyte_newsDetail_forward_{name}.html").write_bytes(body[: at + 1] + body[at + 2 :])
    for k, (_, url, body) in enumerate(_damaged(4)):
        (out / f"damaged_{k}_newsDetail_forward_{url.rsplit('_', 1)[1]}.txt").write_bytes(body)


def fixed_pages(tree: Path = ROOT) -> list[tuple[str, str | None, bytes]]:
    """(key, URL, body) of the fixed set."""
    data = tree / "tests" / "data"
    paths = sorted((data / "records" / "pages").iterdir()) + sorted((data / "extract").iterdir())
    paths += sorted(p for p in (data / "samples").iterdir() if p.suffix != ".md")
    paths += [data / "devset" / "pages" / f"{k}.html" for k in _FIXED_DEVSET]
    out = []
    for p in paths:
        digits = "".join(c for c in p.stem.rsplit("_", 1)[-1] if c.isdigit())
        host = "www.thepaper.cn" if not p.name.startswith(("damaged", "mirror")) else "mirror.example.com"
        url = f"https://{host}/newsDetail_forward_{digits}" if "forward" in p.stem and digits else None
        out.append((str(p.relative_to(tree)), url, p.read_bytes()))
    return out


def record_line(key: str, url: str | None, body: bytes) -> str:
    """The page's record (or the chain's error) as one JSON line."""
    from cleaning.document import clean_document
    from domain.record import CleaningError

    try:
        got: dict = {"record": clean_document(body, url=url).to_dict()}
    except CleaningError as e:
        got = {"error": type(e).__name__, "message": str(e)}
    return json.dumps({"page": key, **got}, ensure_ascii=False, sort_keys=True, default=str)


def dump(out: Path, n_mock: int, n_damaged: int, tree: Path = ROOT) -> int:
    lines = [record_line(*page) for page in pages(tree, n_mock, n_damaged)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def differences(before: list[str], after: list[str]) -> list[str]:
    """What differs between two dumps: one line per page (and field) that is not the same."""
    out = []
    if len(before) != len(after):
        out.append(f"{len(before)} pages before, {len(after)} after")
    for a, b in zip(before, after):
        if a == b:
            continue
        da, db = json.loads(a), json.loads(b)
        ra, rb = da.get("record") or da, db.get("record") or db
        fields = sorted(k for k in set(ra) | set(rb) if ra.get(k) != rb.get(k))
        out.append(f"{da['page']}: {', '.join(fields) or 'order'}")
    return out


def _dump_in(tree: Path, out: Path, n_mock: int, n_damaged: int) -> None:
    from bench.procs import run_in_tree

    args = [str(Path(__file__).resolve()), "--dump", str(out), "--tree", str(tree)]
    run_in_tree(tree, args + ["--pages", str(n_mock), "--damaged", str(n_damaged)], "bench.samerecords")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.samerecords", description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, help="a checkout of older code to compare this tree with")
    p.add_argument("--dump", type=Path, help="write this tree's records here and stop")
    p.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    p.add_argument("--pages", type=int, default=400, help="mock article pages (default 400)")
    p.add_argument("--damaged", type=int, default=24, help="damaged mirror pages (default 24)")
    p.add_argument("--keep", type=Path, help="with --before: keep both dumps in this directory")
    p.add_argument(
        "--update-fixed",
        action="store_true",
        help=f"write this tree's records of the fixed set to {FIXED_RECORDS.relative_to(ROOT)}",
    )
    args = p.parse_args(argv)
    if args.update_fixed:
        FIXED_RECORDS.write_text("".join(record_line(*page) + "\n" for page in fixed_pages()), encoding="utf-8")
        return 0
    if args.dump:
        print(f"{dump(args.dump, args.pages, args.damaged, args.tree.resolve())} records", file=sys.stderr)
        return 0
    if args.before is None:
        p.error("give --before DIR or --dump FILE")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        dumps = []
        for label, tree in (("before", args.before.resolve()), ("after", ROOT)):
            _dump_in(tree, where / f"{label}.jsonl", args.pages, args.damaged)
            dumps.append((where / f"{label}.jsonl").read_text(encoding="utf-8").splitlines())
    diff = differences(*dumps)
    print(f"{len(dumps[1])} records compared: " + ("identical" if not diff else f"{len(diff)} differ"))
    for line in diff:
        print("  " + line)
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
