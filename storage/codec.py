"""How raw page bodies are compressed: pure functions, no database.

Codecs (the ``raw_pages.compression`` column):

* ``zstd`` — Zstandard, with the trained dictionary named by ``raw_pages.dictionary_id``
  (``raw_dictionaries``), or without one when it is NULL. What new rows get.
* ``zlib`` — the archive's first codec (rows written before migration ``0005_raw_zstd``);
  read forever, re-encoded by ``thepaper-archive db compact``.
* ``none`` (or empty) — stored as is.

A dictionary is trained on the archive's own pages (:func:`train`); pages of one site
share most of their HTML, so a frame with the dictionary holds little more than what
differs from page to page. Compressors and decompressors are cached per dictionary
(building one with a 100 KB dictionary costs more than compressing a page), the most recently
used few of them (:data:`KEPT_COMPRESSORS`, :data:`KEPT_DECOMPRESSORS`).
"""

from __future__ import annotations

import random
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, cast

import zstandard

CODECS = ("zstd", "zlib", "none")
#: The default compression level of new rows (the crawl's writer); ``db compact`` may use another.
DEFAULT_LEVEL = 9
#: Bytes of a trained dictionary (zstd's own default size).
DICTIONARY_SIZE = 112_640
#: The seed of the order :func:`train` gives its samples. zstd's training keeps the last quarter
#: of them to choose its parameters by: in archive order those are the newest pages alone, and on
#: a 2,000-article mock archive the dictionary then compressed it 15.3 x, shuffled 22.3 x (its
#: large pages 7 x against 29 x). Fixed, so that the same samples give the same dictionary.
TRAIN_SHUFFLE_SEED = 26
#: log2 of the entries of zstd's (fastCover) frequency table while it trains: its default 20 holds
#: 4-6 MB of tables beside the sample (a training's peak was 16 MB above the sample's; with 16,
#: 6 MB), and on the mock's 2,000-article archive 16 compressed as well (22.3 x against 21.9 x;
#: 20.2 x against 19.7 x trained on its first 1,500 pages). Fewer entries: more collisions.
TRAIN_FREQUENCY_LOG = 16
#: zstd's (fastCover) segment size ``k`` and d-mer size ``d`` for training. python-zstandard's
#: default (``k=0``, ``d=8``, ``steps=4``) builds five dictionaries, ``k`` 50, 537, 1,024, 1,511 and
#: 1,998, and keeps the one that compresses a quarter of the sample best: on a crawl's trainings
#: (~420 of the mock's pages, 4 MiB, spread over 500 to 4,000 pages) it kept 1,998 every time, and
#: building that one alone gives the same dictionary, byte for byte, for a fifth of the CPU (0.023 s
#: against 0.105 s a training; bench/README.md, issue 26, session 9). On 40-200 pages it sometimes
#: kept 50 (the site's other pages then compress 8-18 % better with 1,998) or 1,511 (0.4-1.9 %
#: worse); on pages of many sites 537-1,511 (0.5-1 % worse). ``tests/test_codec_training.py``.
TRAIN_SEGMENT_SIZE = 1998
TRAIN_DMER_SIZE = 8
#: (De)compressors a thread keeps, the most recently used: each holds its dictionary's tables
#: (~1 MB a compressor and decompressor pair at level 9), and a crawl trains a dictionary as its
#: archive grows 1.5 times (9-10 in a 20,000-page crawl) but writes with the newest only; reading
#: rows of older dictionaries (``db compact``, ``reprocess``) rebuilds one when it was dropped,
#: which costs about as much as decoding a few pages.
KEPT_COMPRESSORS = 2
KEPT_DECOMPRESSORS = 8

_local = threading.local()  # zstd (de)compressor objects are not thread-safe: one set per thread


class CodecError(ValueError):
    """A body that cannot be decoded: unknown codec, missing dictionary, damaged bytes."""


def _cache(kind: str) -> OrderedDict:
    caches = getattr(_local, "caches", None)
    if caches is None:
        caches = _local.caches = {"c": OrderedDict(), "d": OrderedDict()}
    return caches[kind]


def _cached(kind: str, key: tuple, make: Callable, kept: int):
    """The object of ``key`` in this thread's ``kind`` cache, made when missing; the least
    recently used are dropped beyond ``kept``."""
    cache = _cache(kind)
    obj = cache.get(key)
    if obj is None:
        obj = cache[key] = make()
        while len(cache) > kept:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return obj


def _zstd_dict(data: bytes | None):
    return zstandard.ZstdCompressionDict(data) if data else None


def compressor(dictionary: bytes | None, level: int = DEFAULT_LEVEL) -> zstandard.ZstdCompressor:
    """A cached zstd compressor for ``dictionary`` (None: none) at ``level``; the frame records the
    content size and a checksum, so that a damaged body is detected on reading."""
    return _cached(
        "c",
        (level, dictionary),
        lambda: zstandard.ZstdCompressor(
            level=level, dict_data=_zstd_dict(dictionary), write_checksum=True, write_content_size=True
        ),
        KEPT_COMPRESSORS,
    )


def _decompressor(dictionary: bytes | None) -> zstandard.ZstdDecompressor:
    return _cached(
        "d", (dictionary,), lambda: zstandard.ZstdDecompressor(dict_data=_zstd_dict(dictionary)), KEPT_DECOMPRESSORS
    )


def encode(body: bytes, dictionary: bytes | None = None, level: int = DEFAULT_LEVEL) -> bytes:
    """``body`` as a zstd frame (with ``dictionary`` when given)."""
    return compressor(dictionary, level).compress(bytes(body))


def encode_many(
    bodies: list[bytes], dictionary: bytes | None = None, level: int = DEFAULT_LEVEL, threads: int = 1
) -> list[bytes]:
    """:func:`encode` of each of ``bodies``, in order: the same frames, byte for byte. With ``threads``
    over 1, zstd's own threads share them (``multi_compress_to_buffer``: ``compress`` holds the
    interpreter, this does not); one by one where that is not there (python-zstandard's cffi backend)."""
    c = compressor(dictionary, level)
    if threads > 1 and len(bodies) > 1:
        try:
            frames = c.multi_compress_to_buffer([bytes(b) for b in bodies], threads=threads)
            return [bytes(cast("Any", frames[i])) for i in range(len(bodies))]  # a segment: the buffer protocol
        except NotImplementedError:
            pass
    return [c.compress(bytes(b)) for b in bodies]


def decode(
    stored: bytes, compression: str | None, dictionary: bytes | None = None, *, page_id: int | None = None
) -> bytes:
    """A stored body exactly as received, given its codec (and its dictionary for ``zstd``)."""
    what = f"raw page {page_id}" if page_id is not None else "raw page"
    try:
        if compression == "zstd":
            return _decompressor(dictionary).decompress(bytes(stored))
        if compression == "zlib":
            return zlib.decompress(stored)
    except (zstandard.ZstdError, zlib.error) as exc:
        raise CodecError(f"{what}: damaged {compression} body: {exc}") from exc
    if compression in ("", "none", None):
        return bytes(stored)
    raise CodecError(f"{what}: unknown compression {compression!r}")


def frame_dictionary_id(stored: bytes) -> int:
    """The zstd dictionary id a frame was written with (0: none)."""
    return zstandard.get_frame_parameters(bytes(stored[:18])).dict_id


def train(samples: Sequence[bytes], size: int = DICTIONARY_SIZE) -> bytes:
    """A zstd dictionary of at most ``size`` bytes trained on ``samples`` (raw bodies);
    :class:`CodecError` when they are too few or too alike to train on."""
    samples = [bytes(s) for s in samples if s]
    random.Random(TRAIN_SHUFFLE_SEED).shuffle(samples)  # see TRAIN_SHUFFLE_SEED
    if len(samples) < 8:
        raise CodecError(f"too few pages to train a dictionary on ({len(samples)}; at least 8)")
    # zstd refuses a dictionary larger than a good share of its samples
    size = max(1024, min(size, sum(map(len, samples)) // 10))
    try:
        # the stub asks for a list of bytes | bytearray | memoryview (invariant): a list of bytes is one
        return zstandard.train_dictionary(
            size,
            samples,  # type: ignore[arg-type]
            k=TRAIN_SEGMENT_SIZE,
            d=TRAIN_DMER_SIZE,
            f=TRAIN_FREQUENCY_LOG,
        ).as_bytes()
    except zstandard.ZstdError as exc:
        raise CodecError(f"could not train a dictionary on {len(samples)} pages: {exc}") from exc


def dictionary_id_of(dictionary: bytes) -> int:
    """The id zstd writes into the frames of ``dictionary``."""
    return zstandard.ZstdCompressionDict(dictionary).dict_id()


class Encoder:
    """How new raw bodies are stored: zstd at ``level``, with the dictionary ``dictionary``
    (its ``raw_dictionaries.id`` is ``dictionary_id``) or without one."""

    __slots__ = ("dictionary_id", "dictionary", "level")

    def __init__(
        self,
        dictionary_id: int | None = None,
        dictionary: bytes | None = None,
        level: int = DEFAULT_LEVEL,
    ):
        if (dictionary_id is None) != (dictionary is None):
            raise ValueError("a dictionary needs its id, and an id its dictionary")
        self.dictionary_id, self.dictionary, self.level = dictionary_id, dictionary, level

    def columns(self, body: bytes) -> dict:
        """The ``raw_pages`` values ``body``, ``compression`` and ``dictionary_id`` of ``body``."""
        return self._row(encode(body, self.dictionary, self.level))

    def columns_many(self, bodies: list[bytes], threads: int = 1) -> list[dict]:
        """:meth:`columns` of each of ``bodies``, in order, encoded on ``threads`` (:func:`encode_many`)."""
        return [self._row(frame) for frame in encode_many(bodies, self.dictionary, self.level, threads)]

    def _row(self, frame: bytes) -> dict:
        return {"body": frame, "compression": "zstd", "dictionary_id": self.dictionary_id}

    def __repr__(self) -> str:
        return f"Encoder(dictionary_id={self.dictionary_id}, level={self.level})"


#: zstd without a dictionary: an archive that has none trained yet.
PLAIN = Encoder()
