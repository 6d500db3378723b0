"""Issue 24 items 1 and 6: an ``-o`` never destroys a database, and an output that meets a full
disk is one line, exit code 6, the old file kept.

Every command that writes ``-o`` (export in every format, report, keywords, trends) runs as a
user types it; the archive's bytes are compared before and after."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import ROOT, cli_env, run_cli, tmpfs
from tests.cli_helpers import one_line

PROG = "thepaper-archive"
EXPORT_FORMATS = ["jsonl", "csv", "parquet", "xlsx", "warc"]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guard")
    db = tmp / "a.db"
    with MockSite(generate_dataset(30, seed=24)) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", check=True)
    return db


def _archive_files(db):
    return {p.name: _digest(p) for p in db.parent.iterdir() if p.name.startswith(db.name)}


# --------------------------------------------------------------------------- 24.1: -o on a database
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_onto_the_archive_is_refused_in_every_format(archive, fmt):
    before = _archive_files(archive)
    line = one_line(run_cli("export", "--db", str(archive), "--format", fmt, "-o", str(archive)), 2)
    assert line == (f"{PROG}: error: cannot write {archive}: it is the archive ({archive}); choose another -o")
    assert _archive_files(archive) == before


@pytest.mark.parametrize("argv", [["report"], ["keywords"], ["trends", "芯片"], ["keywords", "--format", "csv"]])
def test_analyses_onto_the_archive_are_refused(archive, argv):
    before = _archive_files(archive)
    line = one_line(run_cli(*argv, "--db", str(archive), "-o", str(archive)), 2)
    assert line.endswith(f"it is the archive ({archive}); choose another -o")
    assert _archive_files(archive) == before


def test_the_archive_under_another_name_or_its_companions_is_refused(archive, tmp_path):
    (tmp_path / "link.db").symlink_to(archive)
    os.link(archive, tmp_path / "hard.db")  # the same inode: the same file
    cases = {
        str(tmp_path / "link.db"): "it is the archive",
        str(tmp_path / "hard.db"): "it is the archive",
        f"{archive.parent}/./{archive.name}": "it is the archive",
        f"{archive}-wal": "it is the archive's wal file",
        f"{archive}-shm": "it is the archive's shm file",
    }
    before = _archive_files(archive)
    for target, words in cases.items():
        line = one_line(run_cli("export", "--db", str(archive), "-o", target), 2)
        assert line.startswith(f"{PROG}: error: cannot write {target}: {words}"), line
    assert _archive_files(archive) == before
    os.unlink(tmp_path / "hard.db")


def test_another_database_and_its_wal_are_refused_a_plain_file_is_replaced(archive, tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    wal = tmp_path / "other.sqlite-wal"
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    for target, words in [
        (other, "it is an SQLite database"),
        (wal, f"it is the wal file of the SQLite database {other}"),
    ]:
        before = _digest(target)
        line = one_line(run_cli("export", "--db", str(archive), "--format", "csv", "-o", str(target)), 2)
        assert line.startswith(f"{PROG}: error: cannot write {target}: {words}"), line
        assert _digest(target) == before
    plain = tmp_path / "old.csv"
    plain.write_text("old\n", encoding="utf-8")
    done = run_cli("export", "--db", str(archive), "--format", "csv", "-o", str(plain))
    assert done.returncode == 0, done.stderr
    assert plain.read_text(encoding="utf-8").startswith("cont_id,")


# --------------------------------------------------------------------------- 24.6: a full disk
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_to_dev_full_is_one_line_exit_6(archive, fmt):
    line = one_line(run_cli("export", "--db", str(archive), "--format", fmt, "-o", "/dev/full"), 6)
    assert line == f"{PROG}: error: cannot write -o /dev/full: no space left on the device"


@pytest.mark.parametrize("argv", [["report"], ["keywords"], ["trends", "芯片", "--format", "json"]])
def test_analyses_to_dev_full_are_one_line_exit_6(archive, argv):
    line = one_line(run_cli(*argv, "--db", str(archive), "-o", "/dev/full"), 6)
    assert line == f"{PROG}: error: cannot write -o /dev/full: no space left on the device"


def test_export_to_a_full_stdout_is_one_line_exit_6(archive):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "export", "--db", str(archive)],
            cwd=ROOT,
            env=cli_env(),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 6, proc.stderr
    assert proc.stderr.strip() == f"{PROG}: error: cannot write stdout: no space left on the device"


@pytest.fixture
def small_disk(tmp_path):
    with tmpfs(tmp_path / "disk", "64k") as mount_point:
        yield mount_point


def _fill(disk, leave: int = 8192) -> None:
    """Fill ``disk`` to the last byte, then free ``leave`` bytes: too little for any output."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"x" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_to_a_full_file_system_keeps_the_old_file(archive, small_disk, fmt):
    old = small_disk / f"out.{fmt}"
    old.write_bytes(b"the old export\n")
    _fill(small_disk)
    line = one_line(run_cli("export", "--db", str(archive), "--format", fmt, "-o", str(old)), 6)
    assert line == f"{PROG}: error: cannot write -o {old}: no space left on the device"
    assert old.read_bytes() == b"the old export\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", old.name]  # no temporary file left


def test_report_to_a_full_file_system_keeps_the_old_file(archive, small_disk):
    old = small_disk / "report.html"
    old.write_text("<p>old</p>", encoding="utf-8")
    _fill(small_disk)
    line = one_line(run_cli("report", "--db", str(archive), "-o", str(old)), 6)
    assert line == f"{PROG}: error: cannot write -o {old}: no space left on the device"
    assert old.read_text(encoding="utf-8") == "<p>old</p>"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report.html"]
