"""The tear repair's answers on a small fixed corpus are those it gave before its speed-ups
(``tests/data/tears/tear_answers.json``, written by ``python -m bench.tears_same --fixture``
with the code of main before issue 26's tear work): a faster search, a faster diff of the
repair log, a cache, may not change one character of a repaired text, a count or an event.

If a change of the answers is intended (a better repair), write the fixture again with
``python -m bench.tears_same --against . --fixture tests/data/tears/tear_answers.json`` and
say why in the commit."""

import base64
import gzip
import json
from pathlib import Path

import pytest

from bench.tears_same import REPAIRED_FIELDS, record_digest
from cleaning.document import clean_document
from cleaning.repair import repair_text
from cleaning.repair.gbktear import repair_tears_explained

FIXTURE = json.loads((Path(__file__).parent / "data" / "tears" / "tear_answers.json").read_text(encoding="utf-8"))
PAGES = FIXTURE["pages"]
TEXTS = FIXTURE["texts"]


def _canonical(value):
    """As the fixture's writer stored it: through JSON (tuples become lists, dates strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def test_the_fixture_covers_every_kind_of_torn_text():
    kinds = {p["name"].rsplit(" #", 1)[0] for p in PAGES}
    assert kinds == {
        "mirror: gbk_swap",
        "mirror: traditional+pinyin+gbk_swap",
        "real sample (nxos)",
        "real sample, 1 % bytes flipped",
    }
    assert {t["name"].split(" ")[0] for t in TEXTS} == {"simplified", "traditional"}
    # the answers are real repairs: texts rewritten, windows left unrepaired, lost bytes chosen
    assert sum(t["tears"][0] != t["text"] for t in TEXTS) >= len(TEXTS) // 2
    assert any(p["repairs"].get("gbk_punct_swap") for p in PAGES)
    assert any(p["repairs"].get("unrepaired") for p in PAGES)
    assert any(p["repairs"].get("pinyin") for p in PAGES)
    assert any(p["repairs"].get("undecodable_bytes") for p in PAGES)


@pytest.mark.parametrize("case", TEXTS, ids=[t["name"] for t in TEXTS])
def test_a_torn_paragraph_is_repaired_as_before(case):
    fixed, counts, events = repair_tears_explained(case["text"])
    assert _canonical([fixed, counts, [e.to_dict() for e in events]]) == case["tears"]
    res = repair_text(case["text"])
    assert _canonical([res.text, res.repairs, [e.to_dict() for e in res.log]]) == case["chain"]


@pytest.mark.parametrize("page", PAGES, ids=[p["name"] for p in PAGES])
def test_a_torn_page_is_cleaned_as_before(page):
    body = gzip.decompress(base64.b64decode(page["body_gz_b64"]))
    record = _canonical(clean_document(body, url=page["url"]).to_dict())
    assert record["repairs"] == page["repairs"]
    assert len(record["repair_log"]) == page["log_events"]
    assert record_digest(record) == page["record_sha256"], f"{REPAIRED_FIELDS} changed"


def test_a_changed_answer_is_noticed():
    """The digest sees one character of one paragraph, and one event's offset."""
    page = next(p for p in PAGES if p["name"].startswith("real sample (nxos)"))
    record = _canonical(
        clean_document(gzip.decompress(base64.b64decode(page["body_gz_b64"])), url=page["url"]).to_dict()
    )
    assert record_digest(record) == page["record_sha256"]
    changed = json.loads(json.dumps(record))
    last = changed["paragraphs"][-1]
    changed["paragraphs"][-1] = last[:-1] + ("甲" if last[-1] != "甲" else "乙")
    moved = json.loads(json.dumps(record))
    moved["repair_log"][0]["offset"] += 1
    for other in (changed, moved):
        assert record_digest(other) != page["record_sha256"]
