"""``clean FILE --explain`` and ``show ID`` print the repair log as a user types them: where each
change stands, its rule, what decided it, before and after; ``export`` writes it when asked."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from cleaning.document import clean_document
from storage.articles import save_article
from storage.db import open_archive
from tests.conftest import run_cli

PAGE = (
    "<html><head><title>t</title></head><body><h1>人工智能产业链的报告</h1><div>2025-03-01 09:15</div><div>"
    "<p>æ¾Žæ¹ƒæ–°é—»è®°è€… æœ±è½©报道，今天\ufffd\ufffd\ufffd天气很好,大家都出门了。</p>"
    "<p>第二段的内容也很长，说明了很多问题，这里是一些测试文字。</p></div></body></html>"
)
URL = "https://www.thepaper.cn/newsDetail_forward_30012345"


def test_the_log_points_into_the_stored_body():
    rec = clean_document(PAGE.encode("utf-8"), url=URL)
    assert rec.paragraphs[0] == "澎湃新闻记者 朱轩报道，今天天气很好，大家都出门了。"
    body = rec.body_text
    kinds = [(e["rule"], e["by"]) for e in rec.repair_log]
    assert kinds == [
        ("mojibake", "bytes"),
        ("mojibake", "bytes"),
        ("replacement_dropped", "rule"),
        ("fullwidth_punct", "rule"),
    ]
    for e in rec.repair_log:
        assert e["field"] == "body" and body[e["offset"] : e["offset"] + len(e["after"])] == e["after"]


def test_clean_explain_as_typed(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    proc = run_cli("clean", str(path), "--explain")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "repairs explained: 4 (0 chosen by the word model)" in lines
    assert any("mojibake" in ln and "bytes" in ln and '"澎湃新闻记者"' in ln for ln in lines)
    assert any("replacement_dropped" in ln and '"���" -> ""' in ln for ln in lines)
    plain = run_cli("clean", str(path)).stdout
    assert "repairs explained" not in plain


def test_show_and_export_the_log(tmp_path):
    db = tmp_path / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{db}", create=True)
    try:
        rec = clean_document(PAGE.encode("utf-8"), url=URL)
        with Session() as s:
            save_article(s, rec, raw_page_id=None, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
            s.commit()
    finally:
        engine.dispose()
    shown = run_cli("show", "--db", str(db), "30012345", "--no-body", check=True).stdout.splitlines()
    assert "repairs explained: 4 (0 chosen by the word model)" in shown
    as_json = json.loads(run_cli("show", "--db", str(db), "30012345", "--json", check=True).stdout)
    assert as_json["repair_log"] == rec.repair_log
    out = tmp_path / "out.jsonl"
    run_cli("export", "--db", str(db), "--columns", "cont_id,repair_log", "-o", str(out), check=True)
    assert json.loads(out.read_text(encoding="utf-8")) == {"cont_id": 30012345, "repair_log": rec.repair_log}
    default = tmp_path / "all.jsonl"
    run_cli("export", "--db", str(db), "-o", str(default), check=True)
    assert "repair_log" not in json.loads(default.read_text(encoding="utf-8"))
