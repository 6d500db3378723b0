"""The benchmark runs end to end on a tiny size and writes every section of its
report (so that it cannot rot). No timing is asserted: only that each figure is
there, is a number, and that the crawls stored what the mock served."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.damage import VARIANTS, add_pinyin, damaged_pages, gbk_punct_swap, to_traditional
from mocksite.dataset import Dataset

ROOT = Path(__file__).resolve().parent.parent


def _number(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x >= 0


# a whole bench run: pytest-timeout's 300 s is a hang guard for one test, too short for it on a
# busy machine (733 s at load 20); the guard here is the run's own 1,700 s timeout
@pytest.mark.timeout(1800)
def test_bench_quick_run_writes_every_section(tmp_path):
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--sizes",
            "40,80",
            "--sample",
            "5",
            "--clean-pages",
            "10",
            "--damaged",
            "1",
            "--scaleout",
            "60,30",
            "--readers",
            "0",
            "--pairs",
            "2",
            "--tears",
            "2,1,4",
            "--output",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert _number(r["scrapy_bench"].get("pages_per_s")), r["scrapy_bench"]  # run outside the tree
    assert set(r["crawls"]) == {"40", "80"}
    for n, entry in r["crawls"].items():
        assert len(entry["pairs"]) == 2  # ceiling and crawl interleaved, pair by pair
        for pair in entry["pairs"]:
            crawl, ceiling = pair["crawl"], pair["ceiling"]
            assert crawl["article_pages"] == ceiling["article_pages"] > 0  # same pages, with and without pipelines
            assert crawl["stored"] >= crawl["article_pages"] - crawl["failed"]
            for side in (crawl, ceiling):
                for key in ("articles_per_s", "responses_per_s", "peak_rss_mb", "mock_busy", "mock_ceiling_per_s"):
                    assert _number(side[key]), (n, key, side[key])
            assert _number(pair["ratio"])
        ratio = entry["ratio_to_ceiling"]
        assert ratio["min"] <= ratio["median"] <= ratio["max"] and ratio["n"] == 2
        st = entry["storage"]
        if n == "40":  # the smaller size: the ceiling beside a busy process, pair by pair
            co = entry["corun"]
            assert len(co["pairs"]) == 2 and all(_number(p["ratio"]) and p["neighbour_busy"] > 0 for p in co["pairs"])
            assert co["ratio"]["min"] <= co["ratio"]["median"] <= co["ratio"]["max"]
        else:
            assert "corun" not in entry
        assert st["articles"] == entry["pairs"][-1]["crawl"]["stored"] and st["raw_compression_ratio"] > 1
    bound = r["crawl_bound"]  # the CPU per article between the two sizes, and what it allows
    assert set(bound) == {"skipped"} or (_number(bound["ratio_to_ceiling"]) and bound["cpus"] == r["cpus"])
    assert r["reprocess"]["articles"] > 0 and _number(r["reprocess"]["ratio_to_trafilatura"])
    assert r["side_by_side"]["ours"]["pages"] == r["side_by_side"]["trafilatura"]["pages"] > 0
    assert r["cleaning"]["mock pages"]["pages"] > 0
    for page in r["clean_file"].values():  # `clean FILE` in a new process: time and memory
        assert _number(page["cpu_s"]) and page["peak_rss_mb"] > 0
    assert any(k.startswith("mirror: ") for k in r["cleaning"])
    assert _number(r["memory"]["crawl_large_mb"])
    assert r["decode"]["random bytes"]["bytes"] == 16 << 20 and _number(r["decode"]["random bytes"]["seconds"])
    assert r["decode"]["GB18030 article, declared big5"]["encoding"] == "gb18030"
    rc = r["raw_codecs"]
    for key in ("bytes_per_article_gain",):
        assert _number(rc[key])
    assert rc["compacted"]["raw_ratio"] > rc["before"]["raw_ratio"] > 1
    assert rc["read"]["pages"] > 0 and rc["large_pages"]["pages"] > 0 and _number(rc["large_pages"]["read_speedup"])
    tears = r["tears"]
    assert tears["pages"]["real sample (nxos)"]["pages"] == 1 and _number(tears["pages"]["all torn pages"]["max_s"])
    assert 0 < tears["accuracy"]["traditional"]["restored"] <= 1 and tears["accuracy"]["simplified"]["paragraphs"] == 4
    exports = r["backfill"]["exports"]
    assert set(exports) == {"40", "80", "growth"}  # every format on both archives, memory growth between them
    for fmt in ("jsonl", "csv", "xlsx", "parquet", "warc"):
        assert _number(exports["80"][fmt]["peak_rss_mb"]) and exports["80"][fmt]["bytes"] > 0
    imported = r["backfill"]["warc_import"]  # our own WARC export, imported into a new archive,
    assert imported["articles"] == exports["80"]["articles"] > 0  # gives back every article (list-only ones too)
    assert (
        _number(imported["import_over_warcio"])
        and imported["reprocess"]["articles"] == r["crawls"]["80"]["pairs"][-1]["crawl"]["article_pages"]
    )
    for name, so in r["scale_out"].items():  # redis-server comes with the test command
        runs = so[name]["runs"]
        assert set(runs) == {"1", "3"} and runs["1"]["stored"] == runs["3"]["stored"] > 0
        assert _number(so[name]["speedup"])
    for row in (
        "full crawl into SQLite",
        "engine ceiling",
        "engine ceiling beside a process cleaning pages",
        "CPU per article between the sizes",
        "reprocess",
        "cleaning",
        "clean FILE",
        "decode",
        "tears",
        "memory",
        "scale-out",
        "WARC import",
        "export peak RSS growth",
    ):
        assert row in proc.stdout


def test_gbk_punct_swap_tears_by_bytes():
    # ，(A3 AC) becomes ',' ; 模 (C4 A3) loses its trail byte to the next pair: torn, not kept
    assert gbk_punct_swap("你好，世界") == "你好,世界"
    assert gbk_punct_swap("没有标点") == "没有标点"
    torn = gbk_punct_swap("规模化")
    assert torn != "规模化" and torn.startswith("规")


def test_pinyin_and_traditional():
    assert to_traditional("产业链") == "產業鏈"
    assert add_pinyin("产业链", "產業鏈", every=1) == "產(chǎn)業(yè)鏈(liàn)"
    assert add_pinyin("产业", "產業鏈", every=1) == "產業鏈"  # lengths differ: left alone


def test_damaged_pages_take_the_variants_in_turn():
    ds = Dataset(60, 2)
    pages = damaged_pages([ds.article(i) for i in range(10, 40)])
    assert [d for _, _, d in pages[: len(VARIANTS)]] == list(VARIANTS)
    for url, body, _ in pages:
        assert "/newsDetail_forward_" in url and body.decode("utf-8").splitlines()[0].count("|") >= 3


def test_bench_readers_figure_runs(tmp_path):
    """bench/readers.py end to end on a tiny crawl: both runs, every reader ran and none failed."""
    import os

    import pytest

    from tests.conftest import PG_URL, pg_database

    if not PG_URL:
        pytest.skip("needs THEPAPER_TEST_PG_URL")
    env = {**os.environ, "THEPAPER_BENCH_PG_URL": pg_database("bench"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.readers", "run", "--articles", "40", "--pairs", "1", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout)
    assert [run["readers"] for run in r["runs"]] == [0, 3]
    assert all(_number(run["articles_per_s"]) and run["article_pages"] > 0 for run in r["runs"])
    assert r["reader_failures"] == 0 and set(r["runs"][1]["reader_runs"]) == {"stats", "export", "search"}
    assert _number(r["median_ratio"])


def test_bench_analysis_writes_every_figure(tmp_path):
    """``python -m bench.analysis`` on a tiny archive: every figure is there and is a number."""
    out = tmp_path / "analysis.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.analysis", "--articles", "60", "--repeat", "1", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert set(r["export"]) == {"jsonl", "csv", "parquet", "xlsx", "csv --excel"}
    for f in r["export"].values():
        assert f["rows"] == 60 and _number(f["rows_per_s"]) and _number(f["ratio_to_jsonl"])
    assert _number(r["search"]["filters"]["ratio"])
    for q, f in r["search"].items():
        if q != "filters":
            assert _number(f["forms_ratio"]) and f["hits_with_forms"] >= max(f["hits_as_typed"], f["hits_simplified"])
