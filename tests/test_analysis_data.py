"""A small realistic archive for the analysis tests (written through the storage write modules),
its database fixtures on SQLite and PostgreSQL, and checks of the data itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from domain.record import ArticleRecord, Image
from cleaning.document import with_keywords
from storage.articles import save_article
from storage.failures import record_failure
from storage.raw import archive_raw
from storage.runs import finish_run, start_run
from storage.db import open_archive
from tests.conftest import BACKENDS, fresh_db_url

SH = ZoneInfo("Asia/Shanghai")
COLUMNS = {25950: "科技湃", 119489: "智能车", 27234: "未来2%_实验室"}

# cont_id, days before now, hour (Shanghai), node_id, title, paragraphs, tags, content_type
ARTICLES = [
    (
        31000001,
        0,
        9,
        25950,
        "人工智能芯片竞赛升温：人工智能公司扎堆发布新品",
        [
            "多家人工智能企业本周发布新一代芯片。",
            "业内人士认为，人工智能芯片的算力竞赛仍将持续。",
            "光刻机供应依然是瓶颈。",
        ],
        ["人工智能", "芯片"],
        "news",
    ),
    (
        31000002,
        0,
        14,
        25950,
        "大模型走进课堂",
        ["某高校开设大模型课程，学生用人工智能工具完成作业。", "老师表示，要教会学生辨别信息真伪。"],
        ["大模型", "教育"],
        "news",
    ),
    (
        31000003,
        1,
        8,
        119489,
        "智能驾驶新规出台",
        ["交通部门发布智能驾驶测试新规。", "新规要求测试车辆配备安全员，并记录全部行驶数据。"],
        ["智能驾驶", "新规"],
        "news",
    ),
    (
        31000004,
        1,
        23,
        119489,
        "电池技术突破：固态电池量产在即",
        ["研究团队宣布固态电池能量密度提升三成。", "专家提醒，量产成本仍需下降。"],
        ["电池", "新能源"],
        "news",
    ),
    (
        31000005,
        2,
        0,
        27234,
        "量子计算的下一步",
        ["量子计算机在特定问题上已显示优势。", "科学家正在研究纠错方案，光量子路线也受到关注。"],
        ["量子计算", "科研"],
        "news",
    ),
    (
        31000006,
        2,
        12,
        25950,
        "芯片出口数据公布",
        ["海关数据显示，芯片出口额同比增长。", "分析人士称需求来自消费电子回暖。"],
        ["芯片", "外贸"],
        "pph",
    ),
    (
        31000007,
        3,
        10,
        27234,
        "<script>document.title='pwned'</script>实验室开放日",
        ["实验室向公众开放，展示机器人与<b>脑机接口</b>研究。", "参观者可以体验光学显微镜。"],
        ["<img src=x onerror=alert(1)>", "科普"],
        "news",
    ),
    (
        31000008,
        5,
        16,
        119489,
        "自动驾驶出租车扩大运营",
        ["自动驾驶出租车在更多城区开放。", "乘客反馈总体平稳，但雨天仍会接管。"],
        ["智能驾驶", "出行"],
        "video",
    ),
    (
        31000009,
        9,
        11,
        25950,
        "AI绘画引发版权讨论",
        ["AI 绘画工具生成的图片是否受版权保护，引发讨论。", "律师认为需要个案判断。"],
        ["AI", "版权"],
        "news",
    ),
    (31000010, 40, 11, 25950, "一个月前的旧闻：人工智能伦理指南", ["人工智能伦理指南征求意见。"], ["人工智能"], "news"),
    (31000011, 1, 18, None, "无栏目稿件：卫星互联网", ["卫星互联网星座完成新一轮发射。"], [], "news"),
]
GONE_ID = 31000006


def make_record(row, now: datetime) -> ArticleRecord:
    cont_id, days, hour, node, title, paras, tags, ctype = row
    day = (now.astimezone(SH) - timedelta(days=days)).date()
    published = datetime(day.year, day.month, day.day, hour, 5, tzinfo=SH)
    return with_keywords(
        ArticleRecord(
            cont_id=cont_id,
            url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}",
            layout="nextjs",
            content_type=ctype,
            title=title,
            summary=paras[0][:20],
            published_at=published,
            author="澎湃新闻记者 朱轩",
            editor="李跃群",
            source="澎湃新闻",
            node_id=node,
            node_name=COLUMNS.get(node, ""),
            channel_id=119908,
            channel_name="科技",
            tags=list(tags),
            images=[Image(src=f"https://imagecloud.thepaper.cn/{cont_id}.jpg", caption="图片来源：网络")],
            paragraphs=list(paras),
            encoding="utf-8",
            encoding_reason="header",
        )
    )  # keywords as the cleaner sets them


def fill_archive(Session, now: datetime) -> dict:
    """Store ARTICLES (with raw pages), three runs, failures and one article gone afterwards."""
    info = {"raw_sizes": [], "raw_compressed": []}
    with Session() as s:
        runs = []
        for i, (status, counters, mins) in enumerate(
            [
                ("ok", {"new": 9, "updated": 0, "unchanged": 0, "gone": 0, "failed": 2, "duration_s": 61.5}, 30),
                ("partial", {"new": 2, "updated": 1, "unchanged": 7, "gone": 1, "failed": 1}, 12),
                ("failed", {"new": 0, "updated": 0, "unchanged": 0, "gone": 0, "failed": 0}, 3),
            ]
        ):
            run = start_run(s, command="crawl", args={"i": i}, now=now - timedelta(hours=10 - i * 3))
            finish_run(
                s, run, status=status, counters=counters, message=None, now=run.started_at + timedelta(minutes=mins)
            )
            runs.append(run)
        for row in ARTICLES:
            rec = make_record(row, now)
            body = f"<html><body><h1>{rec.title}</h1>{''.join(rec.paragraphs)}</body></html>".encode() * 3
            page = archive_raw(
                s,
                url=rec.url,
                final_url=rec.url,
                status=200,
                headers={"a": "b"},
                body=body,
                fetched_at=now - timedelta(hours=1),
                kind="article",
                run_id=runs[0].id,
                cont_id=rec.cont_id,
            )
            s.flush()
            info["raw_sizes"].append(len(body))
            assert save_article(s, rec, raw_page_id=page.id, now=now - timedelta(hours=1)) == "new"
        s.flush()
        gone = make_record(next(r for r in ARTICLES if r[0] == GONE_ID), now)
        gone.content_type, gone.gone_reason, gone.paragraphs, gone.tags = "gone", "http_404", [], []
        assert save_article(s, gone, raw_page_id=None, now=now) == "updated"
        for url, reason, attempts in [
            ("https://www.thepaper.cn/newsDetail_forward_1", "http_503", 1),
            ("https://www.thepaper.cn/newsDetail_forward_2", "timeout", 2),
            ("https://www.thepaper.cn/newsDetail_forward_3", "http_503", 5),
        ]:
            for _ in range(attempts):
                record_failure(
                    s, url=url, cont_id=None, reason=reason, message="x", run_id=runs[1].id, now=now, max_attempts=5
                )
        s.commit()
        info["raw_compressed"] = [n for (n,) in s.execute(sa.text("SELECT length(body) FROM raw_pages"))]
    return info


def backend_url(backend: str, directory, name: str) -> str:
    """An empty archive on ``backend`` (own PostgreSQL database per test module)."""
    return fresh_db_url(backend, directory, name)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """Empty archive on each backend (a PostgreSQL database of its own for these tests)."""
    return backend_url(request.param, tmp_path, "analysis_fn")


@pytest.fixture(params=BACKENDS)
def filled(request, tmp_path):
    """(url, engine, Session, now, info): the sample archive on each backend."""
    url = backend_url(request.param, tmp_path, "analysis_fn")
    engine, Session = open_archive(url, create=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    info = fill_archive(Session, now)
    yield url, engine, Session, now, info
    engine.dispose()


# ---------------------------------------------------------------------------- the data itself
def test_sample_archive_is_stored_as_written(filled):
    _, engine, Session, now, info = filled
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM articles")).scalar() == len(ARTICLES)
        tags = c.execute(sa.text("SELECT tags FROM article_overview WHERE cont_id = 31000001")).scalar()
        assert tags == "人工智能;芯片"
        assert (
            c.execute(sa.text("SELECT content_type FROM articles WHERE cont_id = :c"), {"c": GONE_ID}).scalar()
            == "gone"
        )
        assert sorted(info["raw_sizes"]) == sorted(n for (n,) in c.execute(sa.text("SELECT body_size FROM raw_pages")))


def stored_texts() -> dict[int, tuple[str, str]]:
    """(title, body_text) of every sample article as stored after fill_archive (gone: no body)."""
    return {row[0]: (row[4], "" if row[0] == GONE_ID else "\n".join(row[5])) for row in ARTICLES}


def expected_hits(terms: list[str]) -> dict[int, int]:
    """cont_id -> score (3 per title occurrence + 1 per body occurrence) of articles holding
    every term, computed in Python from the sample data."""
    out = {}
    for cid, (title, body) in stored_texts().items():
        t, b = title.lower(), body.lower()
        if all(term.lower() in t or term.lower() in b for term in terms):
            out[cid] = sum(3 * t.count(term.lower()) + b.count(term.lower()) for term in terms)
    return out
