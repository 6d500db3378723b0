"""storage.codec.train builds one dictionary (segment size ``TRAIN_SEGMENT_SIZE``), not zstd's search
over five segment sizes: where the search keeps that size (what a crawl's trainings of hundreds of
the site's pages do) the dictionary is the same, byte for byte. Where the search keeps another on
fewer pages, judged on a quarter of them, the site's other pages compress much better (segments of
50) or at most 2 % worse (1,511) with ``train``'s."""

from __future__ import annotations

import random

import pytest
import zstandard

from storage import codec
from tests.raw_codec_helpers import _pages


@pytest.fixture(scope="module")
def pages() -> list[bytes]:
    return [body for _, body in _pages(360)]


def _searched(samples: list[bytes]) -> zstandard.ZstdCompressionDict:
    """The dictionary python-zstandard's default search (k = 0: five segment sizes) trains, on the
    samples as :func:`storage.codec.train` orders them."""
    samples = list(samples)
    random.Random(codec.TRAIN_SHUFFLE_SEED).shuffle(samples)
    size = max(1024, min(codec.DICTIONARY_SIZE, sum(map(len, samples)) // 10))
    return zstandard.train_dictionary(size, samples, f=codec.TRAIN_FREQUENCY_LOG)


def _stored(dictionary: bytes, bodies: list[bytes]) -> int:
    return sum(len(codec.encode(b, dictionary)) for b in bodies)


@pytest.mark.parametrize("n", [20, 240, 360])
def test_the_same_dictionary_where_the_search_keeps_the_largest_segments(pages, n):
    searched = _searched(pages[:n])
    assert (searched.k, searched.d) == (codec.TRAIN_SEGMENT_SIZE, codec.TRAIN_DMER_SIZE)
    assert codec.train(pages[:n]) == searched.as_bytes()


@pytest.mark.parametrize("n, searched_k, most", [(40, 50, 1.0), (80, 50, 1.0), (160, 1511, 1.02)])
def test_where_the_search_keeps_other_segments(pages, n, searched_k, most):
    searched = _searched(pages[:n])
    assert searched.k == searched_k  # the search's own pick, judged on a quarter of few pages
    trained = codec.train(pages[:n])
    assert trained != searched.as_bytes()
    later = pages[200:]  # pages neither dictionary saw
    assert _stored(trained, later) <= most * _stored(searched.as_bytes(), later)
    assert all(codec.decode(codec.encode(b, trained), "zstd", trained) == b for b in later[:20])


def test_too_few_pages_are_refused(pages):
    with pytest.raises(codec.CodecError, match="too few pages"):
        codec.train(pages[:7])
