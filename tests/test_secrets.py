"""No password of a URL is written anywhere: crash files (whose first line is the command line,
``--db postgresql://user:password@...``), log lines, error lines, run rows, failure rows."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from domain.secrets import mask_passwords
from storage.db import open_archive
from storage.failures import record_failure
from storage.models import CrawlRun, Failure
from storage.runs import finish_run, start_run
from tests.conftest import ROOT, cli_env

PASSWORD = "s3cr3t-pw"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("--db postgresql://arch:s3cr3t-pw@db.example/thepaper", "--db postgresql://arch:***@db.example/thepaper"),
        (
            "postgresql+psycopg://arch:s3cr3t-pw@10.0.0.5:5433/a?sslmode=require",
            "postgresql+psycopg://arch:***@10.0.0.5:5433/a?sslmode=require",
        ),
        ("redis://:s3cr3t-pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("{'db': 'postgresql://u:s3cr3t-pw@h/d', 'x': 'y@z'}", "{'db': 'postgresql://u:***@h/d', 'x': 'y@z'}"),
        ('"http://u:s3cr3t-pw@proxy:3128" and https://a:b@c/', '"http://u:***@proxy:3128" and https://a:***@c/'),
        # an unescaped @ in the password: masked whole
        ("postgresql://u:p@ss@h/d", "postgresql://u:***@h/d"),
        # nothing to mask: no password, no URL, a masked one stays as it is
        ("postgresql://arch@db.example/thepaper", "postgresql://arch@db.example/thepaper"),
        ("https://www.thepaper.cn/newsDetail_forward_123", "https://www.thepaper.cn/newsDetail_forward_123"),
        ("sqlite:////var/lib/a.sqlite3", "sqlite:////var/lib/a.sqlite3"),
        ("user:pass@host without a scheme", "user:pass@host without a scheme"),
        ("postgresql://u:***@h/d", "postgresql://u:***@h/d"),
    ],
)
def test_mask_passwords(text, masked):
    assert mask_passwords(text) == masked


_BOOM = """
import sys
import crawler.cli.stats as stats
def boom(args):
    raise RuntimeError(f"lost {args.db} while reading it")
stats.run = boom
from crawler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_file_and_its_line_never_hold_the_password(tmp_path):
    """The operator's command names a PostgreSQL archive with its password; a bug writes the crash
    file: its first line (the command line), the traceback and the error line show ``***``."""
    url = f"postgresql://archivist:{PASSWORD}@127.0.0.1:1/thepaper"
    proc = subprocess.run(
        [sys.executable, "-c", _BOOM, "stats", "--db", url],
        cwd=ROOT,
        env=cli_env(THEPAPER_CRASH_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    [crash] = tmp_path.iterdir()
    text = crash.read_text(encoding="utf-8")
    assert line == (
        "thepaper-archive: error: unexpected RuntimeError: lost postgresql://archivist:***@127.0.0.1:1/"
        f"thepaper while reading it (a bug; the traceback is in {crash}; --debug prints it)"
    )
    assert text.splitlines()[0] == "thepaper-archive stats --db postgresql://archivist:***@127.0.0.1:1/thepaper"
    assert "Traceback" in text and "lost postgresql://archivist:***@127.0.0.1:1/thepaper" in text
    assert PASSWORD not in text and PASSWORD not in proc.stderr


_LOGS = """
import logging, sys
from crawler.cli import main
import crawler.cli.stats as stats
def logs(args):
    logging.getLogger("scrapy.core.engine").warning("cannot use %s", args.db)
    logging.getLogger("x").error("also %r", {"db": args.db})
    return 0
stats.run = logs
sys.exit(main(sys.argv[1:]))
"""


def test_log_lines_never_hold_the_password():
    url = f"postgresql://archivist:{PASSWORD}@127.0.0.1:1/thepaper"
    proc = subprocess.run(
        [sys.executable, "-c", _LOGS, "stats", "--db", url],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "cannot use postgresql://archivist:***@127.0.0.1:1/thepaper",
        "also {'db': 'postgresql://archivist:***@127.0.0.1:1/thepaper'}",
    ]


def test_run_rows_and_failure_rows_never_hold_the_password(db_url):
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    url = f"redis://:{PASSWORD}@10.1.1.1:6379/0"
    engine, Session = open_archive(db_url, create=True)
    try:
        with Session() as s:
            run = start_run(s, command="crawl", args={"redis": url, "hosts": [url]}, now=now)
            finish_run(s, run, status="failed", counters={}, message=f"cannot reach {url}", now=now)
            record_failure(
                s,
                url="https://www.thepaper.cn/newsDetail_forward_1",
                cont_id=1,
                reason="timeout",
                message=f"proxy {url} timed out",
                run_id=run.id,
                now=now,
            )
            s.commit()
        with Session() as s:
            run = s.scalars(select(CrawlRun)).one()
            failure = s.scalars(select(Failure)).one()
            assert run.args == {"redis": "redis://:***@10.1.1.1:6379/0", "hosts": ["redis://:***@10.1.1.1:6379/0"]}
            assert run.message == "cannot reach redis://:***@10.1.1.1:6379/0"
            assert failure.message == "proxy redis://:***@10.1.1.1:6379/0 timed out"
    finally:
        engine.dispose()
