"""``db compact`` (and a crawl's re-encode at its close) with a batch encoded on zstd's threads
(:func:`storage.codec.encode_many`), on a thread of its own while the next batch is read and the one
before written: each row gets the bytes one thread would give it, in its own row; a damaged body is
left as it is; a body that does not read back stops the run with nothing of its batch (nor of the
next) written; without zstd's threads (the cffi backend) the same frames one by one."""

from __future__ import annotations

import zlib

import pytest
import sqlalchemy as sa

from storage import codec
from storage.compact import THREADS, compact_archive
from storage.dictionaries import dictionary_bytes
from storage.models import RawPage
from tests.raw_codec_helpers import mixed  # noqa: F401 - the fixture


def _rows(Session) -> dict[int, tuple]:
    with Session() as s:
        return {
            r.id: tuple(r)
            for r in s.execute(sa.select(RawPage.id, RawPage.body, RawPage.compression, RawPage.dictionary_id))
        }


def test_the_default_is_at_most_two_threads():
    assert 1 <= THREADS <= 2


@pytest.mark.parametrize(("threads", "batch"), [(1, 7), (2, 7), (3, 7), (3, 2), (4, 200)])
def test_every_row_gets_the_bytes_one_thread_gives_it(mixed, threads, batch):  # noqa: F811
    _, Session, pages = mixed
    counts, note = compact_archive(Session, batch=batch, threads=threads)
    assert note is None and counts["pages"] == 60 and counts["damaged"] == 0
    with Session() as s:
        newest = max(s.scalars(sa.select(RawPage.dictionary_id)))
        dictionary = dictionary_bytes(s, {newest})[newest]
        total = 0
        for page in s.scalars(sa.select(RawPage)):
            assert page.raw_bytes() == pages[page.cont_id]  # its own page, not a neighbour's
            assert page.dictionary_id == newest
            assert page.body == codec.encode(pages[page.cont_id], dictionary, codec.DEFAULT_LEVEL)
            total += len(page.body)
    assert counts["bytes_after"] == total


@pytest.mark.parametrize("threads", [1, 3])
def test_a_damaged_body_among_threads_is_left_and_counted(mixed, threads):  # noqa: F811
    _, Session, pages = mixed
    with Session() as s:
        page = s.scalars(sa.select(RawPage).where(RawPage.compression == "zlib").order_by(RawPage.id)).all()[5]
        page.body, bad_id = zlib.compress(b"something else"), page.id
        s.commit()
    before = _rows(Session)[bad_id]
    counts, _ = compact_archive(Session, batch=9, threads=threads)
    assert counts["damaged"] == 1 and counts["pages"] == 59
    assert _rows(Session)[bad_id] == before  # untouched: the evidence stays


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("position", [4, 24])  # in the first batch of 10, in the third
def test_a_body_that_does_not_read_back_stops_the_run_with_nothing_of_its_batch_written(
    mixed,  # noqa: F811
    monkeypatch,
    threads,
    position,
):
    """The batches before it are written; its own, and the next one (already read and being
    encoded while this one was checked), are not."""
    _, Session, _ = mixed
    before = _rows(Session)
    with Session() as s:
        pages_by_id = {p.id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))}
    victim = sorted(before)[position]
    many = codec.Encoder.columns_many

    def broken(self, bodies, threads=1):
        out = many(self, bodies, threads)
        for body, columns in zip(bodies, out, strict=True):
            if body == pages_by_id[victim]:
                columns["body"] = columns["body"][:-3] + b"\x00\x00\x00"
        return out

    monkeypatch.setattr(codec.Encoder, "columns_many", broken)
    with pytest.raises(codec.CodecError, match=f"raw page {victim}: "):
        compact_archive(Session, batch=10, threads=threads)
    after = _rows(Session)
    written = position // 10 * 10  # the rows of the batches before the victim's (the first 40 are to do)
    assert all(after[i] != before[i] for i in sorted(before)[:written])
    assert all(after[i] == before[i] for i in sorted(before)[written:])


class _Recording:
    """A compressor whose calls of ``multi_compress_to_buffer`` are recorded (or refused, as the
    cffi backend refuses them)."""

    def __init__(self, real, refuse: bool):
        self.real, self.refuse, self.calls = real, refuse, []

    def multi_compress_to_buffer(self, data, threads=0):
        self.calls.append((len(data), threads))
        if self.refuse:
            raise NotImplementedError
        return self.real.multi_compress_to_buffer(data, threads=threads)

    def compress(self, data):
        return self.real.compress(data)


@pytest.mark.parametrize("refuse", [False, True])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_encode_many_gives_the_frames_of_encode(monkeypatch, refuse, threads, n):
    bodies = [(f"<p>第{i}段</p>" * (50 + 40 * i)).encode() + bytes(range(i)) for i in range(n)]
    dictionary = codec.train([b * 3 for b in bodies * 20] + [b"<p>" + bytes([i]) * 500 for i in range(200)])
    real = codec.compressor(dictionary, 9)
    rec = _Recording(real, refuse)
    monkeypatch.setattr(codec, "compressor", lambda d, level: rec)
    got = codec.encode_many(bodies, dictionary, 9, threads)
    assert got == [real.compress(b) for b in bodies]
    assert rec.calls == ([(n, threads)] if threads > 1 and n > 1 else [])


def test_compact_asks_zstd_for_its_threads(mixed, monkeypatch):  # noqa: F811
    _, Session, pages = mixed
    real = codec.compressor
    recs: list[_Recording] = []

    def recording(dictionary, level):
        recs.append(_Recording(real(dictionary, level), refuse=False))
        return recs[-1]

    monkeypatch.setattr(codec, "compressor", recording)
    assert compact_archive(Session, batch=25, threads=2)[0]["pages"] == 60
    assert [call for rec in recs for call in rec.calls] == [(25, 2), (25, 2), (10, 2)]
    with Session() as s:
        assert all(page.raw_bytes() == pages[page.cont_id] for page in s.scalars(sa.select(RawPage)))
