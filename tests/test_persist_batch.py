"""Batched persistence: ``save_batch`` leaves the archive exactly as the
one-at-a-time calls do, and a crawl stores the same archive whichever writer runs
(the thread, or the worker process that also cleans)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from domain.record import ArticleRecord, Image
from storage.articles import save_article
from storage.batch import BatchEntry, save_batch
from storage.failures import record_failure, resolve_failure
from storage.raw import archive_raw, raw_page_row
from storage.db import open_archive
from tests.conftest import BACKENDS, fresh_db_url, run_cli, wipe_pg
from mocksite import MockSite, generate_dataset

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=SH)


def _rec(cont_id, title, paras, tags=(), **kw) -> ArticleRecord:
    return ArticleRecord(
        cont_id=cont_id,
        url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}",
        title=title,
        paragraphs=list(paras),
        tags=list(tags),
        published_at=NOW - timedelta(days=1),
        images=[Image(src="https://img.example/1.jpg", caption="图")],
        **kw,
    )


def _raw(url, cont_id, kind="article") -> dict:
    return dict(
        url=url,
        final_url=url,
        status=200,
        headers={"Content-Type": "text/html"},
        body=f"<html>{url}</html>".encode(),
        fetched_at=NOW,
        kind=kind,
        run_id=None,
        cont_id=cont_id,
    )


def _seed(Session) -> None:
    """Stored before the batch: two articles and one failure."""
    with Session() as s:
        save_article(s, _rec(100, "旧标题", ["旧正文。"], ["AI"]), raw_page_id=None, now=NOW - timedelta(days=2))
        save_article(s, _rec(101, "不变", ["正文不变。"], ["芯片"]), raw_page_id=None, now=NOW - timedelta(days=2))
        record_failure(
            s,
            url="https://www.thepaper.cn/newsDetail_forward_102",
            cont_id=102,
            reason="http_503",
            message="",
            run_id=None,
            now=NOW - timedelta(hours=3),
        )
        s.commit()


def _entries() -> list[BatchEntry]:
    u = "https://www.thepaper.cn/newsDetail_forward_{}".format
    E = BatchEntry
    return [
        E(raw=raw_page_row(**_raw("https://api/list?1", None, "list"))),  # list page: raw only
        E(raw=raw_page_row(**_raw(u(200), 200)), record=_rec(200, "新一", ["一。"], ["AI", "机器人"]), url=u(200)),
        E(raw=raw_page_row(**_raw(u(201), 201)), record=_rec(201, "新二", ["二。"], ["AI", "AI", " "]), url=u(201)),
        E(raw=raw_page_row(**_raw(u(100), 100)), record=_rec(100, "新标题", ["新正文。"], ["AI"]), url=u(100)),
        E(raw=raw_page_row(**_raw(u(101), 101)), record=_rec(101, "不变", ["正文不变。"], ["芯片"]), url=u(101)),
        E(raw=raw_page_row(**_raw(u(102), 102)), record=_rec(102, "曾失败", ["现在好了。"]), url=u(102)),
        E(raw=raw_page_row(**_raw(u(203), 203)), record=_rec(203, "两次", ["第一次。"]), url=u(203)),
        E(
            raw=raw_page_row(**_raw(u(203) + "?m", 203, "mirror")),
            record=_rec(203, "两次", ["镜像。"], mirror_host="m.example"),
            url=u(203) + "?m",
        ),
        E(
            raw=raw_page_row(**_raw(u(204), 204)),
            failure={"url": u(204), "cont_id": 204, "reason": "empty_article", "message": "no body"},
        ),
        E(failure={"url": u(205), "cont_id": 205, "reason": "timeout", "message": "t"}),
        E(record=_rec(206, "外链", [], content_type="external", external_url="https://x.example/a")),
        E(
            raw=raw_page_row(**_raw(u(207), 207)),
            record=_rec(207, "", [], content_type="gone", gone_reason="http_404"),
            url=u(207),
        ),
    ]


def _one_by_one(Session, entries) -> list:
    outcomes = []
    with Session() as s:
        for e in entries:
            raw_id = None
            if e.raw is not None:
                page = archive_raw(s, **{k: v for k, v in _raw_args(e.raw).items()})
                s.flush()
                raw_id = page.id
            if e.record is not None:
                outcomes.append(save_article(s, e.record, raw_page_id=raw_id, now=NOW))
                if e.url is not None:
                    resolve_failure(s, e.url, cont_id=e.record.cont_id)
            elif e.failure is not None:
                f = e.failure
                record_failure(
                    s,
                    url=f["url"],
                    cont_id=f["cont_id"],
                    reason=f["reason"],
                    message=f["message"],
                    run_id=None,
                    now=NOW,
                )
                outcomes.append("failed")
            else:
                outcomes.append(None)
        s.commit()
    return outcomes


def _raw_args(row: dict) -> dict:
    from storage.codec import decode

    return dict(
        url=row["url"],
        final_url=row["final_url"],
        status=row["status"],
        headers=row["headers"],
        body=decode(row["body"], row["compression"]),
        fetched_at=row["fetched_at"],
        kind=row["kind"],
        run_id=row["run_id"],
        cont_id=row["cont_id"],
        note=row["note"],
        context=row["context"],
    )


def _snapshot(engine) -> dict:
    out = {}
    with engine.connect() as conn:
        for table, order in (
            ("articles", "cont_id"),
            ("article_tags", "cont_id, position"),
            ("tags", "name"),
            ("raw_pages", "id"),
            ("failures", "url"),
            ("article_versions", "cont_id, version"),
        ):
            rows = conn.execute(sa.text(f"select * from {table} order by {order}")).mappings().all()
            drop = {"id"} if table in ("failures", "article_versions", "tags") else set()
            if table == "article_tags":
                names = dict(conn.execute(sa.text("select id, name from tags")).all())
                rows = [{**r, "tag_id": names[r["tag_id"]]} for r in rows]
            out[table] = [{k: v for k, v in r.items() if k not in drop} for r in rows]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_batch_equals_one_at_a_time(backend, tmp_path):
    results = {}
    for way in ("one_by_one", "batch"):
        url = fresh_db_url(backend, tmp_path / way)
        (tmp_path / way).mkdir(exist_ok=True)
        if backend != "sqlite":
            wipe_pg(url)
        engine, Session = open_archive(url, create=True)
        try:
            _seed(Session)
            entries = _entries()
            if way == "batch":
                with Session() as s:
                    save_batch(s, entries, run_id=None, now=NOW)
                    s.commit()
                outcomes = [e.outcome for e in entries]
            else:
                outcomes = _one_by_one(Session, entries)
            results[way] = (outcomes, _snapshot(engine))
        finally:
            engine.dispose()
    assert results["batch"][0] == results["one_by_one"][0]
    assert results["batch"][0][:6] == [None, "new", "new", "updated", "unchanged", "new"]
    assert results["batch"][1] == results["one_by_one"][1]
    # the batch took the fast path for the fresh ids and resolved the old failure of 102
    assert [f["url"] for f in results["batch"][1]["failures"]] == [
        "https://www.thepaper.cn/newsDetail_forward_204",
        "https://www.thepaper.cn/newsDetail_forward_205",
    ]


def test_save_batch_rolls_back_with_its_transaction(tmp_path):
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    try:
        with Session() as s:
            save_batch(s, _entries()[:3], run_id=None, now=NOW)
            s.rollback()
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from raw_pages")).scalar() == 0
            assert conn.execute(sa.text("select count(*) from articles")).scalar() == 0
    finally:
        engine.dispose()


def _archive(db: str) -> tuple[list, int, int]:
    with sqlite3.connect(db) as conn:
        tags: dict = {}
        for cid, name in conn.execute(
            "select a.cont_id, t.name from article_tags a join tags t on t.id = a.tag_id order by a.cont_id, a.position"
        ):
            tags.setdefault(cid, []).append(name)
        arts = [
            (*row, tags.get(row[0], []))
            for row in conn.execute(
                "select cont_id, title, content_hash, content_type, raw_page_id is not null from articles order by cont_id"
            )
        ]
        raws = conn.execute("select count(*) from raw_pages").fetchone()[0]
        fails = conn.execute("select count(*) from failures").fetchone()[0]
    return arts, raws, fails


#: Pages whose body is missing (cleaning fails: a failure row) and a 404 (a failure before cleaning).
FAULTS = [
    {"pattern": r"/newsDetail_forward_\d+[13]$", "kind": "html_body_missing"},
    {"pattern": r"/newsDetail_forward_\d+7$", "kind": "500"},
]


def test_crawl_stores_the_same_archive_with_thread_or_worker_process(tmp_path):
    out = {}
    for worker in ("0", "1"):
        with MockSite(generate_dataset(120, 3), faults=FAULTS) as site:
            db = tmp_path / f"w{worker}.sqlite3"
            proc = run_cli(
                "crawl",
                "--base-url",
                site.base_url,
                "--db",
                f"sqlite:///{db}",
                "-q",
                "-s",
                f"THEPAPER_PIPELINE_WORKER={worker}",
                "-s",
                "THEPAPER_WRITE_BATCH=7",
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            summary = proc.stderr.strip().splitlines()[-1]
            out[worker] = (_archive(str(db)), summary.split(" in ")[0].split(": ", 1)[1])
    assert out["0"] == out["1"]
    arts, raws, fails = out["1"][0]
    assert len(arts) >= 70 and raws > len(arts) and fails >= 10
    assert "failed 0" not in out["1"][1]
    assert all(has_raw for _, _, _, ctype, has_raw, _ in arts if ctype not in ("external", "gone"))


def _lock_waits(engine) -> int:
    """Sessions of this PostgreSQL database waiting on a lock."""
    with engine.connect() as conn:
        sql = "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
        return conn.execute(sa.text(sql)).scalar()


def _wait_for(condition, what: str, limit: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {limit:g} s"
        time.sleep(0.02)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_writer_that_loses_a_race_stores_the_entry_again(backend, tmp_path):
    """Two writers store the same new article (distributed workers that both fetched it): the
    second one's insert waits for the first transaction, then meets its key. Its transaction is
    tried again, reads what the first committed, and stores the entry as unchanged; nothing fails."""
    import threading

    from storage.writers import store_jobs

    url = fresh_db_url(backend, tmp_path)
    engine, Session = open_archive(url, create=True)
    u = "https://www.thepaper.cn/newsDetail_forward_300"
    record = _rec(300, "同一篇", ["两个工作进程都抓到了它。"], ["AI", "新标签"])
    first = Session()
    save_batch(first, [BatchEntry(raw=raw_page_row(**_raw(u, 300)), record=record, url=u)], run_id=None, now=NOW)
    first.flush()  # the first writer's rows exist, uncommitted: its keys are locked
    second = BatchEntry(record=_rec(300, "同一篇", ["两个工作进程都抓到了它。"], ["AI", "新标签"]), url=u)
    errors: list = []
    thread = threading.Thread(
        target=lambda: errors.extend(
            store_jobs(Session, [(second, {k: v for k, v in _raw(u, 300).items()}, None)], run_id=None, policy={})
        )
    )
    writing = threading.Event()

    def second_writes(conn, cursor, statement, *args) -> None:
        if threading.current_thread() is thread and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writing.set()  # its first write: it waits on the first writer's lock from here

    sa.event.listen(engine, "before_cursor_execute", second_writes)
    thread.start()
    assert writing.wait(60), "the second writer never wrote"
    if backend != "sqlite":  # the server shows the wait: the second writer is waiting on the first one's keys
        _wait_for(lambda: _lock_waits(engine) > 0, "the second writer waiting on the first one's keys")
    first.commit()
    first.close()
    thread.join(30)
    assert not thread.is_alive()
    assert errors == [None]
    assert second.outcome == "unchanged"
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from articles")).scalar() == 1
        assert conn.execute(sa.text("select count(*) from raw_pages")).scalar() == 2  # both fetches archived
        assert conn.execute(sa.text("select count(*) from tags")).scalar() == 2
    engine.dispose()


def test_only_races_are_tried_again():
    """A key that another writer inserted first, a deadlock, SQLite's busy lock: tried again;
    a bad value (NOT NULL, a check) or any other error: not."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    from storage.writers import lost_race

    class PgError(Exception):
        def __init__(self, sqlstate, text="x"):
            super().__init__(text)
            self.sqlstate = sqlstate

    assert lost_race(IntegrityError("insert", {}, PgError("23505")))
    assert lost_race(IntegrityError("insert", {}, sqlite3.IntegrityError("UNIQUE constraint failed: articles.cont_id")))
    assert lost_race(OperationalError("update", {}, PgError("40P01")))
    assert lost_race(OperationalError("update", {}, PgError("40001")))
    assert lost_race(OperationalError("insert", {}, sqlite3.OperationalError("database is locked")))
    assert not lost_race(IntegrityError("insert", {}, PgError("23502")))  # NOT NULL
    assert not lost_race(IntegrityError("insert", {}, sqlite3.IntegrityError("NOT NULL constraint failed: a.b")))
    assert not lost_race(OperationalError("insert", {}, sqlite3.OperationalError("no such table: x")))
    assert not lost_race(ValueError("bad"))
