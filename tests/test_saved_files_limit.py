"""Saved files given on the command line (``clean FILE``, ``import FILE``) are held to the crawl's
download size limit (DOWNLOAD_MAXSIZE, 16 MiB): one line, exit code 2, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storage.models import RawPage
from tests.conftest import SAMPLES, cli_env, run_cli

PROG_ERR = "thepaper-archive: error: "
PAGE = SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt"
URL = "http://www.nxos.com.cn/newsDetail_forward_32400625"


def _big(tmp_path, size: int):
    path = tmp_path / "big.html"
    with open(path, "wb") as fh:  # sparse: no disk is spent on it
        fh.truncate(size)
    return path


@pytest.mark.parametrize("command", [["clean"], ["import", "-q"]])
def test_a_file_over_the_default_limit_is_one_line(tmp_path, command):
    big = _big(tmp_path, 16 * 2**20 + 1)
    db = tmp_path / "a.db"
    args = [*command, str(big)] + (["--db", str(db)] if command[0] == "import" else [])
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{PROG_ERR}{big} is larger than the 16.0 MiB a page may have (DOWNLOAD_MAXSIZE): not a saved page, nothing read"
    ]
    assert not db.exists()  # the import refused before opening the archive


def test_the_limit_is_the_crawls_setting_and_an_import_stores_nothing_of_a_batch_with_a_big_file(tmp_path):
    db = f"sqlite:///{tmp_path / 'a.db'}"
    assert run_cli("import", "--db", db, str(PAGE), "--url", URL, "-q").returncode == 0  # an archive with one page
    limit = PAGE.stat().st_size - 1
    env = cli_env(DOWNLOAD_MAXSIZE=str(limit))
    proc = run_cli("clean", str(PAGE), "--url", URL, env=env)
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        f"{PROG_ERR}{PAGE} is larger than the {limit:,} bytes a page may have (DOWNLOAD_MAXSIZE): "
        "not a saved page, nothing read"
    ]
    small = tmp_path / "small.html"
    small.write_bytes(b"<html><body><p>short</p></body></html>")
    proc = run_cli("import", "--db", db, str(small), str(PAGE), "--url", URL, "-s", f"DOWNLOAD_MAXSIZE={limit}")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    with Session(create_engine(db)) as s:
        assert s.scalar(select(func.count()).select_from(RawPage)) == 1  # the first import's page alone
    # negatives: at the limit, and with no limit (0)
    assert run_cli("clean", str(PAGE), "--url", URL, env=cli_env(DOWNLOAD_MAXSIZE=str(limit + 1))).returncode == 0
    assert run_cli("clean", str(PAGE), "--url", URL, env=cli_env(DOWNLOAD_MAXSIZE="0")).returncode == 0
