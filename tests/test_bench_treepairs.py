"""``bench.treepairs`` runs on a tiny mock so that it cannot rot (no timing is asserted): this
tree as both "before" and "after", one round, one variant."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, cli_env


def test_treepairs_runs_and_reports_every_tree():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.treepairs", "--size", "40", "--pairs", "1", "--before", str(ROOT)]
        + ["--variant=--no-keywords"],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    row = json.loads(lines[0])
    for label in ("before", "after", "after --no-keywords"):
        assert row[label]["articles_per_s"] > 0 and row[label]["peak_rss_mb"] > 0
        assert row[label]["raw_pages"] > 40 and row[label]["raw_ratio"] > 1
        # the crawl's main process and its worker, apart
        assert row[label]["main_ms_per_article"] > 0 and row[label]["worker_ms_per_article"] > 0
    summary = json.loads("\n".join(lines[1:]))
    assert set(summary["ratio"]) == {"before", "after", "after --no-keywords"}
    assert set(summary["raw_ratio"]) == {"before", "after", "after --no-keywords"}
    assert set(summary["main_ms_per_article"]) == {"before", "after", "after --no-keywords"}
    assert summary["ceiling_ms_per_article"]["median"] > 0
