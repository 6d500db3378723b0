"""The raw archive: a page's bytes, headers and hash round-trip exactly, with or without a dictionary,
and bad input is refused.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
import zstandard
from hypothesis import given, settings, strategies as st

from storage import codec
from storage.codec import PLAIN, Encoder
from storage.raw import raw_page_row
from storage.runs import start_run
from storage.models import RawDictionary, RawPage
from tests.storage_helpers import T0, _raw, archive, session


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
