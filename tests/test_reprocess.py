"""``reprocess``: the bulk compare-and-write leaves exactly the archive that
``save_article`` one record at a time leaves, and worker processes (``--jobs 2``)
leave exactly the archive of the in-process path (``--jobs 1``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from jobs import reprocess
from domain.record import CLEANER_VERSION, ArticleRecord, CleaningError, Image
from cleaning.page import clean_page
from storage.articles import save_article, save_articles
from storage.failures import record_failure, resolve_failure
from storage.raw import archive_raw
from storage.db import open_archive
from storage.models import Article, Base
from tests.conftest import BACKENDS, ROOT, cli_env, fresh_db_url
from mocksite import MockSite, generate_dataset

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 5, 1, 12, 0, tzinfo=SH)
URL = "https://www.thepaper.cn/newsDetail_forward_{}".format
PG_DB = "reprocess"  # a PostgreSQL database of these tests' own, beside the shared test database


def _rec(cont_id, title="标题", paras=("正文。",), tags=("AI",), **kw) -> ArticleRecord:
    fields = dict(
        source_url=URL(cont_id),
        layout="nextjs",
        summary="摘要",
        published_at=T0 - timedelta(days=1),
        images=[Image(src="https://img.example/1.jpg", caption="图")],
        node_id=25434,
        node_name="10%公司",
    )
    return ArticleRecord(
        cont_id=cont_id, url=URL(cont_id), title=title, paragraphs=list(paras), tags=list(tags), **{**fields, **kw}
    )


def _mirror(cont_id, **kw) -> ArticleRecord:
    return _rec(
        cont_id,
        source_url=f"http://m.example/newsDetail_forward_{cont_id}",
        mirror_host="m.example",
        layout="text_dump",
        **kw,
    )


def _gone(cont_id, **kw) -> ArticleRecord:
    return _rec(cont_id, title="", paras=(), tags=(), content_type="gone", gone_reason="http_404", **kw)


# name: (cont_id, stored before the run (None: not stored), what the cleaner makes of the
# page now (a record, or the reason it failed; a list: pages met one after the other), outcomes)
CASES = {
    "new": (1, None, _rec(1), "new"),
    "unchanged": (2, _rec(2), _rec(2), "unchanged"),
    "text changed": (3, _rec(3), _rec(3, title="新标题"), "updated"),
    "body changed": (4, _rec(4), _rec(4, paras=("新正文。", "第二段。")), "updated"),
    "metadata changed": (5, _rec(5), _rec(5, author="新作者"), "updated"),
    "tags changed": (6, _rec(6, tags=("AI", "芯片")), _rec(6, tags=("芯片", "AI", "机器人")), "updated"),
    "cleaner version": (7, _rec(7), _rec(7, cleaner_version=CLEANER_VERSION + "-next"), "updated"),
    "failed": (8, _rec(8), "empty_article", "failed"),
    "failed, never stored": (9, None, "unknown_layout", "failed"),
    "mirror over original": (10, _rec(10), _mirror(10, title="镜像"), "kept_original"),
    "mirror over gone original": (11, _gone(11), _mirror(11), "updated"),
    "original over mirror copy": (12, _mirror(12), _rec(12), "updated"),
    "same mirror copy": (13, _mirror(13), _mirror(13), "unchanged"),
    "changed mirror copy": (14, _mirror(14), _mirror(14, title="修复后"), "updated"),
    "gone over article": (15, _rec(15, tags=("留下",)), _gone(15), "updated"),
    "gone again": (16, _gone(16), _gone(16), "unchanged"),
    "gone over mirror copy": (17, _mirror(17), _gone(17), "unchanged"),
    "new mirror copy": (18, None, _mirror(18), "new"),
    "twice: new, then mirror": (19, None, [_rec(19), _mirror(19)], ["new", "kept_original"]),
    "twice: changed twice": (20, _rec(20), [_rec(20, title="一改"), _rec(20, title="二改")], ["updated", "updated"]),
}
FAILURES = {  # stored before the run: resolved (by URL or cont_id) when their article becomes new or updated
    URL(1): None,
    URL(2): 2,
    "https://elsewhere.example/3": 3,
    URL(8): 8,
    URL(10): 10,
    URL(12): None,
}


def _seed(Session) -> tuple[list[SimpleNamespace], list[tuple]]:
    """The stored side of CASES and FAILURES; the chunk's raw page rows and what cleaning made of them."""
    rows, cleaned = [], []
    with Session() as s:
        for name, (cont_id, stored, now, _) in CASES.items():
            for i, result in enumerate(now if isinstance(now, list) else [now]):
                page = archive_raw(
                    s,
                    url=URL(cont_id) + "?again" * i,
                    final_url=None,
                    status=200,
                    headers={},
                    body=name.encode(),
                    fetched_at=T0,
                    kind="article",
                    cont_id=cont_id,
                )
                s.flush()
                rows.append(SimpleNamespace(id=page.id, url=page.url, fetched_at=page.fetched_at))
                cleaned.append((page.id, None, result) if isinstance(result, str) else (page.id, result, None))
            if stored is not None:
                save_article(s, stored, raw_page_id=None, now=T0 - timedelta(days=3))
        for url, cont_id in FAILURES.items():
            record_failure(
                s, url=url, cont_id=cont_id, reason="http_503", message="", run_id=None, now=T0 - timedelta(days=2)
            )
        s.commit()
    return rows, cleaned


def _one_by_one(session, rows, cleaned, counts: Counter, now: datetime) -> None:
    """What reprocess did before the bulk path: save_article and resolve_failure, page after page."""
    urls = {r.id: r.url for r in rows}
    fetched = {r.id: r.fetched_at for r in rows}
    for raw_id, record, reason in cleaned:
        if record is None:
            counts.update(["failed", f"failed/{reason}"])
            continue
        outcome = save_article(session, record, raw_page_id=raw_id, now=now, seen=False, captured_at=fetched[raw_id])
        if outcome in ("new", "updated"):
            resolve_failure(session, urls[raw_id], cont_id=record.cont_id)
        counts[outcome] += 1


def _snapshot(engine) -> dict:
    """The archive's articles, tags, versions and failures, without surrogate keys."""
    out = {}
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("select id, name from tags")).all())
        for name, order in (
            ("articles", "cont_id"),
            ("article_tags", "cont_id, position"),
            ("article_versions", "cont_id, version"),
            ("failures", "url"),
            ("tags", "name"),
        ):
            table = Base.metadata.tables[name]
            rows = conn.execute(sa.select(table).order_by(*(table.c[c.strip()] for c in order.split(","))))
            out[name] = [
                {k: (names[v] if k == "tag_id" else v) for k, v in r.items() if k != "id"} for r in rows.mappings()
            ]
    return out


def _outcomes() -> list[str]:
    out = []
    for _, _, _, outcome in CASES.values():
        out.extend(outcome if isinstance(outcome, list) else [outcome])
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_bulk_compare_matches_one_record_at_a_time(backend, tmp_path):
    results = {}
    for way in ("one_by_one", "bulk", "one_by_one_seen", "bulk_seen"):
        (tmp_path / way).mkdir()
        engine, Session = open_archive(fresh_db_url(backend, tmp_path / way, PG_DB), create=True)
        try:
            rows, cleaned = _seed(Session)
            items = [(record, raw_id) for raw_id, record, _ in cleaned if record is not None]
            counts: Counter = Counter()
            with Session() as s:
                if way == "bulk":
                    reprocess._store_chunk(s, {r.id: (r.url, r.fetched_at) for r in rows}, cleaned, counts, now=T0)
                elif way == "one_by_one":
                    _one_by_one(s, rows, cleaned, counts, now=T0)
                elif way == "bulk_seen":  # as a crawl would: last_seen moves
                    counts.update(save_articles(s, items, now=T0))
                else:
                    counts.update(save_article(s, r, raw_page_id=i, now=T0) for r, i in items)
                s.commit()
            results[way] = (counts, _snapshot(engine))
        finally:
            engine.dispose()
    expected = Counter(_outcomes()) + Counter(
        f"failed/{now}" for _, _, now, _ in CASES.values() if isinstance(now, str)
    )
    assert results["bulk"][0] == results["one_by_one"][0] == expected
    assert results["bulk"][1] == results["one_by_one"][1]
    assert results["bulk_seen"][0] == results["one_by_one_seen"][0]
    assert results["bulk_seen"][1] == results["one_by_one_seen"][1]
    # what the cases mean, read back
    arts = {a["cont_id"]: a for a in results["bulk"][1]["articles"]}
    assert all(a["last_seen"] == T0 - timedelta(days=3) or a["first_seen"] == T0 for a in arts.values())
    assert arts[3]["title"] == "新标题" and arts[3]["version"] == 2 and arts[3]["updated_at"] == T0
    assert arts[5]["author"] == "新作者" and arts[5]["version"] == 1
    assert arts[2]["updated_at"] == T0 - timedelta(days=3)
    assert arts[10]["mirror_host"] is None and arts[11]["mirror_host"] == "m.example"
    assert arts[15]["content_type"] == "gone" and arts[15]["body_text"] == ""
    assert arts[20]["title"] == "二改" and arts[20]["version"] == 3
    assert 9 not in arts
    tags = [(t["cont_id"], t["tag_id"]) for t in results["bulk"][1]["article_tags"]]
    assert [n for c, n in tags if c == 6] == ["芯片", "AI", "机器人"] and [n for c, n in tags if c == 15] == ["留下"]
    assert {v["cont_id"] for v in results["bulk"][1]["article_versions"]} == {3, 4, 11, 14, 15, 20}
    assert [f["url"] for f in results["bulk"][1]["failures"]] == [URL(10), URL(2), URL(8)]
    seen = {a["cont_id"]: a["last_seen"] for a in results["bulk_seen"][1]["articles"]}
    assert seen[2] == T0 and seen[10] == T0 - timedelta(days=3)  # kept_original is not a visit


# --------------------------------------------------------------------------- jobs 1 == jobs 2
def _seed_mock_archive(Session, n: int = 40) -> None:
    """An archive as a crawl of the mock leaves it, built without network: every article
    page archived raw and cleaned; one page whose cleaning failed, one lost article."""
    ds = generate_dataset(n, seed=5)
    site = MockSite(ds)
    with Session() as s:
        for art in ds.articles():
            resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
            raw = archive_raw(
                s,
                url=URL(art.cont_id),
                final_url=None,
                status=resp.status,
                headers={"Content-Type": resp.content_type},
                body=resp.body,
                fetched_at=T0,
                kind="article",
                cont_id=art.cont_id,
                context={"url": URL(art.cont_id)},
            )
            s.flush()
            try:
                record = clean_page(
                    resp.body,
                    url=URL(art.cont_id),
                    headers={"Content-Type": resp.content_type},
                    status=resp.status,
                    cont_id=art.cont_id,
                    source_url=URL(art.cont_id),
                )
            except CleaningError as exc:
                record_failure(
                    s,
                    url=URL(art.cont_id),
                    cont_id=art.cont_id,
                    reason=exc.reason,
                    message=str(exc),
                    run_id=None,
                    now=T0,
                )
                continue
            save_article(s, record, raw_page_id=raw.id, now=T0)
        archive_raw(
            s,
            url=URL(1),
            final_url=None,
            status=200,
            headers={},
            body=b"<html><body></body></html>",
            fetched_at=T0,
            kind="article",
            cont_id=1,
        )
        lost = s.scalars(sa.select(Article.cont_id).where(Article.content_type == "news").limit(1)).one()
        s.execute(sa.delete(Article).where(Article.cont_id == lost))
        record_failure(s, url=URL(lost), cont_id=lost, reason="cleaner_crash", message="", run_id=None, now=T0)
        s.commit()


def _new_cleaner(original):
    """A cleaner change: titles, summaries, tags and content types move; some pages fail."""

    def cleaner(*args, **kwargs):
        record = original(*args, **kwargs)
        key = (record.cont_id or 0) % 6
        if key == 0 and record.content_type != "gone":
            record.title += "·校订"
        elif key == 1:
            record.summary += "（更正）"
        elif key == 2:
            record.tags = list(reversed(record.tags)) + ["新标签"]
        elif key == 3 and record.cont_id % 4 == 3:
            raise CleaningError("the new cleaner refuses it", reason="empty_article")
        elif key == 4 and record.content_type == "news":
            record.content_type, record.tags = "gone", []
        return record

    return cleaner


def _no_times(snap: dict) -> dict:
    times = (
        "updated_at",
        "replaced_at",
        "last_seen",
        "first_seen",
        "valid_from",
        "last_failed_at",
        "first_failed_at",
        "next_retry_at",
    )
    return {t: [{k: v for k, v in r.items() if k not in times} for r in rows] for t, rows in snap.items()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_jobs_2_leaves_the_same_archive_as_jobs_1(backend, tmp_path, monkeypatch):
    from cleaning import document as chain

    original = chain.clean_document
    results = {}
    for jobs in (1, 2):
        (tmp_path / str(jobs)).mkdir()
        engine, Session = open_archive(fresh_db_url(backend, tmp_path / str(jobs), PG_DB), create=True)
        try:
            monkeypatch.setattr(chain, "clean_document", original)
            _seed_mock_archive(Session)
            monkeypatch.setattr(chain, "clean_document", _new_cleaner(original))
            progress = []
            counts = reprocess.reprocess_archive(
                Session, batch=7, jobs=jobs, progress=lambda c, done, total: progress.append((done, total))
            )
            results[jobs] = (counts, _no_times(_snapshot(engine)))
            assert [d for d, _ in progress] == sorted(d for d, _ in progress) and len(progress) >= 5
            assert len({total for _, total in progress}) == 1 and progress[-1][0] == progress[-1][1]
            assert 0 < progress[0][0] <= 7
        finally:
            engine.dispose()
    counts = results[1][0]
    assert counts == results[2][0]
    assert results[1][1] == results[2][1]
    assert counts["new"] == 1 and counts["updated"] > 10 and counts["unchanged"] > 3
    assert counts["failed"] >= 2 and counts["failed/empty_article"] >= 1
    assert results[2][1]["article_versions"]
    assert not [f for f in results[2][1]["failures"] if f["reason"] == "cleaner_crash"]  # the lost one is back


def _children(pid: int) -> set[int]:
    out = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            out.update(int(c) for c in fh.read().split())
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_ctrl_c_stops_the_workers(tmp_path, signum, code):
    """Ctrl-C (130, "interrupted") or SIGTERM (143, "terminated"): the workers stop at once.
    ``kill -9`` of the parent (a supervisor's last resort, the OOM killer) cannot stop them:
    they die with it (``PR_SET_PDEATHSIG``), instead of living on blocked on a pipe."""
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    try:
        _seed_mock_archive(Session, 240)  # more than one chunk of 200 pages: two workers
    finally:
        engine.dispose()
    cleaning = tmp_path / "cleaning"  # each worker leaves a file named by its pid here once it cleans
    cleaning.mkdir()
    slow = (
        "import os, signal, sys, time; from cleaning import document as chain; original = chain.clean_document\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "def slow(*a, **k):\n    open(os.path.join(os.environ['CLEANING_MARKS'], str(os.getpid())), 'w').close()\n"
        "    time.sleep(0.2)\n    return original(*a, **k)\n"
        "chain.clean_document = slow\nfrom crawler import cli\nsys.exit(cli.main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", slow, "reprocess", "--db", f"sqlite:///{tmp_path / 'a.sqlite3'}", "--jobs", "2"],
        cwd=ROOT,
        env=dict(cli_env(), CLEANING_MARKS=str(cleaning)),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert len(workers) == 2, proc.stderr.read() if proc.poll() is not None else "no workers"
        deadline = time.monotonic() + 60
        while not workers <= {int(f.name) for f in cleaning.iterdir()} and proc.poll() is None:
            assert time.monotonic() < deadline, "the workers did not start cleaning"
            time.sleep(0.05)
        proc.send_signal(signum)
        rc = proc.wait(timeout=600)
    finally:
        proc.kill()
        proc.wait()
    assert rc == code
    if signum != signal.SIGKILL:
        assert (
            proc.stderr.read().splitlines()[-1]
            == f"thepaper-archive: error: {('interrupted (SIGINT)', 'terminated (SIGTERM)')[signum == signal.SIGTERM]}"
        )
    deadline = time.monotonic() + 60
    while [w for w in workers if _state(w) != "gone"] and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [w for w in workers if _state(w) != "gone"]
    for pid in left:  # the test leaves no orphan behind when it fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def _state(pid: int) -> str:
    """The process's state letter, or "gone" (a zombie is gone too: it runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
    return "gone" if state in "ZX" else state


def test_cli_jobs_must_be_positive(tmp_path):
    from crawler import cli

    with pytest.raises(SystemExit) as exc:  # refused by the option parser, in one line
        cli.main(["reprocess", "--db", f"sqlite:///{tmp_path / 'a.sqlite3'}", "--jobs", "0"])
    assert exc.value.code == 2
