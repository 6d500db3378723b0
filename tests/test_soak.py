"""Soak test: a crawl of a few thousand mock articles with 20% of the responses faulty.

Every kind of fault of the mock (HTTP errors, blocks, resets, hangs, truncated and
broken bodies, gzip bombs, oversized pages, wrong charsets, malformed HTML, broken
``__NEXT_DATA__``, list API damage, redirects and loops) is mixed in. After at
most three runs every recoverable article must be stored exactly once, every
unrecoverable one recorded in the failures table with its reason, and no run may
hang.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Failure
from tests.conftest import run_cli
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite

N_ARTICLES = 2500
RUN_TIMEOUT = 420  # seconds: a run that takes longer has hung

# 20% of article pages get a fault; a quarter of those are permanent, the rest go
# away after two failed requests. List API pages get transient faults only: a
# permanently broken list page would hide the articles behind it.
FAULTS = {
    "seed": 7,
    "max_delay": 1.0,
    "rules": [
        {
            "mix": 0.2,
            "pattern": r"^/newsDetail_forward_",
            "times": 2,
            "permanent": 0.25,
            "seed": 7,
            "delay": 0.5,
            "size": 24 * 1024 * 1024,
        },
        {"mix": 0.2, "pattern": r"^/contentapi/", "times": 2, "permanent": 0.0, "seed": 8, "delay": 0.5},
    ],
}

# Benign damage that deletes tags but no text: paragraph boundaries may be lost.
MERGES_PARAGRAPHS = {"html_unclosed", "html_tags_dropped"}

CRAWL_SETTINGS = [
    "-s",
    "THEPAPER_FAILURE_RETRY_BASE_S=0",  # runs follow each other at once here
    "-s",
    "THEPAPER_BREAKER_MIN_EVENTS=1000",  # the mock's 429/403 are sporadic, not a block
    "-s",
    "DOWNLOAD_TIMEOUT=5",
    "-s",
    "RETRY_TIMES=3",
]


def test_soak_twenty_percent_faults(tmp_path):
    dataset = generate_dataset(N_ARTICLES, seed=31)
    db = f"sqlite:///{tmp_path / 'soak.sqlite3'}"
    with MockSite(dataset, faults=FAULTS) as site:
        plan = site.faults
        outcomes = {a.cont_id: plan.expected_outcome(f"/newsDetail_forward_{a.cont_id}") for a in dataset.articles()}
        runs = []
        for _ in range(3):
            t0 = time.monotonic()
            proc = run_cli("crawl", "--base-url", site.base_url, "--db", db, "-q", *CRAWL_SETTINGS, timeout=RUN_TIMEOUT)
            runs.append((proc.returncode, time.monotonic() - t0, proc.stderr[-2000:]))
            assert proc.returncode == 0, proc.stderr[-4000:]
        injected = sum(plan.injected.values()) if hasattr(plan.injected, "values") else plan.injected
    assert injected > N_ARTICLES * 0.1, injected

    with Session(create_engine(db)) as s:
        rows = {a.cont_id: a for a in s.scalars(select(Article))}
        failures = {f.cont_id: f for f in s.scalars(select(Failure)) if f.cont_id is not None}
        n_rows = s.scalar(select(func.count()).select_from(Article))
        statuses = [r.status for r in s.scalars(select(CrawlRun))]
    assert n_rows == len(rows)  # one row per cont_id
    assert "running" not in statuses and len(statuses) == 3

    recoverable = [a for a in dataset.articles() if outcomes[a.cont_id] in ("ok", "transient")]
    permanent = [
        a
        for a in dataset.articles()
        if outcomes[a.cont_id] == "permanent" and a.kind not in ("external",) and not a.robots_disallowed
    ]
    assert permanent and len(recoverable) > N_ARTICLES * 0.9

    # A gone notice that only the page's JSON carries (content null, Next.js) cannot be read once that
    # JSON is broken: the page is recorded as truncated (tried again later), never guessed gone; a
    # later fetch without the fault stores it as gone.
    broken_json = {"nextdata_truncated", "nextdata_not_json"}
    unreadable = {
        a.cont_id
        for a in recoverable
        if a.kind == "gone_null"
        and a.layout == "nextjs"
        and {r.kind for r in plan.assigned(f"/newsDetail_forward_{a.cont_id}")} & broken_json
    }
    for cont_id in unreadable:
        if cont_id in rows:
            assert rows[cont_id].content_type == "gone", cont_id
        else:
            assert failures[cont_id].reason == "truncated_page", cont_id
    recoverable = [a for a in recoverable if a.cont_id not in unreadable]
    missing = [a.cont_id for a in recoverable if a.cont_id not in rows]
    assert not missing, (len(missing), missing[:10], [failures.get(c) and failures[c].reason for c in missing[:10]])
    for a in recoverable:
        row = rows[a.cont_id]
        if a.kind in ("news", "pph", "video", "live", "paywalled"):
            assert row.title == a.title, (a.cont_id, a.layout)
            kinds = {r.kind for r in plan.assigned(f"/newsDetail_forward_{a.cont_id}")}
            if kinds & MERGES_PARAGRAPHS:  # the text is intact, some paragraph breaks are not
                assert "".join(row.paragraphs) == "".join(a.expected_paragraphs), (a.cont_id, a.layout, kinds)
            else:
                assert row.paragraphs == a.expected_paragraphs, (a.cont_id, a.layout, kinds)
        elif a.kind == "external":
            assert row.content_type == "external"
        else:
            assert row.content_type == "gone", (a.cont_id, a.kind)

    # the unrecoverable ones: recorded with a reason (or, for "gone" pages whose fault
    # still let the site say so, stored as gone), never as empty articles
    for a in permanent:
        if a.cont_id in rows:
            row = rows[a.cont_id]
            assert row.content_type == "gone" or row.paragraphs, (a.cont_id, row.content_type)
            continue
        failure = failures.get(a.cont_id)
        assert failure is not None, (a.cont_id, a.kind)
        assert failure.reason and failure.message and failure.attempts >= 1
