"""What an article's keywords were computed from (``articles.keywords_basis``), and ``reprocess``
taking the stored keywords of a text of the same basis instead of computing them again: the same
words as computing them (checked on the mock's pages, with the cases where they must not be
taken), the keyword stage not run for them (counted, not timed), the basis kept with kept
keywords, written by ``reprocess --keywords-only``, filled in without an update, and revision
0011 on both backends."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
import sqlalchemy as sa

from cleaning import document as chain
from cleaning import keywords as kw
from cleaning.document import record_basis, with_known_keywords
from cleaning.page import clean_page
from domain.record import ArticleRecord, keywords_basis
from jobs import reprocess
from jobs.keywords import fill_keywords
from mocksite import MockSite, generate_dataset
from storage.article_decision import StoredArticle, _record_fields, decide_save
from storage.db import open_archive, upgrade
from storage.models import Article
from tests.conftest import BACKENDS, downgrade, fresh_db_url
from tests.test_reprocess import URL, _seed_mock_archive

PG_DB = "keywords_basis"
CODE = "c" * 32
HASH = "h" * 64


def test_the_basis_changes_with_each_input_and_only_with_them():
    base = keywords_basis(CODE, False, "标题", "摘要", HASH)
    assert base == keywords_basis(CODE, False, "标题", "摘要", HASH) and len(base) == 32
    others = [
        keywords_basis("d" * 32, False, "标题", "摘要", HASH),
        keywords_basis(CODE, True, "标题", "摘要", HASH),
        keywords_basis(CODE, False, "标题二", "摘要", HASH),
        keywords_basis(CODE, False, "标题", "摘要二", HASH),
        keywords_basis(CODE, False, "标题", "", HASH),
        keywords_basis(CODE, False, "标题", "摘要", "g" * 64),
        # the title's and summary's lengths tell apart what moves between them
        keywords_basis(CODE, False, "标", "题摘要", HASH),
    ]
    assert base not in others and len(set(others)) == len(others)


def test_the_code_identity_follows_the_stop_words(tmp_path, monkeypatch):
    before = kw.keywords_code()
    stop = tmp_path / "stop.txt"
    stop.write_text(kw.STOPWORDS_FILE.read_text(encoding="utf-8") + "\n新停用词\n", encoding="utf-8")
    monkeypatch.setattr(kw, "_CODE", None)
    monkeypatch.setattr(kw, "STOPWORDS_FILE", stop)
    assert kw.keywords_code() != before
    monkeypatch.setattr(kw, "_CODE", None)
    monkeypatch.setattr(kw, "STOPWORDS_FILE", kw.Path(kw.__file__).with_name("stopwords_zh.txt"))
    assert kw.keywords_code() == before


def test_the_code_identity_is_not_output_nor_compared():
    rec = ArticleRecord(cont_id=1, title="标题", paragraphs=["正文"], keywords=["正文"], keywords_code=CODE)
    assert "keywords_code" not in rec.to_dict()
    assert rec == replace(rec, keywords_code=None)


@pytest.fixture(scope="module")
def pages():
    ds = generate_dataset(80, seed=11)
    site = MockSite(ds)
    out = []
    for art in ds.articles():
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        out.append((art.cont_id, resp.body, {"Content-Type": resp.content_type}, resp.status))
    return out


def _clean(page, keywords: bool = True):
    cont_id, body, headers, status = page
    try:
        return clean_page(body, url=URL(cont_id), headers=headers, status=status, cont_id=cont_id, keywords=keywords)
    except Exception:  # noqa: BLE001 - a page the chain refuses has no keywords either way
        return None


@pytest.fixture()
def counted(monkeypatch) -> Counter:
    """How many times the keyword stage runs (the chain's own reference to it, wrapped)."""
    calls: Counter = Counter()
    original = chain.extract_keywords

    def extract(*args, **kwargs):
        calls["extract"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(chain, "extract_keywords", extract)
    return calls


def test_known_keywords_are_the_computed_ones_and_are_taken_without_computing(pages, counted):
    computed = {p[0]: r for p in pages if (r := _clean(p)) is not None and r.content_type != "gone"}
    assert len(computed) > 50 and sum(bool(r.keywords) for r in computed.values()) > 40
    assert all(r.keywords_code == kw.keywords_code() for r in computed.values())
    known = {cid: (record_basis(r), r.keywords) for cid, r in computed.items()}
    counted.clear()
    for page in pages:
        bare = _clean(page, keywords=False)
        if bare is None or bare.content_type == "gone":
            continue
        assert bare.keywords == [] and bare.keywords_code is None
        taken = with_known_keywords(bare, known)
        assert taken.keywords == computed[page[0]].keywords and taken.keywords_code == kw.keywords_code()
    assert counted["extract"] == 0


@pytest.mark.parametrize(
    "stored",
    [
        lambda rec: (keywords_basis(CODE, False, rec.title, rec.summary, rec.content_hash), ["别的词"]),  # other code
        lambda rec: (record_basis(replace(rec, title=rec.title + "改")), ["别的词"]),  # another text's
        lambda rec: (None, ["别的词"]),  # computed by nobody known
        lambda rec: None,  # not stored
    ],
)
def test_keywords_of_another_basis_are_not_taken(pages, counted, stored):
    done = 0
    for page in pages[:30]:
        bare = _clean(page, keywords=False)
        if bare is None or bare.content_type == "gone":
            continue
        want = chain.with_keywords(replace(bare)).keywords
        row = stored(bare)
        counted.clear()
        got = with_known_keywords(bare, {bare.cont_id: row} if row is not None else {})
        assert got.keywords == want and "别的词" not in got.keywords and counted["extract"] == 1
        done += 1
    assert done > 15


def _bases(engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        return {
            r.cont_id: (r.keywords_basis, r.keywords, r.updated_at)
            for r in conn.execute(
                sa.select(Article.cont_id, Article.keywords_basis, Article.keywords, Article.updated_at)
            )
        }


@pytest.mark.parametrize("backend", BACKENDS)
def test_reprocess_computes_keywords_only_where_the_basis_is_not_the_stored_one(backend, tmp_path, counted):
    engine, Session = open_archive(fresh_db_url(backend, tmp_path, PG_DB), create=True)
    try:
        _seed_mock_archive(Session)
        counted.clear()
        counts = reprocess.reprocess_archive(Session, jobs=1)  # the seed's lost article comes back
        assert counts["new"] == 1 and counted["extract"] == 1
        before = _bases(engine)
        with_basis = {c for c, (b, _, _) in before.items() if b is not None}
        assert len(with_basis) > 25
        for cont_id in with_basis:  # what the crawl stored: the basis of the stored text
            with Session() as s:
                a = s.get(Article, cont_id)
                text = ArticleRecord(title=a.title, summary=a.summary, paragraphs=a.paragraphs)
                assert before[cont_id][0] == keywords_basis(
                    kw.keywords_code(), False, a.title, a.summary, text.content_hash
                )
        counted.clear()
        counts = reprocess.reprocess_archive(Session, jobs=1)
        assert counted["extract"] == 0 and counts["updated"] == 0 and counts["unchanged"] >= len(with_basis)
        assert _bases(engine) == before

        # a stored title changed by hand: the page's text still has the stored basis (the keywords
        # were computed from it), so they are taken; the title goes back to the page's
        retitled, rebased = sorted(with_basis)[:3], sorted(with_basis)[3:6]
        with Session() as s:
            s.execute(sa.update(Article).where(Article.cont_id.in_(retitled)).values(title="旧标题"))
            # keywords stored as computed from another text: computed again, the same words, the basis
            # written back without an update
            s.execute(sa.update(Article).where(Article.cont_id.in_(rebased)).values(keywords_basis="0" * 32))
            s.commit()
        counted.clear()
        counts = reprocess.reprocess_archive(Session, jobs=1)
        assert counted["extract"] == len(rebased) and counts["updated"] == len(retitled)
        now = _bases(engine)
        assert {c: v[:2] for c, v in now.items()} == {c: v[:2] for c, v in before.items()}
        assert all(now[c][2] == before[c][2] for c in rebased)
        changed = retitled

        with Session() as s:  # rows stored without a basis (before revision 0011): computed, filled in
            s.execute(sa.update(Article).values(keywords_basis=None))
            s.commit()
        counted.clear()
        counts = reprocess.reprocess_archive(Session, jobs=1)
        assert counted["extract"] >= len(with_basis) and counts["updated"] == 0
        after = _bases(engine)
        assert {c: v[:2] for c, v in after.items()} == {c: v[:2] for c, v in before.items()}
        assert all(after[c][2] == before[c][2] for c in with_basis if c not in changed)  # no update, no new time
    finally:
        engine.dispose()


def _stored(rec: ArticleRecord, **kw_) -> StoredArticle:
    """``rec`` as the archive holds it (its columns as a save writes them), with its basis."""
    fields = {c.key: None for c in Article.__table__.columns}
    fields.update(_record_fields(rec), cont_id=rec.cont_id, keywords_basis=record_basis(rec), text_captured_at=None)
    fields.update(kw_)
    return StoredArticle(**fields, tag_names=[])


def test_kept_keywords_keep_their_basis_and_new_ones_bring_theirs():
    stored_rec = ArticleRecord(cont_id=7, title="芯片产业", paragraphs=["国产芯片产业链发展迅速。"], keywords=["芯片"])
    old = _stored(stored_rec)
    bare = ArticleRecord(cont_id=7, title="芯片产业", paragraphs=["国产芯片产业链发展迅速，新段落。"])  # --no-keywords
    outcome, fields = decide_save(old, bare)
    assert outcome == "updated" and fields["keywords"] == ["芯片"] and fields["keywords_basis"] == old.keywords_basis
    fresh = chain.with_keywords(replace(bare))
    outcome, fields = decide_save(old, fresh)
    assert outcome == "updated" and fields["keywords_basis"] == record_basis(fresh) != old.keywords_basis
    # the same text and words, only the basis missing: filled in, not an update
    same = chain.with_keywords(replace(stored_rec))
    outcome, fields = decide_save(_stored(same, keywords_basis=None), same)
    assert outcome == "unchanged" and fields == {"keywords_basis": record_basis(same)}
    assert decide_save(_stored(same), same) == ("unchanged", None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_keywords_only_writes_the_basis_a_crawl_stores(backend, tmp_path):
    engine, Session = open_archive(fresh_db_url(backend, tmp_path, PG_DB), create=True)
    try:
        _seed_mock_archive(Session)
        before = _bases(engine)
        with Session() as s:
            s.execute(sa.update(Article).values(keywords=[], keywords_basis=None))
            s.commit()
        counts = fill_keywords(Session)
        assert counts["updated"] > 25
        after = _bases(engine)
        with_words = [c for c, (b, words, _) in before.items() if words]
        assert with_words and all(after[c][:2] == before[c][:2] for c in with_words)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_revision_0011_adds_the_column_empty_and_a_downgrade_drops_only_it(backend, tmp_path):
    engine, Session = open_archive(fresh_db_url(backend, tmp_path, PG_DB), create=True)
    try:
        _seed_mock_archive(Session, n=12)
        before = _bases(engine)
        downgrade(engine, "0010_dictionary_growth")
        assert "keywords_basis" not in {c["name"] for c in sa.inspect(engine).get_columns("articles")}
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM articles")) == len(before)
        upgrade(engine)
        after = _bases(engine)
        assert {c: v[1:] for c, v in after.items()} == {c: v[1:] for c, v in before.items()}
        assert all(b is None for b, _, _ in after.values())
        counts = reprocess.reprocess_archive(Session, jobs=1)  # the bases come back, nothing updated
        again = _bases(engine)
        assert counts["updated"] == 0 and counts["new"] == 1  # the seed's lost article
        assert {c: again[c] for c in before} == before
    finally:
        engine.dispose()
