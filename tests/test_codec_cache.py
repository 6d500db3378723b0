"""storage.codec keeps only the most recently used (de)compressors (a crawl trains a dictionary as
its archive grows and writes with the newest): bodies still round-trip through every dictionary,
one dropped from the cache is rebuilt, and the caches never exceed their bounds."""

from __future__ import annotations

import pytest

from storage import codec
from tests.raw_codec_helpers import _pages


@pytest.fixture(scope="module")
def dictionaries() -> list[bytes]:
    bodies = [body for _, body in _pages(60)]
    return [codec.train(bodies[k : k + 20]) for k in range(0, 60, 10) if len(bodies[k : k + 20]) >= 8]


def test_every_dictionary_round_trips_and_the_caches_stay_bounded(dictionaries):
    body = _pages(1)[0][1]
    frames = []
    for d in dictionaries:  # more dictionaries than either cache keeps
        frames.append((codec.encode(body, d), d))
        assert len(codec._cache("c")) <= codec.KEPT_COMPRESSORS
    for frame, d in frames * 2:  # the first ones were dropped and are rebuilt
        assert codec.decode(frame, "zstd", d) == body
        assert len(codec._cache("d")) <= codec.KEPT_DECOMPRESSORS
    assert len(dictionaries) > codec.KEPT_COMPRESSORS


@pytest.mark.parametrize(
    "kept, uses, expected", [(2, "abcab", "ab"), (2, "abca", "ca"), (3, "abcd", "bcd"), (1, "aa", "a")]
)
def test_the_least_recently_used_go_first(kept, uses, expected):
    kind = "test-lru"
    codec._cache("c")  # this thread's caches exist
    codec._local.caches[kind] = codec.OrderedDict()
    try:
        for u in uses:
            codec._cached(kind, (u,), lambda u=u: u.upper(), kept)
        assert "".join(k[0] for k in codec._cache(kind)) == expected
    finally:
        del codec._local.caches[kind]
