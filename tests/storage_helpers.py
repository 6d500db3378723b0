"""What the storage tests share: an empty archive and a session on it (on SQLite and, when
``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL), a full article record, a stored raw page, and
processes released together through a barrier."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.record import ArticleRecord, Image
from storage.raw import archive_raw
from storage.db import open_archive
from tests.conftest import ROOT


SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=SH)


@pytest.fixture
def archive(db_url):
    engine, Session = open_archive(db_url, create=True)
    yield engine, Session
    engine.dispose()


@pytest.fixture
def session(archive):
    _, Session = archive
    with Session() as s:
        yield s


def make_record(cont_id=1001, **kw) -> ArticleRecord:
    base = dict(
        cont_id=cont_id,
        url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}",
        source_url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}",
        layout="nextjs",
        title="国产大模型发布新版本",
        summary="推理速度提升一倍。",
        published_at=T0,
        author="朱轩",
        editor="李明",
        source="澎湃新闻",
        node_id=25434,
        node_name="10%公司",
        channel_id=119908,
        channel_name="科技",
        tags=["人工智能", "大模型"],
        images=[Image(src="https://img.example/a.jpg", caption="发布会现场")],
        paragraphs=["第一段：某公司今日发布新模型。", "发布会现场", "第二段 <b>不是</b> HTML & 也不执行。"],
        encoding="utf-8",
        encoding_reason="header",
        repairs={"nbsp": 2},
        stripped={"footer": 1},
    )
    base.update(kw)
    return ArticleRecord(**base)


def _raw(session, body=b"<html>page</html>", **kw):
    args = dict(
        url="https://www.thepaper.cn/newsDetail_forward_1001",
        final_url=None,
        status=200,
        headers={"Content-Type": "text/html"},
        body=body,
        fetched_at=T0,
        kind="article",
    )
    args.update(kw)
    page = archive_raw(session, **args)
    session.flush()
    return page


def start_together(script: str, args: list[str], n: int, env: dict) -> list[subprocess.Popen]:
    """``n`` processes of ``script``, released at once: each prints READY, then waits for GO on
    stdin (a barrier, not a moment on the clock: a slow start on a busy machine does not break it)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()[-800:]
    for proc in procs:
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    return procs
