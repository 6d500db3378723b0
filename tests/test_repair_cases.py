"""Data-driven repair cases (tests/data/repair/*.json) and text that must stay unchanged."""

import json
from pathlib import Path

import pytest

from cleaning.repair import is_converted_traditional, repair_text

DATA = Path(__file__).parent / "data" / "repair"
CASES = [c for f in sorted(DATA.glob("*.json")) for c in json.loads(f.read_text(encoding="utf-8"))]
UNCHANGED = [
    ln
    for ln in (DATA / "must_stay_unchanged.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
]

# Which repair kind each case kind must report.
KIND_REPAIRS = {
    "mojibake": "mojibake_latin1",
    "pinyin": "pinyin",
    "t2s": "t2s",
    "fullwidth": "fullwidth_punct",
    "mirror_host": "mirror_host",
    "tear": "gbk_punct_swap",
    "tear_unrepaired": "unrepaired",
}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}:{c['note']}" for c in CASES])
def test_case(case):
    res = repair_text(case["input"])
    assert res.text == case["expected"]
    if case["kind"] in KIND_REPAIRS:
        assert res.repairs.get(KIND_REPAIRS[case["kind"]], 0) > 0, res.repairs
    if case["kind"] == "keep":
        assert res.repairs == {}
    assert all(v > 0 for v in res.repairs.values())


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}:{c['note']}" for c in CASES])
def test_case_idempotent(case):
    once = repair_text(case["input"]).text
    again = repair_text(once)
    # a window left unrepaired is counted again, and stays as it is
    assert again.text == once and set(again.repairs) <= {"unrepaired"}


@pytest.mark.parametrize("line", UNCHANGED)
def test_must_stay_unchanged(line):
    res = repair_text(line)
    assert res.text == line
    assert res.repairs == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("這輪上市所打開的，並不是一個簡單的融資窗口", True),
        ("故宫的乾清宫是明清两代皇帝的寝宫，这部著作很著名。", False),
        ("他后来在皇后大道发表了讲话，乾隆年间的文物也被展出。", False),
        ("MiniMax and Zhipu", False),
    ],
)
def test_is_converted_traditional(text, expected):
    assert is_converted_traditional(text) is expected


def test_caller_decides_traditional_for_short_titles():
    assert repair_text("智譜上市", traditional=True).text == "智谱上市"
    assert repair_text("智譜上市", traditional=False).text == "智譜上市"


def test_mirror_host_given():
    res = repair_text(
        "文章来自nxos.com.cn，原文见http://www.nxos.com.cn/newsDetail_forward_1", mirror_host="www.nxos.com.cn"
    )
    assert "nxos" not in res.text
    assert "www.thepaper.cn/newsDetail_forward_1" in res.text
    assert res.repairs["mirror_host"] == 2
