"""The dictionaries of cleaning (``cleaning/vocab.py``): what a page loads, and that the compact
tables answer as jieba's and wordfreq's own files do.

What a page loads is read from the module's own counter (``vocab.LOADS``) in a new process
(a test process has loaded everything already), never from timings.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaning import vocab
from cleaning.repair import wordmodel

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ORDINARY = sorted((DATA / "extract").glob("*.html"))
TORN = DATA / "samples" / "mirror_nxos_newsDetail_forward_32400625.txt"

_PROBE = """
import json, sys
from cleaning.document import clean_document
from cleaning import vocab
for path in sys.argv[1:]:
    rec = clean_document(open(path, "rb").read(), url="https://m.thepaper.cn/newsDetail_forward_32400625")
    print(json.dumps({"repairs": rec.repairs, "keywords": rec.keywords}), file=sys.stderr)
print(json.dumps(dict(vocab.LOADS)))
"""


def loads_after_cleaning(*paths: Path) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(str, paths)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_page_without_damage_loads_no_repair_vocabulary():
    assert len(ORDINARY) >= 4
    loads = loads_after_cleaning(*ORDINARY)
    assert not set(loads) & set(vocab.REPAIR_TABLES), loads
    assert loads.get("idf") == 1  # the keyword stage ran, and opened its table once
    assert all(n == 1 for n in loads.values()), loads  # each table once per process


def test_a_torn_traditional_page_loads_what_its_repair_needs():
    loads = loads_after_cleaning(TORN)
    assert {"words", "usage", "follow", "hmm_B", "hmm_M", "hmm_E", "hmm_S"} <= set(loads), loads
    assert all(n == 1 for n in loads.values()), loads


def _dict_lines(step: int = 101):
    with open(vocab.sources()["dict"], encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if k % step == 0:
                word, freq, *tag = line.split()
                yield word, int(freq), tag[0] if tag else ""


def test_the_word_table_answers_as_jiebas_dictionary():
    seen = 0
    for word, freq, tag in _dict_lines():
        assert wordmodel.word_freq(word) == freq
        assert wordmodel.is_place(word) == (tag == "ns")
        if len(word) > 1:
            assert wordmodel.is_prefix(word[:1])
        seen += 1
    assert seen > 3000
    for absent in ("不在词典里的词", "x", "量子计算机很", ""):
        assert wordmodel.word_freq(absent) == 0
    assert wordmodel.lookup("中华人民") & 1  # a prefix of 中华人民共和国, not a word itself


def test_the_wide_table_has_wordfreqs_words_and_jiebas():
    from wordfreq import get_frequency_dict

    freq = get_frequency_dict("zh", wordlist="large")
    wide = wordmodel._wide()
    for word in ("叶芝", "地铁", "小九九"):  # wordfreq's figure where it has the word
        assert wide.get(word) == math.log(freq[word])
    only_jieba = next(
        w
        for w, f, _ in _dict_lines(7)
        if len(w) >= 2 and f and w not in freq and all("\u4e00" <= c <= "\u9fff" for c in w)
    )
    assert wide.get(only_jieba) == wordmodel.word_logp(only_jieba)
    assert wide.get("不在词典里的词", "absent") == "absent"
    assert wide.get("中华人民共和") is None  # a prefix of a longer word only


def test_the_hmm_tables_answer_as_jiebas_emission_table():
    """jieba's HMM emission table (``finalseg/prob_emit.py``'s ``P``), one table per state: every
    character's log probability as the file writes it, and the word model's boundary figure
    computed from them as from the file."""
    emit = vocab.source_literal(vocab.sources()["emit"], "P")
    assert set(emit) == set(vocab.HMM_STATES)
    for state in vocab.HMM_STATES:
        table = vocab.table(f"hmm_{state}")
        assert all(table.get(ch) == logp for ch, logp in emit[state].items()), state
        assert table.get("\x00") is None
    for ch in ("中", "的", "犇", "a", "\x00"):
        vals = {k: math.exp(emit[k].get(ch, wordmodel.HMM_FLOOR_LOGP)) for k in "BMES"}
        expected = math.log(sum(vals[k] for k in "BE") / sum(vals.values()))
        assert wordmodel.boundary_logp(ch, "BE") == expected


@pytest.mark.parametrize("name", sorted(vocab._TYPECODES))
def test_every_table_opens_once_per_process(name):
    assert vocab.table(name) is vocab.table(name)
    assert vocab.LOADS[name] == 1


def test_a_cache_directory_that_cannot_be_written_is_no_error(tmp_path):
    """The tables are then built into a temporary directory of the process, removed at its exit."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    probe = (
        "from cleaning import vocab; from cleaning.repair import wordmodel; "
        "print(vocab.directory()); print(wordmodel.word_freq('中国'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "THEPAPER_CACHE_DIR": str(blocker / "cache")},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    where, freq = out.stdout.split()
    assert int(freq) == wordmodel.word_freq("中国") > 0
    assert not where.startswith(str(blocker)) and not Path(where).exists()


_CLEAN_AS_TYPED = """
import json, sys
from crawler.cli import main
try:
    code = main(["clean", *sys.argv[1:]])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "scrapy", "twisted", "alembic"})
loaded = {"segmenter": "rjieba" in sys.modules, "metadata": "importlib.metadata" in sys.modules}
print(json.dumps({"code": code, "heavy": heavy, **loaded}), file=sys.stderr)
"""


def clean_as_typed(*args: str) -> tuple[str, dict]:
    """``thepaper-archive clean ARGS`` in a new process: what it printed, and what it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", _CLEAN_AS_TYPED, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    probe = json.loads(out.stderr.strip().splitlines()[-1])
    assert probe["code"] in (0, None) and out.stdout.strip(), out.stderr[-2000:]
    return out.stdout, probe


@pytest.mark.parametrize("page", ORDINARY[:2], ids=lambda p: p.name)
def test_clean_file_of_an_ordinary_page_imports_no_database_or_crawler(page):
    """`clean FILE` reads a page and prints it: the archive's ORM and Scrapy stay unloaded
    (they cost most of a new process's start-up: issue 26's `clean FILE` figure), and so does
    ``importlib.metadata`` (only `--version` reads the installed version)."""
    _, probe = clean_as_typed(str(page))
    assert probe["heavy"] == [] and probe["metadata"] is False, probe


@pytest.mark.parametrize(
    "args, keywords",
    [
        ((), False),
        (("--format", "markdown"), False),
        (("--explain",), False),
        (("--json",), True),
        (("--format", "json"), True),
    ],
    ids=["text", "markdown", "explain", "json", "format-json"],
)
def test_clean_computes_keywords_only_for_the_json_that_prints_them(args, keywords):
    """Text and Markdown print no keywords: the word segmenter (rjieba) stays unloaded and the
    keywords uncomputed; JSON prints them, the same words as the crawl stores."""
    page = DATA / "samples" / "m_thepaper_2017_newsDetail_forward_1787647.html"
    printed, probe = clean_as_typed(str(page), *args)
    assert probe["segmenter"] is keywords, probe
    if keywords:
        from cleaning.document import clean_document

        record = json.loads(printed)
        assert record["keywords"] and record["keywords"] == clean_document(page.read_bytes()).keywords
    else:
        assert "keywords" not in printed
