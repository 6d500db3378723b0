"""The search command: text, JSON and Parquet output, Traditional queries and filters, usage errors in
one line; and the SQL the docs give for searching runs and agrees with the command."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crawler.cli import main
from tests.test_analysis_data import ARTICLES, SH, expected_hits, filled
from tests.conftest import run_cli


# ----------------------------------------------------------------------------- the command
def test_cli_search_text_and_json(filled, capsys):
    url = filled[0]
    assert main(["search", "--db", url, "芯片"]) == 0
    out = capsys.readouterr().out
    assert "[芯片]" in out and "31000001" in out
    lines = [ln for ln in out.splitlines() if ln[:4].strip().rstrip(".").isdigit()]
    assert len(lines) == len(expected_hits(["芯片"]))
    assert main(["search", "--db", url, "光", "--json", "--limit", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 2 and all("[光]" in d["snippet"] for d in data)
    assert {d["cont_id"] for d in data} <= set(expected_hits(["光"]))


def test_cli_search_empty_query_is_usage_error(filled, capsys):
    assert main(["search", "--db", filled[0], "  "]) == 2
    assert "empty search query" in capsys.readouterr().err


def _doc_sql_blocks(dialect_label: str) -> list[str]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "analysis.md").read_text(encoding="utf-8")
    section = text.split("\n## Full-text search in SQL\n", 1)[1].split("\n## ", 1)[0]  # its own section only
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    return [b for b in blocks if b.startswith(f"-- {dialect_label}\n")]


def test_documented_search_sql_runs_and_agrees(filled):
    """The search SQL that docs/analysis.md gives analysts runs on its backend and finds
    the same articles as the search command."""
    _, engine, Session, _, _ = filled
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[engine.dialect.name]
    blocks = _doc_sql_blocks(label)
    assert blocks
    found = []
    with engine.connect() as c:
        for block in blocks:
            for stmt in (x.strip() for x in block.split(";")):
                body = "\n".join(ln for ln in stmt.splitlines() if not ln.strip().startswith("--")).strip()
                if body:
                    found.append({row[0] for row in c.connection.driver_connection.execute(body).fetchall()})
    assert found[0] == set(expected_hits(["人工智能"]))
    if engine.dialect.name == "sqlite":
        assert found[1] == set(expected_hits(["芯片"]))
    # the combined query of a long and a short term (MATCH alone finds nothing there)
    assert found[-1] == set(expected_hits(["人工智能", "芯片"])) and found[-1]


def test_cli_parquet_to_stdout(filled):
    """Parquet is binary: with ``-o -`` it goes to stdout's byte stream, readable as it is."""
    import io
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from tests.conftest import ROOT, cli_env

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "export",
            "--db",
            filled[0],
            "--format",
            "parquet",
            "--columns",
            "cont_id,tags",
            "-o",
            "-",
        ],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    table = pq.read_table(io.BytesIO(proc.stdout))
    assert table.num_rows == len(ARTICLES) and table.column_names == ["cont_id", "tags"]


def test_cli_search_traditional_and_filters(filled, capsys):
    url, _, _, now, _ = filled
    assert main(["search", "--db", url, "人工智慧 晶片", "--json"]) == 0
    assert {d["cont_id"] for d in json.loads(capsys.readouterr().out)} == set(expected_hits(["人工智能", "芯片"]))
    assert main(["search", "--db", url, "人工智慧", "--as-typed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    day = (now.astimezone(SH) - timedelta(days=1)).date().isoformat()
    assert (
        main(
            [
                "search",
                "--db",
                url,
                "的",
                "--json",
                "--since",
                day,
                "--until",
                day,
                "--column",
                "119489,25950",
                "--limit",
                "100",
            ]
        )
        == 0
    )
    got = {d["cont_id"] for d in json.loads(capsys.readouterr().out)}
    assert got == {c for c in expected_hits(["的"]) if c in (31000003, 31000004)}
    assert main(["search", "--db", url, "驾驶", "--tag", "智能驾驶", "--tag", "出行", "--json"]) == 0
    assert [d["cont_id"] for d in json.loads(capsys.readouterr().out)] == [31000008]
    # a tag typed in Traditional characters finds the Simplified tag, unless --as-typed
    assert main(["search", "--db", url, "的", "--tag", "晶片", "--json", "--limit", "100"]) == 0
    tagged = {r[0] for r in ARTICLES if "芯片" in r[6]} & set(expected_hits(["的"]))
    assert {d["cont_id"] for d in json.loads(capsys.readouterr().out)} == tagged and tagged
    assert main(["search", "--db", url, "的", "--tag", "晶片", "--as-typed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    "args,line",
    [
        (
            ["--since", "2026-13-01"],
            "thepaper-archive search: error: argument --since: not a date (YYYY-MM-DD) or "
            "ISO 8601 datetime: '2026-13-01' (see thepaper-archive search --help)",
        ),
        (
            ["--column", "科技"],
            "thepaper-archive search: error: argument --column: not a numeric id: '科技' "
            "(see thepaper-archive search --help)",
        ),
        (["--tag", " "], "thepaper-archive: error: --tag needs a tag name"),
    ],
)
def test_cli_search_bad_filters_are_one_line(tmp_path, args, line):
    # refused before the archive is opened: none is needed, none is created
    proc = run_cli("search", "--db", str(tmp_path / "a.sqlite3"), "芯片", *args)
    assert not (tmp_path / "a.sqlite3").exists()
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [line]
