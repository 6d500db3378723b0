"""The storage layer: schema vs migrations, saving articles, raw archive, failures, runs, locks.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import zstandard
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.record import CLEANER_VERSION, ArticleRecord, Image
from storage.articles import known_hashes, save_article
from storage.failures import due_failures, record_failure, resolve_failure
from storage import codec
from storage.codec import PLAIN, Encoder
from storage.raw import archive_raw, raw_page_row
from storage.runs import (
    abort_dead_runs,
    acquire_lock,
    finish_run,
    get_cursor,
    heartbeat,
    lock_holder,
    release_lock,
    set_cursor,
    start_run,
)
from storage.db import current_revision, head_revision, make_engine, open_archive, resolve_db_url, upgrade
from storage.models import Article, ArticleTag, ArticleVersion, Base, CrawlRun, Failure, RawDictionary, RawPage, Tag
from storage.types import NaiveDatetimeError
from storage.views import include_name

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=SH)
PG_URL = os.environ.get("THEPAPER_TEST_PG_URL")


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


# --------------------------------------------------------------------------- schema
def test_migrated_schema_matches_models(archive):
    engine, _ = archive
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
        )
        assert compare_metadata(ctx, Base.metadata) == []


def test_schema_comparison_notices_a_difference(archive):
    """The comparison above can fail: a model column missing from the migration is reported."""
    engine, _ = archive
    meta = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(meta)
    meta.tables["articles"].append_column(sa.Column("extra_col", sa.Integer, nullable=True))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), meta)
    assert [d[0] for d in diff] == ["add_column"] and diff[0][3].name == "extra_col"


def test_upgrade_on_empty_sqlite_file(tmp_path):
    path = tmp_path / "nested" / "dir" / "a.sqlite3"
    url = resolve_db_url(str(path))
    assert url == f"sqlite:///{path}" and not path.parent.exists()  # resolving creates nothing
    upgrade(url)  # db upgrade creates the archive and its directories
    assert path.exists()
    engine = make_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert {t for t in Base.metadata.tables} | {"alembic_version"} == {n for n in names if include_name(n, "table")}
        head = current_revision(engine)
        assert head == head_revision()
        upgrade(engine)  # idempotent
        assert current_revision(engine) == head
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "given_url, expected",
    [
        ("postgresql://u:p@db.example:5432/arch", "postgresql+psycopg://u:p@db.example:5432/arch"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_resolve_db_url_rewrites_drivers(given_url, expected):
    assert resolve_db_url(given_url) == expected


def test_resolve_db_url_env_and_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THEPAPER_ARCHIVE_DB", raising=False)
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'data' / 'archive.sqlite3'}"
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("THEPAPER_ARCHIVE_DB", "other.db")
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'other.db'}"
    assert resolve_db_url("explicit.db") == f"sqlite:///{tmp_path / 'explicit.db'}"


# --------------------------------------------------------------------------- articles
def test_save_new_article(session):
    raw = _raw(session)
    rec = make_record()
    assert save_article(session, rec, raw_page_id=raw.id, now=T0) == "new"
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.title == rec.title and a.paragraphs == rec.paragraphs and a.body_text == rec.body_text
    assert a.content_hash == rec.content_hash and a.word_count == rec.word_count
    assert a.version == 1 and a.raw_page_id == raw.id and a.mirror_host is None
    assert a.first_seen == a.last_seen == a.updated_at == T0
    assert a.published_at == T0 and a.published_at.tzinfo.key == "Asia/Shanghai"
    assert a.tag_names == ["人工智能", "大模型"]
    assert a.images == [{"src": "https://img.example/a.jpg", "caption": "发布会现场"}]
    assert a.repairs == {"nbsp": 2} and a.stripped == {"footer": 1}
    assert a.body_html.split("\n") == [
        "<p>第一段：某公司今日发布新模型。</p>",
        '<p class="caption">发布会现场</p>',
        "<p>第二段 &lt;b&gt;不是&lt;/b&gt; HTML &amp; 也不执行。</p>",
    ]


def test_the_body_is_stored_once_and_its_paragraphs_are_its_lines(archive):
    """Revision 0008: ``body_text`` alone is stored; ``paragraphs`` and ``body_html`` are made from
    it on reading. A paragraph with a newline in it comes back as its lines (the text is the same)."""
    engine, Session = archive
    cols = {c["name"] for c in sa.inspect(engine).get_columns("articles")}
    assert "body_text" in cols and not cols & {"paragraphs", "body_html"}
    rec = make_record(2001, paragraphs=["第一行\n第二行", "", "末段。"])
    with Session() as s:
        save_article(s, rec, raw_page_id=None, now=T0)
        s.commit()
        a = s.get(Article, 2001)
        assert a.body_text == rec.body_text and a.content_hash == rec.content_hash
        assert a.paragraphs == ["第一行", "第二行", "", "末段。"]
        assert save_article(s, rec, raw_page_id=None, now=T0 + timedelta(hours=1)) == "unchanged"
        s.commit()
    empty = make_record(2002, paragraphs=[], content_type="video")
    with Session() as s:
        save_article(s, empty, raw_page_id=None, now=T0)
        s.commit()
        assert s.get(Article, 2002).paragraphs == [] and s.get(Article, 2002).body_html == ""


def test_downgrade_below_0008_puts_paragraphs_and_html_back(db_url):
    """The columns 0008 dropped come back filled, as the code before it wrote them."""
    import json

    from alembic import command

    from storage.db import alembic_config
    from storage.render import body_html

    engine, Session = open_archive(db_url, create=True)
    try:
        rec = make_record(2003)
        with Session() as s:
            save_article(s, rec, raw_page_id=None, now=T0)
            s.commit()
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007_keywords")
        with engine.connect() as conn:
            paragraphs, html = conn.execute(sa.text("SELECT paragraphs, body_html FROM articles")).one()
        paragraphs = json.loads(paragraphs) if isinstance(paragraphs, str) else paragraphs
        assert paragraphs == rec.paragraphs
        assert html == body_html(rec.paragraphs, [{"src": i.src, "caption": i.caption} for i in rec.images])
        upgrade(engine)
        with Session() as s:
            assert s.get(Article, 2003).paragraphs == rec.paragraphs
    finally:
        engine.dispose()


def test_unchanged_article_only_moves_last_seen(session):
    save_article(session, make_record(), raw_page_id=None, now=T0)
    session.commit()
    later = T0 + timedelta(hours=5)
    assert save_article(session, make_record(), raw_page_id=None, now=later) == "unchanged"
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.last_seen == later and a.updated_at == T0 and a.first_seen == T0 and a.version == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(ArticleVersion)) == 0


def test_unchanged_reprocess_does_not_touch_last_seen(session):
    save_article(session, make_record(), raw_page_id=None, now=T0)
    session.commit()
    later = T0 + timedelta(hours=5)
    assert save_article(session, make_record(), raw_page_id=None, now=later, seen=False) == "unchanged"
    session.commit()
    session.expunge_all()
    assert session.get(Article, 1001).last_seen == T0


def test_metadata_change_updates_fields_without_a_version(session):
    save_article(session, make_record(), raw_page_id=None, now=T0)
    session.commit()
    later = T0 + timedelta(hours=5)
    rec = make_record(tags=["完全不同的标签"], summary="summary is not in the hash")
    assert save_article(session, rec, raw_page_id=None, now=later) == "updated"
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.version == 1 and a.updated_at == later
    assert a.tag_names == ["完全不同的标签"] and a.summary == "summary is not in the hash"
    assert session.scalar(sa.select(sa.func.count()).select_from(ArticleVersion)) == 0


def test_changed_article_is_versioned(session):
    raw1 = _raw(session, body=b"v1")
    first = make_record()
    save_article(session, first, raw_page_id=raw1.id, now=T0)
    session.commit()
    raw2 = _raw(session, body=b"v2")
    t1 = T0 + timedelta(days=1)
    edited = make_record(title="国产大模型发布新版本（更正）", paragraphs=["更正后的正文。"], tags=["大模型", "芯片"])
    assert save_article(session, edited, raw_page_id=raw2.id, now=t1) == "updated"
    session.commit()
    t2 = t1 + timedelta(days=1)
    third = make_record(title="第三版", paragraphs=["第三版正文。"], tags=[])
    assert save_article(session, third, raw_page_id=None, now=t2) == "updated"
    session.commit()
    session.expunge_all()

    a = session.get(Article, 1001)
    assert a.version == 3 and a.title == "第三版" and a.content_hash == third.content_hash
    # a page without tags does not take the stored ones away
    assert a.first_seen == T0 and a.updated_at == a.last_seen == t2 and a.tag_names == ["大模型", "芯片"]
    assert a.raw_page_id == raw2.id  # no new raw page given: the last known one stays
    v1, v2 = session.scalars(sa.select(ArticleVersion).order_by(ArticleVersion.version)).all()
    assert (v1.version, v1.title, v1.paragraphs, v1.body_text) == (1, first.title, first.paragraphs, first.body_text)
    assert v1.content_hash == first.content_hash and v1.raw_page_id == raw1.id
    assert (v1.valid_from, v1.replaced_at) == (T0, t1)
    assert (v2.version, v2.title, v2.content_hash) == (2, edited.title, edited.content_hash)
    assert (v2.valid_from, v2.replaced_at, v2.raw_page_id) == (t1, t2, raw2.id)


@pytest.mark.parametrize(
    "changes, kept, outcome",
    [
        # a drifted or paywalled page: the text and byline are gone from the page, not from the article
        (dict(paragraphs=[], source="", author=""), ("author", "source", "body_text"), "unchanged"),
        (dict(paragraphs=[], images=[], summary="", title="改了标题"), ("summary", "body_text", "images"), "updated"),
        (
            dict(tags=[], node_id=None, node_name="", published_at=None),
            ("published_at", "node_id", "node_name", "tags"),
            "unchanged",
        ),
        # negatives: what has a value replaces what is stored; nothing emptied, nothing kept
        (dict(paragraphs=["新的正文。"], source="新华社"), (), "updated"),
        (dict(layout="unknown"), (), "updated"),
    ],
)
def test_an_update_never_empties_a_stored_field(session, changes, kept, outcome):
    """No update replaces a stored value with an empty one: the stored value stays, and the
    names kept are reported (the crawl counts such pages, ``kept_fields``)."""
    from storage.articles import save_articles

    original = make_record()
    save_article(session, original, raw_page_id=None, now=T0)
    session.commit()
    record = make_record(**changes)
    blanked: list = []
    assert save_articles(session, [(record, None)], now=T0 + timedelta(hours=1), blanked=blanked) == [outcome]
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert blanked == [kept]
    for name, value in changes.items():
        stored = {"paragraphs": a.paragraphs, "images": [Image(**i) for i in a.images], "tags": a.tag_names}.get(
            name, getattr(a, name, None)
        )
        expected = getattr(original, name) if (name if name != "paragraphs" else "body_text") in kept else value
        assert stored == expected, name
    text = ArticleRecord(title=a.title, paragraphs=a.paragraphs)
    assert a.content_hash == text.content_hash and a.word_count == text.word_count
    assert a.version == (1 if a.content_hash == original.content_hash else 2)


def test_tags_replaced_in_order_and_shared(session):
    save_article(session, make_record(1, tags=["甲", "乙", "甲", " ", "丙"]), raw_page_id=None, now=T0)
    save_article(session, make_record(2, tags=["丙", "丁"]), raw_page_id=None, now=T0)
    session.commit()
    assert session.get(Article, 1).tag_names == ["甲", "乙", "丙"]
    save_article(session, make_record(1, title="改", tags=["丁", "甲"]), raw_page_id=None, now=T0)
    session.commit()
    session.expunge_all()
    assert session.get(Article, 1).tag_names == ["丁", "甲"]
    assert session.get(Article, 2).tag_names == ["丙", "丁"]
    assert sorted(session.scalars(sa.select(Tag.name))) == sorted(["甲", "乙", "丙", "丁"])
    assert session.scalar(sa.select(sa.func.count()).select_from(ArticleTag)) == 4


NEXT_VERSION = CLEANER_VERSION + "-next"


def test_cleaner_version_change_updates_without_new_version(session):
    save_article(session, make_record(), raw_page_id=None, now=T0)
    t1 = T0 + timedelta(hours=1)
    out = save_article(session, make_record(cleaner_version=NEXT_VERSION, repairs={}), raw_page_id=None, now=t1)
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert out == "updated" and a.cleaner_version == NEXT_VERSION and a.repairs == {} and a.version == 1
    assert a.updated_at == t1
    assert session.scalar(sa.select(sa.func.count()).select_from(ArticleVersion)) == 0


def _mirror(cont_id=1001, **kw):
    return make_record(
        cont_id,
        mirror_host="nxos.example",
        source_url="https://nxos.example/newsDetail_forward_1001",
        layout="text_dump",
        **kw,
    )


def test_mirror_never_replaces_original(session):
    save_article(session, make_record(), raw_page_id=None, now=T0)
    session.commit()
    t1 = T0 + timedelta(hours=1)
    assert (
        save_article(session, _mirror(title="镜像标题", paragraphs=["镜像正文"]), raw_page_id=None, now=t1)
        == "kept_original"
    )
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.mirror_host is None and a.title == "国产大模型发布新版本" and a.version == 1 and a.last_seen == T0


def test_original_replaces_mirror_copy(session):
    save_article(session, _mirror(paragraphs=["镜像正文，有广告"]), raw_page_id=None, now=T0)
    session.commit()
    t1 = T0 + timedelta(hours=1)
    assert save_article(session, make_record(), raw_page_id=None, now=t1) == "updated"
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.mirror_host is None and a.paragraphs == make_record().paragraphs and a.version == 2
    assert session.scalars(sa.select(ArticleVersion.paragraphs)).one() == ["镜像正文，有广告"]


def test_original_with_same_text_as_mirror_clears_mirror_origin(session):
    save_article(session, _mirror(), raw_page_id=None, now=T0)
    assert save_article(session, make_record(), raw_page_id=None, now=T0 + timedelta(1)) == "updated"
    a = session.get(Article, 1001)
    assert a.mirror_host is None and a.layout == "nextjs" and a.version == 1


def test_mirror_replaces_when_preference_off_or_original_gone(session):
    save_article(session, make_record(1), raw_page_id=None, now=T0)
    assert (
        save_article(session, _mirror(1, paragraphs=["镜像"]), raw_page_id=None, now=T0, prefer_original=False)
        == "updated"
    )
    assert session.get(Article, 1).mirror_host == "nxos.example"
    gone = make_record(2, content_type="gone", gone_reason="http_404", title="", paragraphs=[], tags=[], images=[])
    save_article(session, gone, raw_page_id=None, now=T0)
    assert save_article(session, _mirror(2, paragraphs=["唯一幸存的文本"]), raw_page_id=None, now=T0) == "updated"
    a = session.get(Article, 2)
    assert a.content_type == "news" and a.paragraphs == ["唯一幸存的文本"]


def test_gone_keeps_old_text_in_a_version(session):
    rec = make_record()
    save_article(session, rec, raw_page_id=None, now=T0)
    session.commit()
    t1 = T0 + timedelta(days=3)
    gone = make_record(
        content_type="gone",
        gone_reason="offline_notice",
        title="",
        summary="",
        paragraphs=[],
        images=[],
        tags=[],
        published_at=None,
        author="",
    )
    assert save_article(session, gone, raw_page_id=None, now=t1) == "updated"
    session.commit()
    t2 = t1 + timedelta(days=1)
    assert save_article(session, gone, raw_page_id=None, now=t2) == "unchanged"
    session.commit()
    session.expunge_all()
    a = session.get(Article, 1001)
    assert a.content_type == "gone" and a.gone_reason == "offline_notice" and a.version == 2
    assert a.paragraphs == [] and a.body_text == "" and a.word_count == 0
    assert a.title == rec.title and a.published_at == T0 and a.author == rec.author  # metadata kept
    assert a.tag_names == rec.tags and a.last_seen == t2
    v = session.scalars(sa.select(ArticleVersion)).one()
    assert v.paragraphs == rec.paragraphs and v.body_text == rec.body_text and v.content_type == "news"


def test_gone_over_mirror_copy_keeps_the_copy(session):
    save_article(session, _mirror(), raw_page_id=None, now=T0)
    gone = make_record(content_type="gone", gone_reason="http_404", title="", paragraphs=[])
    assert save_article(session, gone, raw_page_id=None, now=T0 + timedelta(1)) == "unchanged"
    a = session.get(Article, 1001)
    assert a.mirror_host and a.paragraphs == make_record().paragraphs and a.content_type == "news"


def test_save_requires_cont_id_and_aware_now(session):
    with pytest.raises(ValueError, match="cont_id"):
        save_article(session, make_record(None), raw_page_id=None, now=T0)
    with pytest.raises(ValueError, match="aware"):
        save_article(session, make_record(), raw_page_id=None, now=datetime(2024, 1, 1))


def test_raw_page_article_and_tags_share_one_transaction(archive):
    _, Session = archive
    with Session() as s:
        raw = _raw(s)
        save_article(s, make_record(), raw_page_id=raw.id, now=T0)
        s.rollback()
    with Session() as s:
        for model in (RawPage, Article, ArticleTag, Tag):
            assert s.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model


def test_known_hashes(session):
    recs = [make_record(i, title=f"标题{i}") for i in range(1, 1201, 7)]
    for r in recs:
        save_article(session, r, raw_page_id=None, now=T0)
    session.commit()
    asked = [r.cont_id for r in recs] + [999_999, 3]
    assert known_hashes(session, asked) == {r.cont_id: r.content_hash for r in recs}
    assert known_hashes(session, []) == {}


# --------------------------------------------------------------------------- raw archive
def test_raw_archive_round_trip(archive):
    _, Session = archive
    body = b"<html><meta charset=gbk>" + "澎湃新闻".encode("gbk") + b"\x00\xff\xfe" + b"<p>x</p>" * 500
    headers = {b"Content-Type": [b"text/html; charset=GBK"], "Set-Cookie": ["a=1", "b=2"], "X-N": 3}
    with Session() as s:
        run = start_run(s, command="crawl", args={}, now=T0)
        page = _raw(
            s,
            body=body,
            headers=headers,
            status=404,
            run_id=run.id,
            cont_id=77,
            final_url="https://www.thepaper.cn/x",
            note="n",
        )
        s.commit()
        pid = page.id
    with Session() as s:
        p = s.get(RawPage, pid)
        assert p.raw_bytes() == body
        assert p.body != body and len(p.body) < len(body) and zstandard.decompress(p.body) == body
        assert (p.body_size, p.sha256, p.compression) == (len(body), hashlib.sha256(body).hexdigest(), "zstd")
        assert p.dictionary_id is None  # no dictionary trained yet
        assert p.headers == {"Content-Type": "text/html; charset=GBK", "Set-Cookie": "a=1, b=2", "X-N": "3"}
        assert (p.status, p.cont_id, p.kind, p.note, p.fetched_at) == (404, 77, "article", "n", T0)
        assert p.run_id is not None and p.final_url == "https://www.thepaper.cn/x"


@pytest.mark.parametrize(
    "bad, exc",
    [({"kind": "nope"}, ValueError), ({"body": "text"}, TypeError), ({"fetched_at": datetime(2024, 1, 1)}, ValueError)],
)
def test_raw_archive_refuses_bad_input(session, bad, exc):
    with pytest.raises(exc):
        _raw(session, **bad)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000))
def test_raw_bytes_round_trip_any_body(body):
    """Any body comes back byte for byte, without a dictionary and with one."""
    dictionary = _DICTIONARY
    for encoder in (PLAIN, Encoder(1, dictionary)):
        row = raw_page_row(
            url="u", final_url=None, status=200, headers=None, body=body, fetched_at=T0, kind="file", encoder=encoder
        )
        assert row["compression"] == "zstd" and row["dictionary_id"] == encoder.dictionary_id
        page = RawPage(**row)
        page.dictionary = RawDictionary(data=dictionary) if encoder.dictionary else None
        assert page.raw_bytes() == body and page.body_size == len(body)


_DICTIONARY = codec.train([f"<html><p>第{i}页</p>{'<div class=x>' * (i % 7)}".encode() * 20 for i in range(60)])


# --------------------------------------------------------------------------- failures
def test_failure_backoff_then_dead(session):
    url = "https://www.thepaper.cn/newsDetail_forward_5"
    base = 600
    for attempt in range(1, 5):
        now = T0 + timedelta(hours=attempt)
        f = record_failure(
            session,
            url=url,
            cont_id=5 if attempt == 1 else None,
            reason=f"http_50{attempt}",
            message=f"try {attempt}",
            run_id=None,
            now=now,
            max_attempts=4,
            backoff_base_s=base,
        )
        session.commit()
        assert f.attempts == attempt and f.reason == f"http_50{attempt}" and f.message == f"try {attempt}"
        assert f.cont_id == 5 and f.first_failed_at == T0 + timedelta(hours=1) and f.last_failed_at == now
        if attempt < 4:
            assert not f.dead and f.next_retry_at == now + timedelta(seconds=base * 2 ** (attempt - 1))
        else:
            assert f.dead and f.next_retry_at is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Failure)) == 1


def test_due_failures_and_resolve(session):
    a = record_failure(
        session, url="a", cont_id=1, reason="timeout", message="", run_id=None, now=T0, backoff_base_s=60
    )
    b = record_failure(
        session,
        url="b",
        cont_id=2,
        reason="timeout",
        message="",
        run_id=None,
        now=T0 + timedelta(seconds=30),
        backoff_base_s=60,
    )
    record_failure(session, url="c", cont_id=3, reason="http_404", message="", run_id=None, now=T0, max_attempts=1)
    session.commit()
    assert due_failures(session, T0 + timedelta(seconds=59)) == []
    assert [f.url for f in due_failures(session, T0 + timedelta(seconds=60))] == ["a"]
    assert [f.url for f in due_failures(session, T0 + timedelta(days=1))] == ["a", "b"]  # c is dead
    assert resolve_failure(session, "a") == 1
    assert resolve_failure(session, "other-url-form", cont_id=2) == 1
    assert resolve_failure(session, "a") == 0
    session.commit()
    assert [f.url for f in session.scalars(sa.select(Failure))] == ["c"]
    assert a is not None and b is not None


# --------------------------------------------------------------------------- runs and cursors
def test_runs_start_and_finish(session):
    run = start_run(session, command="crawl", args={"channels": [119908]}, now=T0)
    assert run.id is not None and run.status == "running" and run.pid == os.getpid()
    counters = {"new": 3, "updated": 1, "unchanged": 9, "gone": 1, "failed": 0}
    finish_run(session, run, status="ok", counters=counters, message="done", now=T0 + timedelta(minutes=2))
    session.commit()
    session.expunge_all()
    r = session.get(CrawlRun, run.id)
    assert (r.status, r.counters, r.message, r.args) == ("ok", counters, "done", {"channels": [119908]})
    assert r.finished_at - r.started_at == timedelta(minutes=2) and r.hostname == socket.gethostname()
    with pytest.raises(ValueError):
        finish_run(session, r, status="running", counters={}, message=None, now=T0)


def test_abort_dead_runs(session):
    dead_pid = _dead_pid()
    mine = start_run(session, command="crawl", args={}, now=T0)
    crashed = start_run(session, command="crawl", args={}, now=T0)
    crashed.pid = dead_pid
    elsewhere = start_run(session, command="crawl", args={}, now=T0)
    elsewhere.pid, elsewhere.hostname = dead_pid, "some-other-host"
    session.flush()
    assert [r.id for r in abort_dead_runs(session, T0)] == [crashed.id]
    assert (crashed.status, mine.status, elsewhere.status) == ("aborted", "running", "running")


def test_cursor_advances_but_never_back(session):
    assert get_cursor(session, "channel", 119908) is None
    c = set_cursor(session, "channel", 119908, 1_700_000_000_000, run_id=None, now=T0)
    set_cursor(session, "channel", 119908, 1_600_000_000_000, run_id=None, now=T0 + timedelta(1))
    assert c.newest_pub_time_ms == 1_700_000_000_000 and c.updated_at == T0
    set_cursor(session, "channel", 119908, 1_800_000_000_000, run_id=None, now=T0 + timedelta(2))
    set_cursor(session, "node", 119908, 5, run_id=None, now=T0)
    session.commit()
    assert get_cursor(session, "channel", 119908).newest_pub_time_ms == 1_800_000_000_000
    assert get_cursor(session, "node", 119908).newest_pub_time_ms == 5
    set_cursor(session, "channel", 119908, 1, run_id=None, now=T0, force=True)
    assert get_cursor(session, "channel", 119908).newest_pub_time_ms == 1
    with pytest.raises(ValueError):
        set_cursor(session, "tag", 1, 1, run_id=None, now=T0)


# --------------------------------------------------------------------------- locks
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lock_acquire_refuse_heartbeat_release(archive):
    engine, _ = archive
    me, other = "hostA:1", f"{socket.gethostname()}:{os.getpid()}"
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=me)
    assert not acquire_lock(engine, "crawl", stale_after_s=60, holder=other)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=me)  # re-entrant for the holder
    assert acquire_lock(engine, "reprocess", stale_after_s=60, holder=other)  # other names are free
    assert heartbeat(engine, "crawl", holder=me) and not heartbeat(engine, "crawl", holder=other)
    assert not release_lock(engine, "crawl", holder=other)
    assert release_lock(engine, "crawl", holder=me)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=other)
    assert lock_holder(engine, "crawl").holder == other


def test_stale_lock_is_taken_over(archive):
    engine, _ = archive
    t = datetime.now(timezone.utc)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder="far-host:42", now=t - timedelta(seconds=61))
    assert not acquire_lock(engine, "crawl", stale_after_s=120, holder="me:1", now=t)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder="me:1", now=t)
    assert not heartbeat(engine, "crawl", holder="far-host:42")  # the old holder learns it lost it
    lock = lock_holder(engine, "crawl")
    assert lock.holder == "me:1" and lock.acquired_at == t


def test_dead_holder_lock_is_taken_over(archive):
    engine, _ = archive
    dead = f"{socket.gethostname()}:{_dead_pid()}"
    assert acquire_lock(engine, "crawl", stale_after_s=3600, holder=dead)
    assert acquire_lock(engine, "crawl", stale_after_s=3600)  # fresh heartbeat, but its pid is gone
    assert lock_holder(engine, "crawl").holder == f"{socket.gethostname()}:{os.getpid()}"
    # a live holder (this very process) on the same host is respected
    assert not acquire_lock(engine, "crawl", stale_after_s=3600, holder="x:1")


_RACER = textwrap.dedent("""
    import sys
    from storage.db import make_engine
    from storage.runs import acquire_lock
    engine = make_engine(sys.argv[1])
    print("READY", flush=True)
    sys.stdin.readline()  # GO: every racer is ready
    print("GOT" if acquire_lock(engine, "crawl", stale_after_s=600) else "REFUSED", flush=True)
    sys.stdin.readline()  # stay alive until every racer has tried: a dead holder would be taken over
""")


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


def test_lock_race_between_processes(archive, db_url):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = start_together(_RACER, [db_url], 6, env)
    results = [proc.stdout.readline().strip() for proc in procs]  # every racer has tried
    outs = [proc.communicate(input="done\n", timeout=60) for proc in procs]
    assert sorted(results) == ["GOT"] + ["REFUSED"] * 5, [o[1][-500:] for o in outs]


# --------------------------------------------------------------------------- time zones
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 1, 9, 30, tzinfo=SH),
        datetime(2024, 3, 1, 1, 30, tzinfo=timezone.utc),
        datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2016, 7, 1, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ],
)
def test_aware_datetimes_round_trip_in_shanghai(archive, moment):
    engine, Session = archive
    with Session() as s:
        save_article(s, make_record(published_at=moment), raw_page_id=None, now=moment)
        s.commit()
    with Session() as s:
        a = s.get(Article, 1001)
        assert a.published_at == moment and a.first_seen == moment
        assert a.published_at.utcoffset() == timedelta(hours=8) and a.published_at.tzinfo.key == "Asia/Shanghai"
        hits = s.scalars(sa.select(Article.cont_id).where(Article.published_at == moment.astimezone(SH))).all()
        assert hits == [1001]
        if engine.dialect.name == "sqlite":  # stored as naive UTC text
            stored = s.execute(sa.select(sa.cast(Article.__table__.c.published_at, sa.String))).scalar_one()
            assert stored.startswith(moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))


def test_naive_datetime_is_refused(session):
    with pytest.raises(sa.exc.StatementError) as err:
        session.add(CrawlRun(started_at=datetime(2024, 1, 1), status="running", command="x", args={}, counters={}))
        session.flush()
    assert isinstance(err.value.orig, NaiveDatetimeError) and "naive" in str(err.value.orig)


# --------------------------------------------------------------------------- SQLite concurrency
def test_sqlite_pragmas(tmp_path):
    engine, _ = open_archive(str(tmp_path / "p.sqlite3"), create=True)
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert pragma == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 1}
    finally:
        engine.dispose()


def test_foreign_keys_enforced(archive):
    _, Session = archive
    with Session() as s:
        s.add(
            ArticleVersion(
                cont_id=424242, version=1, content_hash="x", cleaner_version="1", valid_from=T0, replaced_at=T0
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()


def test_open_reader_does_not_block_writer(archive):
    engine, Session = archive
    with Session() as s:
        for i in range(1, 51):
            save_article(s, make_record(i, title=f"t{i}"), raw_page_id=None, now=T0)
        s.commit()
    reader_engine = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with reader_engine.connect() as reader:
            rows = reader.execute(sa.select(Article.cont_id).order_by(Article.cont_id)).yield_per(1)
            first = next(iter(rows))  # a read in progress, cursor open
            # The write commits while the reader's cursor is still open: a writer that the reader
            # blocked could only fail (busy timeout) or hang here, whatever the machine's speed.
            with Session() as w:
                save_article(w, make_record(999, title="新的"), raw_page_id=None, now=T0)
                archive_raw(w, url="u", final_url=None, status=200, headers={}, body=b"x", fetched_at=T0, kind="list")
                w.commit()
            rest = [r[0] for r in rows]
        assert first[0] == 1 and rest == list(range(2, 51))  # the reader's snapshot is unaffected
        with Session() as s:
            assert s.get(Article, 999).title == "新的"
    finally:
        reader_engine.dispose()


_OPENER = textwrap.dedent("""
    import sys
    from storage.db import open_archive, current_revision
    print("READY", flush=True)
    sys.stdin.readline()  # GO
    engine, _ = open_archive(sys.argv[1], create=True)
    print(current_revision(engine), flush=True)
""")


def test_concurrent_first_opens_migrate_once(db_url):
    """Several processes opening a new archive at the same moment all succeed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = start_together(_OPENER, [db_url], 5, env)
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [o[1][-800:] for o in outs]
    assert {o[0].strip() for o in outs} == {head_revision()}


class _BusyOnceCursor:
    """A DBAPI cursor whose first switch to WAL meets "database is locked", as when another
    process opens the same new archive at that instant (SQLite does not wait then)."""

    def __init__(self, fail_times: int, message: str = "database is locked"):
        import sqlite3

        self.fail_times, self.message, self.error = fail_times, message, sqlite3.OperationalError
        self.mode, self.calls = "delete", []

    def execute(self, sql):
        self.calls.append(sql)
        if sql == "PRAGMA journal_mode = WAL":
            if self.fail_times:
                self.fail_times -= 1
                raise self.error(self.message)
            self.mode = "wal"
        return self

    def fetchone(self):
        return (self.mode,)


def test_switch_to_wal_waits_out_a_concurrent_opener():
    from storage.db import _use_wal

    cur = _BusyOnceCursor(fail_times=3)
    _use_wal(cur)
    assert cur.mode == "wal" and cur.calls.count("PRAGMA journal_mode = WAL") == 4
    done = _BusyOnceCursor(fail_times=0)
    done.mode = "wal"
    _use_wal(done)  # already WAL (a property of the file): nothing to switch
    assert done.calls == ["PRAGMA journal_mode"]
    with pytest.raises(Exception, match="disk I/O error"):  # other errors are not retried
        _use_wal(_BusyOnceCursor(fail_times=1, message="disk I/O error"))
