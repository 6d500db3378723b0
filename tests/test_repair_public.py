"""The field's public test data (tests/data/public, see its PROVENANCE.md): OpenCC's own cases
converted to Simplified, forced through the repair's Traditional stage, and ftfy's cases that
must stay unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaning.repair import repair_text

DATA = Path(__file__).parent / "data" / "public"
TO_SIMPLIFIED = ("t2s", "tw2s", "tw2sp", "hk2s")


def opencc_cases() -> list[tuple[str, str, tuple[str, ...]]]:
    cases = json.loads((DATA / "opencc_testcases.json").read_text(encoding="utf-8"))["cases"]
    out = []
    for c in cases:
        wanted = tuple(dict.fromkeys(v for k, v in c["expected"].items() if k in TO_SIMPLIFIED))
        if wanted:
            out.append((c["id"], c["input"], wanted))
    return out


def ftfy_unchanged() -> list[tuple[str, str]]:
    out = []
    for name in ("negative", "in-the-wild", "synthetic"):
        for c in json.loads((DATA / f"ftfy_{name}.json").read_text(encoding="utf-8")):
            if c.get("expect") == "pass" and c["original"] == c.get("fixed-encoding", c["fixed"]):
                out.append((f"{name}: {c['label']}", c["original"]))
    return out


OPENCC = opencc_cases()
FTFY = ftfy_unchanged()
#: OpenCC cases the forced conversion may miss (issue 25: at least 53 of 55 right).
OPENCC_MAY_MISS = 2


def test_the_data_is_what_the_provenance_says():
    assert len(OPENCC) == 55
    assert len(FTFY) == 48


def test_opencc_forced_traditional_to_simplified():
    missed = [
        (cid, text, repair_text(text, traditional=True).text, wanted)
        for cid, text, wanted in OPENCC
        if repair_text(text, traditional=True).text not in wanted
    ]
    assert len(missed) <= OPENCC_MAY_MISS, missed


@pytest.mark.parametrize("label, text", FTFY, ids=[f[0][:60] for f in FTFY])
def test_ftfy_negative_cases_stay(label, text):
    res = repair_text(text)
    assert res.text == text, label
