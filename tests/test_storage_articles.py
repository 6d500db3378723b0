"""Saving articles: new, unchanged, updated and versioned articles, fields an update never empties,
tags, cleaner versions, mirror copies against originals, gone articles, and one transaction with
the raw page.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from domain.record import CLEANER_VERSION, ArticleRecord, Image
from storage.articles import known_hashes, save_article
from storage.db import open_archive, upgrade
from storage.models import Article, ArticleTag, ArticleVersion, RawPage, Tag
from tests.storage_helpers import T0, _raw, archive, make_record, session
from tests.conftest import downgrade


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

    from storage.render import body_html

    engine, Session = open_archive(db_url, create=True)
    try:
        rec = make_record(2003)
        with Session() as s:
            save_article(s, rec, raw_page_id=None, now=T0)
            s.commit()
        downgrade(engine, "0007_keywords")
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


# --------------------------------------------------------------------------- the compare, in C
@pytest.mark.parametrize(
    "value", [None, "", [], {}, 0, 0.0, False, "x", " ", [""], [0], {"": 0}, T0, ["人工智能"], {"nbsp": 2}]
)
def test_blank_is_none_or_an_empty_string_list_or_dict(value):
    """``_blank`` (a membership test) is the comparison chain it replaced, for every kind of column value."""
    from storage.article_decision import _blank

    assert _blank(value) == (value is None or value == "" or value == [] or value == {})


def _changed(value):
    """Another value of the same kind as ``value`` (a field of :func:`_record_fields`)."""
    if value is None:
        return "x"
    if isinstance(value, bool | int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, {"src": "x"}]
    if isinstance(value, dict):
        return {**value, "x": 1}
    return value + timedelta(seconds=1)  # a datetime


def test_same_as_stored_compares_every_field_as_the_field_by_field_loop_did():
    """``_same_as_stored`` (one tuple compare) gives what ``any(getattr(old, n) != v ...)`` gave: equal
    copies (not the same objects) are the same; any one field changed, or the tags, is not."""
    import copy

    from storage.article_decision import StoredArticle, _record_fields, _same_as_stored
    from storage.tags import clean_tag_names

    record = make_record()
    fields = _record_fields(record)
    same = StoredArticle(**copy.deepcopy(fields), tag_names=clean_tag_names(record.tags))
    assert _same_as_stored(same, fields, record)
    assert _same_as_stored(same, copy.deepcopy(fields), record)  # equal, not identical
    for name, value in fields.items():
        old = StoredArticle(**{**copy.deepcopy(fields), name: _changed(value)}, tag_names=same.tag_names)
        assert any(getattr(old, n) != v for n, v in fields.items()), name
        assert not _same_as_stored(old, fields, record), name
    retagged = StoredArticle(**copy.deepcopy(fields), tag_names=["别的"])
    assert not _same_as_stored(retagged, fields, record)
