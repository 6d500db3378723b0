"""The cleaner gives the stored records of a small fixed page set byte for byte
(``tests/data/records``: mock pages of every layout, a Next.js page that lost a byte, damaged
mirror dumps, the layout fixtures, the real samples, three development-set pages). A speed-up
must not change a record; a change that means to (``python -m bench.samerecords --update-fixed``)
shows here which pages and fields it changed. The same comparison on 400 mock pages and the
whole development set, between two trees: ``python -m bench.samerecords --before DIR``."""

import json

import pytest

from bench.samerecords import FIXED_RECORDS, differences, fixed_pages, record_line

EXPECTED = {json.loads(line)["page"]: line for line in FIXED_RECORDS.read_text(encoding="utf-8").splitlines()}
PAGES = fixed_pages()


def test_the_set_covers_every_layout_the_repairs_and_the_page_copies():
    records = [json.loads(line).get("record") for line in EXPECTED.values()]
    assert {k for k, _, _ in PAGES} == set(EXPECTED)
    assert {r["layout"] for r in records if r} >= {"nextjs", "desktop_old", "mobile_2017", "api_json", "text_dump"}
    assert {r["layout"] for r in records if r} >= {"unknown"}
    assert any(r and r["content_type"] == "gone" for r in records)
    rules = {e["rule"] for r in records if r for e in r["repair_log"]}
    assert {"page_copy", "t2s", "gbk_tear"} <= rules, rules
    assert all(r is None or r["content_type"] == "gone" or r["keywords"] for r in records)


@pytest.mark.parametrize("key, url, body", PAGES, ids=[p[0].rsplit("/", 1)[-1] for p in PAGES])
def test_the_record_is_the_stored_one(key, url, body):
    got = record_line(key, url, body)
    assert got == EXPECTED[key], differences([EXPECTED[key]], [got])


def test_differences_name_the_page_and_the_fields():
    line = next(iter(EXPECTED.values()))
    changed = json.loads(line)
    changed["record"]["keywords"] = list(reversed(changed["record"]["keywords"]))
    changed["record"]["title"] += "!"
    other = json.dumps(changed, ensure_ascii=False, sort_keys=True)
    assert differences([line], [line]) == []
    assert differences([line], [other]) == [f"{changed['page']}: keywords, title"]
    assert differences([line, line], [line]) == ["2 pages before, 1 after"]
