"""Exports: every format read back and compared with the archive, column and date
arguments, stdout, and batching (constant memory)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pyarrow.parquet as pq
import pytest

from crawler.cli import main
from storage.export import COLUMNS, ExportError, export, iter_batches, parse_bound, parse_columns
from storage.models import Article
from storage.types import SHANGHAI
from tests.test_analysis_data import ARTICLES, GONE_ID, filled  # noqa: F401


# ----------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    "spec,out",
    [
        (None, list(COLUMNS)),
        ("", list(COLUMNS)),
        ("cont_id,title", ["cont_id", "title"]),
        (" tags , published_at ", ["tags", "published_at"]),
    ],
)
def test_parse_columns(spec, out):
    assert parse_columns(spec) == out


@pytest.mark.parametrize("spec,needle", [("cont_id,nope", "nope"), ("body", "body"), ("title,title", "twice")])
def test_parse_columns_rejects(spec, needle):
    with pytest.raises(ExportError, match=needle):
        parse_columns(spec)


@pytest.mark.parametrize(
    "value,end,out",
    [
        ("2026-03-01", False, datetime(2026, 3, 1, tzinfo=SHANGHAI)),
        ("2026-03-01", True, datetime(2026, 3, 2, tzinfo=SHANGHAI)),  # --until day is inclusive
        ("2026-03-01T08:30:00", False, datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI)),
        ("2026-03-01T00:30:00+00:00", True, datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI)),
        (None, False, None),
        ("  ", True, None),
    ],
)
def test_parse_bound(value, end, out):
    assert parse_bound(value, end=end) == out


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "01/03/2026"])
def test_parse_bound_rejects(value):
    with pytest.raises(ExportError):
        parse_bound(value, end=False)


# ----------------------------------------------------------------------------- contents
def _expected(Session, columns):
    """The archive's articles read through the ORM, as export should render them."""
    with Session() as s:
        arts = s.query(Article).order_by(Article.published_at, Article.cont_id).all()
        return [{c: (a.tag_names if c == "tags" else getattr(a, c)) for c in columns} for a in arts]


def _iso(v):
    return v.isoformat() if isinstance(v, datetime) else v


def test_jsonl_round_trip(filled, tmp_path):
    url, _, Session, _, _ = filled
    out = tmp_path / "a.jsonl"
    assert main(["export", "--db", url, "--format", "jsonl", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = _expected(Session, list(COLUMNS))
    assert len(rows) == len(ARTICLES)
    assert rows == [{k: _iso(v) for k, v in r.items()} for r in expected]
    first = next(r for r in rows if r["cont_id"] == 31000001)
    assert first["tags"] == ["人工智能", "芯片"] and first["published_at"].endswith("+08:00")
    assert next(r for r in rows if r["cont_id"] == GONE_ID)["body_text"] == ""


def test_csv_round_trip(filled, tmp_path):
    url, _, Session, _, _ = filled
    out = tmp_path / "a.csv"
    cols = ["cont_id", "title", "tags", "published_at", "node_id", "mirror_host", "body_text"]
    assert main(["export", "--db", url, "--format", "csv", "--columns", ",".join(cols), "-o", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == cols
    expected = [
        [("" if v is None else ";".join(v) if c == "tags" else str(_iso(v))) for c, v in r.items()]
        for r in _expected(Session, cols)
    ]
    assert rows[1:] == expected
    # multi-line bodies survive the CSV quoting
    assert any("\n" in r[-1] for r in rows[1:])


def test_parquet_round_trip(filled, tmp_path):
    url, _, Session, _, _ = filled
    out = tmp_path / "a.parquet"
    assert main(["export", "--db", url, "--format", "parquet", "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=Asia/Shanghai]"
    rows = table.to_pylist()
    expected = _expected(Session, list(COLUMNS))
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        for c in COLUMNS:
            if isinstance(want[c], datetime):
                assert got[c] == want[c] and got[c].utcoffset() == timedelta(hours=8), c
            else:
                assert got[c] == want[c], c


def test_since_until_select_shanghai_days(filled, tmp_path):
    url, _, Session, now, _ = filled
    today = now.astimezone(SHANGHAI).date()
    since, until = today - timedelta(days=2), today - timedelta(days=1)
    out = tmp_path / "w.jsonl"
    assert (
        main(
            [
                "export",
                "--db",
                url,
                "--since",
                str(since),
                "--until",
                str(until),
                "--columns",
                "cont_id,published_at",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    got = [json.loads(line)["cont_id"] for line in out.read_text().splitlines()]
    want = [
        r["cont_id"]
        for r in _expected(Session, ["cont_id", "published_at"])
        if r["published_at"] and since <= r["published_at"].date() <= until
    ]
    assert got == want and len(want) >= 3


def test_stdout_and_unknown_column(filled, capsys):
    url = filled[0]
    assert main(["export", "--db", url, "--columns", "cont_id,title", "-o", "-"]) == 0
    captured = capsys.readouterr()
    ids = [json.loads(line)["cont_id"] for line in captured.out.splitlines()]
    assert sorted(ids) == sorted(r[0] for r in ARTICLES)
    assert f"exported {len(ARTICLES)} articles" in captured.err
    assert main(["export", "--db", url, "--columns", "cont_id,colour"]) == 2
    assert "unknown column(s): colour" in capsys.readouterr().err


def test_batches_bound_memory(filled):
    """Rows arrive in batches of at most `batch`, and Parquet writes one row group per batch."""
    _, _, Session, _, _ = filled
    with Session() as s:
        sizes = [len(b) for b in iter_batches(s, ["cont_id", "tags"], batch=4)]
        assert sizes == [4, 4, 3]
        buf = io.BytesIO()
        assert export(s, "parquet", buf, columns=["cont_id", "tags"], batch=4) == len(ARTICLES)
    meta = pq.ParquetFile(io.BytesIO(buf.getvalue())).metadata
    assert meta.num_row_groups == 3 and meta.num_rows == len(ARTICLES)


def test_empty_selection_gives_valid_empty_files(filled):
    _, _, Session, _, _ = filled
    far = datetime(2000, 1, 1, tzinfo=SHANGHAI)
    with Session() as s:
        buf = io.BytesIO()
        assert export(s, "parquet", buf, columns=["cont_id", "published_at"], until=far) == 0
        text = io.StringIO()
        assert export(s, "csv", text, columns=["cont_id"], until=far) == 0
    assert pq.read_table(io.BytesIO(buf.getvalue())).num_rows == 0
    assert text.getvalue() == "cont_id\r\n"


# ----------------------------------------------------------------------------- for spreadsheets
def test_csv_for_excel_has_bom_and_crlf(filled, tmp_path):
    url = filled[0]
    plain, excel = tmp_path / "p.csv", tmp_path / "e.csv"
    assert (
        main(["export", "--db", url, "--format", "csv", "--columns", "cont_id,title,body_text", "-o", str(plain)]) == 0
    )
    assert (
        main(
            [
                "export",
                "--db",
                url,
                "--format",
                "csv",
                "--columns",
                "cont_id,title,body_text",
                "--excel",
                "-o",
                str(excel),
            ]
        )
        == 0
    )
    raw, raw_plain = excel.read_bytes(), plain.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcont_id,title,body_text\r\n") and not raw_plain.startswith(b"\xef\xbb\xbf")
    assert raw[3:] == raw_plain  # the same rows, only the mark in front
    # every record ends with CRLF; a bare LF occurs only inside a quoted multi-line body
    with open(excel, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["cont_id", "title", "body_text"] and len(rows) == len(ARTICLES) + 1
    assert raw.count(b"\r\n") >= len(ARTICLES) + 1


def _xlsx_rows(path):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["articles"]
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_has_typed_cells_frozen_header_and_widths(filled, tmp_path):
    url, _, Session, _, _ = filled
    out = tmp_path / "a.xlsx"
    cols = ["cont_id", "title", "published_at", "tags", "node_id", "mirror_host", "body_text", "first_seen"]
    assert main(["export", "--db", url, "--format", "xlsx", "--columns", ",".join(cols), "-o", str(out)]) == 0
    ws, rows = _xlsx_rows(out)
    assert ws.freeze_panes == "A2"
    assert rows[0] == [
        "cont_id",
        "title",
        "published_at (+08:00)",
        "tags",
        "node_id",
        "mirror_host",
        "body_text",
        "first_seen (+08:00)",
    ]
    assert ws["A1"].font.b and ws.column_dimensions["B"].width == 40 and ws.column_dimensions["C"].width == 20
    expected = _expected(Session, cols)
    assert len(rows) == len(expected) + 1
    for got, want in zip(rows[1:], expected):
        for c, g in zip(cols, got):
            w = want[c]
            if isinstance(w, datetime):  # a real date-time cell, the Shanghai wall clock, to the second
                assert g == w.astimezone(SHANGHAI).replace(tzinfo=None), c
            elif c == "tags":
                assert g == (";".join(w) or None), c
            else:
                assert g == (None if w in (None, "") else w), c
    cell = ws["C2"]
    assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss" and isinstance(ws["A2"].value, int)


@pytest.mark.parametrize("title", ["=1+1", '=HYPERLINK("http://x","y")', "+86 电话", "@SUM(A1)", "普通标题"])
def test_xlsx_text_is_never_a_formula(tmp_path, title):
    from storage.export import write_xlsx

    out = tmp_path / "f.xlsx"
    write_xlsx([[{"cont_id": 1, "title": title}]], out.open("wb"), ["cont_id", "title"])
    ws, rows = _xlsx_rows(out)
    assert rows[1] == [1, title] and ws["B2"].data_type == "s"


def test_xlsx_cuts_cells_beyond_excels_limit_and_drops_control_characters(tmp_path):
    from storage.export import XLSX_CELL_MAX, XlsxStats, write_xlsx

    out, stats = tmp_path / "l.xlsx", XlsxStats()
    rows = [
        {"cont_id": 1, "title": "a\x00b\x1fc", "body_text": "长" * (XLSX_CELL_MAX + 10)},
        {"cont_id": 2, "title": "短", "body_text": "短文"},
    ]
    with out.open("wb") as f:
        assert write_xlsx([rows], f, ["cont_id", "title", "body_text"], stats) == 2
    _, got = _xlsx_rows(out)
    assert got[1] == [1, "abc", "长" * XLSX_CELL_MAX] and got[2] == [2, "短", "短文"]
    assert stats.cut_cells == 1


def test_xlsx_to_stdout_and_excel_flag_misuse(filled, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, cli_env, run_cli

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "export",
            "--db",
            filled[0],
            "--format",
            "xlsx",
            "--columns",
            "cont_id",
            "-o",
            "-",
        ],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0 and proc.stdout[:2] == b"PK"
    (tmp_path / "s.xlsx").write_bytes(proc.stdout)
    assert len(_xlsx_rows(tmp_path / "s.xlsx")[1]) == len(ARTICLES) + 1
    bad = run_cli("export", "--db", filled[0], "--format", "xlsx", "--excel", "-o", str(tmp_path / "x.xlsx"))
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "thepaper-archive: error: --excel applies to --format csv only (xlsx is Excel's own format), not xlsx"
    ]
    assert not (tmp_path / "x.xlsx").exists()


def test_empty_xlsx_is_a_valid_workbook(filled, tmp_path):
    out = tmp_path / "e.xlsx"
    assert (
        main(
            [
                "export",
                "--db",
                filled[0],
                "--format",
                "xlsx",
                "--since",
                "2001-01-01",
                "--until",
                "2001-01-02",
                "--columns",
                "cont_id,title",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert _xlsx_rows(out)[1] == [["cont_id", "title"]]
