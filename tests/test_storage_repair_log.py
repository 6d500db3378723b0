"""Revision 0009 (articles.repair_log): a record's repair log is stored and read back; an archive
stored before it keeps every row (an empty log); a downgrade drops only the column and an
upgrade brings it back empty."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from domain.record import ArticleRecord
from storage.articles import save_article
from storage.db import open_archive, upgrade
from storage.models import Article
from tests.conftest import downgrade

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
LOG = [
    {"field": "body", "offset": 3, "rule": "mojibake", "before": "æ¾Žæ¹ƒ", "after": "澎湃", "by": "bytes"},
    {"field": "body", "offset": 9, "rule": "gbk_tear", "before": "?;", "after": "模", "by": "model", "margin": 12.5},
]


def _record(cont_id: int, log: list[dict]) -> ArticleRecord:
    return ArticleRecord(
        cont_id=cont_id,
        url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}",
        title="标题",
        paragraphs=["澎湃新闻记者", "规模化"],
        repair_log=log,
    )


def test_the_log_is_stored_and_read_back(db_url):
    engine, Session = open_archive(db_url, create=True)
    try:
        with Session() as s:
            save_article(s, _record(4001, LOG), raw_page_id=None, now=T0)
            save_article(s, _record(4002, []), raw_page_id=None, now=T0)
            s.commit()
            assert s.get(Article, 4001).repair_log == LOG
            assert s.get(Article, 4002).repair_log == []
    finally:
        engine.dispose()


def test_downgrade_below_0009_keeps_every_row_and_upgrade_brings_the_column_back(db_url):
    engine, Session = open_archive(db_url, create=True)
    try:
        with Session() as s:
            save_article(s, _record(4003, LOG), raw_page_id=None, now=T0)
            s.commit()
        downgrade(engine, "0008_smaller_articles")
        cols = {c["name"] for c in sa.inspect(engine).get_columns("articles")}
        assert "repair_log" not in cols
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title, body_text FROM articles WHERE cont_id = 4003")).one() == (
                "标题",
                "澎湃新闻记者\n规模化",
            )
        upgrade(engine)
        with Session() as s:
            a = s.get(Article, 4003)
            assert a.repair_log == [] and a.body_text == "澎湃新闻记者\n规模化"
    finally:
        engine.dispose()
