"""The development set of real pages this project did not write (``tests/data/devset``: each
page's ``repo@commit:path`` and its gold's in ``provenance.tsv``), and the figures of three
extractors on it side by side: ours (``cleaning.document.clean_document``), trafilatura's and
GeneralNewsExtractor's (``gne``).

Columns, each a share in [0, 1]:

* ``body``: similarity of the extracted body to the gold body (F1 of their character-bigram
  multisets, whitespace ignored; a refused page scores 0); on a page whose gold is trafilatura's
  evaluation snippets or a scraper's test asserts instead, the share of its must-have snippets
  found;
* ``chrome_free``: 1 - chrome leak, where the leak of a page is the share (in characters) of its
  visible lines that are not in the gold (navigation, related lists, comment prompts, footers,
  bylines) found again in the extracted body; with snippets, the share of its must-not-have
  snippets found (no figure on a page whose gold has none);
* ``title``, ``time``, ``author``: right on the pages whose gold gives the field (time compared at
  the precision the gold states it: year, month, day, minute; a title may be the gold ``<title>``'s
  headline without the site's name after it; a ``title_in`` gold, which its authors assert
  with ``assertIn``, is right when our title holds it). The gold's ``author`` is the person the page
  credits, its editor (责任编辑) when it names no writer; our record keeps the two apart
  (``author``, ``editor``), so ours is read as its author, else its editor. The peers have one
  field and put whichever they find in it.

Beside them, two counts that must be 0 for ours (``tests/test_eval_gate.py``): ``refused`` real
articles of the set (a page an extractor gives no body for: ours refuses it with a
:class:`~domain.record.CleaningError`), and ``accepted`` negatives (``negatives/``: encyclopedia
entries, lyrics: pages that hold no article) an extractor gives a body for.

Run on its own: ``.venv/bin/python -m tests.devset_eval``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, cache
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "data" / "devset"
COLUMNS = ("body", "chrome_free", "title", "time", "author")
COUNTS = ("refused", "accepted")  # real articles given no body, negatives given one
MIN_CHROME_LINE = 6


@dataclass
class Case:
    key: str
    data: bytes
    gold: dict


@dataclass
class Got:
    body: str = ""
    title: str = ""
    time: str = ""  # "YYYY-MM-DD[ HH:MM]" or ""
    author: str = ""


def cases() -> list[Case]:
    out = []
    for gold in sorted((DEVSET / "gold").glob("*.json")):
        out.append(
            Case(
                gold.stem,
                (DEVSET / "pages" / f"{gold.stem}.html").read_bytes(),
                json.loads(gold.read_text(encoding="utf-8")),
            )
        )
    return out


# ------------------------------------------------------------------ the three extractors
def ours(data: bytes, url: str | None = None) -> Got:
    from cleaning.document import clean_document
    from domain.record import CleaningError

    try:
        rec = clean_document(data, url=url)
    except CleaningError:
        return Got()
    when = rec.published_at.strftime("%Y-%m-%d %H:%M") if rec.published_at else ""
    # the person the page credits: its writer, else its editor (module doc: ``author``)
    return Got(rec.body_text, rec.title, when, rec.author or rec.editor)


@lru_cache(maxsize=256)
def decoded(data: bytes) -> str:
    """The page as text, as our decoder reads it: the peers get the same text as ours, so that
    the columns compare extraction, not decoding (trafilatura's own decoding misreads several
    of the GBK pages)."""
    from cleaning.decode import decode_bytes

    return decode_bytes(data).text


def trafilatura_(data: bytes, url: str | None = None) -> Got:
    import trafilatura

    doc = trafilatura.bare_extraction(
        decoded(data),
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params={"extensive_search": True, "outputformat": "%Y-%m-%d %H:%M"},
    )
    if doc is None:
        return Got()
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    return Got(get("text") or "", get("title") or "", get("date") or "", get("author") or "")


def gne_(data: bytes, url: str | None = None) -> Got:  # gne takes no URL
    from gne import GeneralNewsExtractor

    try:
        res = GeneralNewsExtractor().extract(decoded(data))
    except Exception:  # noqa: BLE001 - a peer that fails on a page scores it empty
        return Got()
    return Got(
        res.get("content") or "", res.get("title") or "", str(res.get("publish_time") or ""), res.get("author") or ""
    )


EXTRACTORS = {"ours": ours, "trafilatura": trafilatura_, "gne": gne_}


# ------------------------------------------------------------------ scoring
_SPACE = re.compile(r"[\s\u3000\xa0]+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text or "")


def body_similarity(got: str, want: str) -> float:
    g, w = _squash(got), _squash(want)
    bg = Counter(g[i : i + 2] for i in range(len(g) - 1))
    bw = Counter(w[i : i + 2] for i in range(len(w) - 1))
    common = sum((bg & bw).values())
    if not common:
        return 0.0
    p, r = common / sum(bg.values()), common / sum(bw.values())
    return 2 * p * r / (p + r)


@lru_cache(maxsize=256)
def visible_lines(data: bytes) -> tuple[str, ...]:
    try:
        doc = lxml_html.document_fromstring(decoded(data))
    except Exception:  # noqa: BLE001
        return ()
    for el in doc.xpath("//script|//style|//noscript|//head"):
        el.drop_tree()
    return tuple(ln for ln in (_squash(x) for x in doc.text_content().splitlines()) if ln)


def chrome_leak(got: str, lines, gold_body: str) -> float:
    """Share of the page's chrome (its visible lines of at least 6 characters that the gold
    body does not hold) found in the extracted body."""
    gold, out = _squash(gold_body), _squash(got)
    chrome = [ln for ln in dict.fromkeys(lines) if len(ln) >= MIN_CHROME_LINE and ln not in gold]
    total = sum(len(ln) for ln in chrome)
    return sum(len(ln) for ln in chrome if ln in out) / total if total else 0.0


_GOLD_TIME = re.compile(r"(\d{4})(?:[-/年.](\d{1,2})(?:[-/月.](\d{1,2})日?(?:\s+(\d{1,2})[:：](\d{2}))?)?)?")


def time_right(got: str, want: str) -> bool:
    """``got`` agrees with ``want`` at ``want``'s precision (year, month, day, minute)."""
    mw, mg = _GOLD_TIME.search(want), _GOLD_TIME.search(got or "")
    if not mg:
        return False
    gw = [g for g in mw.groups() if g is not None]
    gg = [int(g) for g in mg.groups() if g is not None]
    return len(gg) >= len(gw) and gg[: len(gw)] == [int(g) for g in gw]


def gold_time_usable(want: str) -> bool:
    return bool(want) and _GOLD_TIME.match(want.strip()) is not None


_NAME_SEP = re.compile(r"[\s、，,;；/&＆]+")


def _names(text: str) -> set[str]:
    return {n for n in _NAME_SEP.split(re.sub(r"[()（）]", " ", text or "")) if n}


def author_right(got: str, want: str) -> bool:
    return bool(got) and (_names(got) == _names(want) or _squash(got) == _squash(want))


_TITLE_TAIL = re.compile(r"\s*[_|｜@:：\-–—]")


def title_right(got: str, want: str) -> bool:
    """Equal, or ``want`` is a page's ``<title>`` (readability's gold) holding ``got`` followed
    by the site's name after a separator (``_``, ``|``, ``-``, ``@``, ``::``)."""
    g, w = _squash(got), _squash(want)
    if not g:
        return False
    return g == w or (want.startswith(got.strip()) and _TITLE_TAIL.match(want[len(got.strip()) :]) is not None)


def title_holds(got: str, part: str) -> bool:
    """``got`` holds ``part`` (whitespace ignored): the gold of a test that asserts only that
    the title contains it (``title_in``)."""
    return bool(_squash(got)) and _squash(part) in _squash(got)


def snippets_in(snippets: list[str], text: str) -> float:
    """Share of ``snippets`` the text holds (whitespace ignored)."""
    out = _squash(text)
    return sum(1 for sn in snippets if _squash(sn) in out) / len(snippets)


def score(results: list[tuple[Case, Got]]) -> dict[str, float | None]:
    cols: dict[str, list[float]] = {c: [] for c in COLUMNS}
    for case, got in results:
        gold = case.gold
        if "body" in gold:
            cols["body"].append(body_similarity(got.body, gold["body"]))
            cols["chrome_free"].append(1 - chrome_leak(got.body, visible_lines(case.data), gold["body"]))
        elif gold.get("with"):  # snippets (trafilatura's evaluation data, scrapers' test asserts)
            cols["body"].append(snippets_in(gold["with"], got.body))
            if gold.get("without"):
                cols["chrome_free"].append(1 - snippets_in(gold["without"], got.body))
        if gold.get("title"):
            cols["title"].append(float(title_right(got.title, gold["title"])))
        elif gold.get("title_in"):  # a title its authors assert with assertIn: a substring
            cols["title"].append(float(title_holds(got.title, gold["title_in"])))
        if gold_time_usable(gold.get("time", "")):
            cols["time"].append(float(time_right(got.time, gold["time"])))
        if gold.get("author"):
            cols["author"].append(float(author_right(got.author, gold["author"])))
    return {c: (round(sum(v) / len(v), 4) if v else None) for c, v in cols.items()}


def run(names=tuple(EXTRACTORS)) -> dict[str, dict[str, float | None]]:
    """``{extractor: {column: figure}}`` on the whole development set (each extractor's figures
    computed once a process)."""
    return {name: _run_one(name) for name in names}


@cache
def _run_one(name: str) -> dict[str, float | None]:
    results = _results(name)
    return {**score(results), **refusals(name)}


@cache
def _results(name: str) -> list[tuple[Case, Got]]:
    return [(c, EXTRACTORS[name](c.data, c.gold.get("url"))) for c in cases()]


def negatives() -> list[tuple[str, bytes]]:
    """The pages that hold no article (``negatives/``, each with its provenance)."""
    return [(p.name, p.read_bytes()) for p in sorted((DEVSET / "negatives").glob("*.html"))]


def refused_keys(name: str) -> list[str]:
    """The real articles of the set the extractor gives no body for."""
    return [c.key for c, got in _results(name) if not got.body.strip()]


@cache
def accepted_negatives(name: str) -> tuple[str, ...]:
    """The negatives the extractor gives a body for."""
    return tuple(n for n, data in negatives() if EXTRACTORS[name](data).body.strip())


def why_refused(data: bytes, url: str | None = None) -> str | None:
    """Why our cleaner refuses the page, or None (it gives a record)."""
    from cleaning.document import clean_document
    from domain.record import CleaningError

    try:
        clean_document(data, url=url)
    except CleaningError as exc:
        return str(exc)
    return None


def refusals(name: str) -> dict[str, int]:
    return {"refused": len(refused_keys(name)), "accepted": len(accepted_negatives(name))}


def per_page(name: str) -> list[tuple[str, dict]]:
    """Each page's figures for one extractor (to find what to improve)."""
    out = []
    for c in cases():
        got = EXTRACTORS[name](c.data, c.gold.get("url"))
        gold_body = c.gold.get("body") or "\n".join(c.gold.get("with", []))
        out.append(
            (
                c.key,
                {
                    "body": round(body_similarity(got.body, gold_body), 3),
                    "leak": round(chrome_leak(got.body, visible_lines(c.data), gold_body), 3),
                    "time": (got.time, c.gold.get("time")),
                    "author": (got.author, c.gold.get("author")),
                    "title": (got.title[:40], c.gold.get("title") or c.gold.get("title_in")),
                },
            )
        )
    return out


def table(figures: dict[str, dict[str, float | None]]) -> str:
    """The columns, then the counts: real articles refused (of the set's pages), negatives
    accepted (of ``negatives/``)."""
    n, neg = len(cases()), len(negatives())
    head = f"{'devset (' + str(n) + ' pages)':24s}" + "".join(f"{c:>12s}" for c in COLUMNS)
    lines = [head + f"{'refused/' + str(n):>12s}{'accepted/' + str(neg):>13s}"]
    for name, row in figures.items():
        cells = "".join(f"{'n/a' if row[c] is None else format(row[c], '.4f'):>12s}" for c in COLUMNS)
        lines.append(f"{name:24s}{cells}{row.get('refused', ''):>12}{row.get('accepted', ''):>13}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    if len(sys.argv) > 1:
        for key, row in per_page(sys.argv[1]):
            print(key, row)
        if sys.argv[1] == "ours":  # why each refused page (and each negative) is refused
            for c in cases():
                if why := why_refused(c.data, c.gold.get("url")):
                    print("REFUSED", c.key, why)
            for neg, data in negatives():
                print("negative", neg, why_refused(data) or "ACCEPTED")
    else:
        print(table(run()))
