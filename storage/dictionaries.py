"""The archive's zstd dictionaries (``raw_dictionaries``): train, load, and pick the one new rows use.

* :func:`train_dictionary` trains one on a sample of the archive's own raw pages, spread
  over the whole archive and over every kind of page, and stores it.
* :func:`current_encoder` is what a writer compresses new rows with: the newest
  dictionary (cached per engine for :data:`ENCODER_TTL_S`, so that a crawl picks up a
  dictionary trained while it runs), or zstd without one.
* :func:`train_when_ready` trains the first one by itself once the archive holds
  :data:`AUTO_TRAIN_PAGES` pages, and a new one each time the archive has grown
  :data:`RETRAIN_GROWTH` times since the last (a crawl's writer calls it after each batch).
* :func:`dictionary_bytes` loads dictionaries by id for reading (cached: a stored
  dictionary never changes).

Nothing here commits. Rows are never deleted: every row names its dictionary.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.codec import DEFAULT_LEVEL, DICTIONARY_SIZE, Encoder, decode, dictionary_id_of, train
from storage.models import RawDictionary, RawPage
from storage.types import require_aware
from storage.unwritable import ArchiveUnwritable

#: Seconds a writer keeps using the dictionary it found before looking for a newer one.
ENCODER_TTL_S = 60.0
#: Raw pages sampled for training, and the most bytes of them (whole pages: fewer of them when
#: they are large, :func:`planned_samples`). The sample is held while zstd trains (plus ~6 MB of
#: zstd's tables, :data:`storage.codec.TRAIN_FREQUENCY_LOG`): the peak of a crawl's worker. 4 MiB
#: (~400 of the mock's pages, ~25 of the real site's) compressed a 2,000-article mock archive as
#: well as 12 MiB (21.9 x against 20.7 x, shuffled samples of the whole archive; bench/README.md,
#: issue 26); 2 MiB lost 5 % (20.7 x), more on a sample of the first 1,500 pages (15.8 x against
#: 19.7 x). The count bounds the ids a sample spreads over.
TRAIN_SAMPLES = 2000
TRAIN_MAX_BYTES = 4 * 1024 * 1024

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_encoders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (expiry, level, Encoder)
_dictionaries: dict[tuple[str, int], bytes] = {}  # (engine url, id) -> dictionary


def _engine(session: Session):
    return session.get_bind()


def newest_dictionary(session: Session) -> RawDictionary | None:
    return session.scalars(sa.select(RawDictionary).order_by(RawDictionary.id.desc()).limit(1)).first()


def current_encoder(session: Session, level: int = DEFAULT_LEVEL) -> Encoder:
    """The encoder for new rows of this archive: the newest dictionary, or none."""
    engine = _engine(session)
    now = time.monotonic()
    with _lock:
        cached = _encoders.get(engine)
        if cached is not None and cached[0] > now and cached[1] == level:
            return cached[2]
    row = session.execute(
        sa.select(RawDictionary.id, RawDictionary.data).order_by(RawDictionary.id.desc()).limit(1)
    ).first()
    encoder = Encoder(row.id, bytes(row.data), level) if row is not None else Encoder(level=level)
    with _lock:
        _encoders[engine] = (now + ENCODER_TTL_S, level, encoder)
    return encoder


def forget_encoders(*, dictionaries: bool = False) -> None:
    """Drop the cached encoders (after training, so that this process uses the new dictionary at
    once); with ``dictionaries``, the cached dictionary bytes too (an archive deleted and made
    again at the same URL numbers its dictionaries from 1 again: tests do that)."""
    with _lock:
        _encoders.clear()
        if dictionaries:
            _dictionaries.clear()


def dictionary_bytes(session: Session, ids) -> dict[int, bytes]:
    """``{id: dictionary}`` of the given ``raw_dictionaries`` ids (None ids are skipped)."""
    key = str(_engine(session).url)
    wanted = {int(i) for i in ids if i is not None}
    out = {i: _dictionaries[(key, i)] for i in wanted if (key, i) in _dictionaries}
    missing = wanted - set(out)
    if missing:
        rows = session.execute(
            sa.select(RawDictionary.id, RawDictionary.data).where(RawDictionary.id.in_(sorted(missing)))
        ).all()
        with _lock:
            for i, data in rows:
                _dictionaries[(key, i)] = out[i] = bytes(data)
    return out


def archive_size(session: Session) -> tuple[int, float]:
    """The archive's raw pages: how many, and their mean uncompressed size in bytes."""
    pages, mean = session.execute(sa.select(sa.func.count(), sa.func.avg(RawPage.body_size))).one()
    return int(pages or 0), float(mean or 0.0)


def planned_samples(pages: int, mean_size: float, samples: int | None = None, max_bytes: int | None = None) -> int:
    """How many pages a training samples now: ``samples``, at most every page, and no more than
    ``max_bytes`` of pages of ``mean_size`` hold (by default :data:`TRAIN_SAMPLES` and
    :data:`TRAIN_MAX_BYTES`)."""
    samples = TRAIN_SAMPLES if samples is None else samples
    max_bytes = TRAIN_MAX_BYTES if max_bytes is None else max_bytes
    by_bytes = int(max_bytes // mean_size) if mean_size > 0 else samples
    return max(1, min(samples, pages, by_bytes))


def sample_pages(session: Session, samples: int | None = None, max_bytes: int | None = None) -> list[bytes]:
    """Raw bodies (decoded) of up to :func:`planned_samples` pages spread evenly over the
    archive's ids, in proportion to each kind of page, whole; at most ``max_bytes`` of them
    (when pages larger than the mean were picked, the last ids are left out)."""
    max_bytes = TRAIN_MAX_BYTES if max_bytes is None else max_bytes
    pages, mean = archive_size(session)
    samples = planned_samples(pages, mean, samples, max_bytes)
    kinds = session.execute(sa.select(RawPage.kind, sa.func.count()).group_by(RawPage.kind)).all()
    total = sum(n for _, n in kinds) or 1
    ids: list[int] = []
    for kind, n in kinds:
        want = max(1, round(samples * n / total))
        kind_ids = session.scalars(sa.select(RawPage.id).where(RawPage.kind == kind).order_by(RawPage.id)).all()
        step = max(1, len(kind_ids) // want)
        ids.extend(kind_ids[::step][:want])
    ids.sort()  # a sample cut short by max_bytes loses the newest pages, not a kind
    out: list[bytes] = []
    size = 0
    for start in range(0, len(ids), 200):
        rows = session.execute(
            sa.select(RawPage.id, RawPage.body, RawPage.compression, RawPage.dictionary_id)
            .where(RawPage.id.in_(ids[start : start + 200]))
            .order_by(RawPage.id)
        ).all()
        dicts = dictionary_bytes(session, {r.dictionary_id for r in rows})
        for r in rows:
            body = decode(r.body, r.compression, dicts.get(r.dictionary_id), page_id=r.id)
            if size + len(body) > max_bytes:
                return out
            out.append(body)
            size += len(body)
    return out


def train_dictionary(
    session: Session, *, now: datetime, samples: int | None = None, size: int = DICTIONARY_SIZE
) -> RawDictionary:
    """Train a dictionary on the archive's pages and add it (flushed, not committed);
    :class:`storage.codec.CodecError` when the archive has too few pages."""
    require_aware(now)
    pages, _ = archive_size(session)
    bodies = sample_pages(session, samples)
    data = train(bodies, size)
    row = RawDictionary(
        codec="zstd",
        zstd_dict_id=dictionary_id_of(data),
        data=data,
        samples=len(bodies),
        sample_bytes=sum(map(len, bodies)),
        archive_pages=pages,
        created_at=now,
    )
    session.add(row)
    session.flush()
    forget_encoders()
    return row


#: Raw pages an archive holds before a writer trains its first dictionary by itself.
AUTO_TRAIN_PAGES = 500
#: How much the archive grows between two trainings: a new dictionary once it holds this many
#: times the raw pages it held when the newest one was trained (``archive_pages``), so that the
#: archive's later pages are known to one (a crawl meets the site's older layouts last: on a
#: 2,000-article mock crawl, a dictionary of the first 1,000 pages compresses the archive 10.4 x,
#: one of the first 1,500-1,900 pages 16-18 x; a backfill brings older layouts too). 1.5: a
#: training at 500, 750, 1,125, 1,688... pages, log1.5(N / 500) + 1 over an archive of N pages
#: (4 at 2,000, 9-10 at 20,000; ~0.2 s of CPU each, plus the writer's re-encoding of the pages
#: before it up to RECOMPRESS_MAX_PAGES), never one per batch; 2 trains half as often but a
#: 2,000-page crawl ends right at its third training, on the dictionary of its first 1,000 pages.
RETRAIN_GROWTH = 1.5


def trained_at(row) -> int:
    """Raw pages the archive held when dictionary ``row`` was trained: ``archive_pages``, or,
    for one trained before it was recorded (revision 0010), its ``samples`` (it held at least
    those)."""
    return row.archive_pages if row.archive_pages is not None else row.samples


def outgrown(row, pages: int) -> bool:
    """Whether an archive of ``pages`` raw pages has outgrown dictionary ``row``: it has grown
    :data:`RETRAIN_GROWTH` times since the dictionary was trained (:func:`trained_at`). The
    writer's trainings and ``db compact``'s follow this one rule."""
    return pages >= RETRAIN_GROWTH * max(1, trained_at(row))


def _newest_policy_row(session: Session):
    """The newest dictionary's id and what :func:`outgrown` reads (not its bytes), or None."""
    return session.execute(
        sa.select(RawDictionary.id, RawDictionary.samples, RawDictionary.archive_pages)
        .order_by(RawDictionary.id.desc())
        .limit(1)
    ).first()


def next_training_at(row, min_pages: int = AUTO_TRAIN_PAGES) -> int:
    """The raw pages at which an archive whose newest dictionary is ``row`` (None: none) is due for
    a training: ``min_pages``, or when it has :func:`outgrown` ``row``."""
    if row is None:
        return min_pages
    return max(min_pages, math.ceil(RETRAIN_GROWTH * max(1, trained_at(row))))


def train_when_ready(
    Session, *, min_pages: int = AUTO_TRAIN_PAGES, using: int | None = None, due: list | None = None
) -> RawDictionary | None:
    """Train and commit a dictionary once the archive holds ``min_pages`` raw pages and has
    none, or has :func:`outgrown` its newest one (what a crawl's writer calls after each batch
    that takes the archive to the size ``due`` last said, ``using`` the dictionary id its encoder
    has): at 500 pages, then at 750, 1,125, 1,688... None when it is not time, or when another
    process trained one first. ``due``, when given, receives the archive size at which the next
    training may be due (:func:`next_training_at`), so that a writer need not ask before. Cheap
    when it is not time: the newest dictionary's counts and the largest raw page id (never less
    than the count: ids are never reused) are read, and the pages counted only when that id says
    it may be."""
    with Session() as session:
        row = _newest_policy_row(session)
        if row is not None and row.id != using:
            forget_encoders()  # another process trained one: the writer picks it up
        if due is not None:
            due[:] = [next_training_at(row, min_pages)]
        upper = int(session.scalar(sa.select(sa.func.max(RawPage.id))) or 0)
        if upper < min_pages or (row is not None and not outgrown(row, upper)):
            return None
        pages, _ = archive_size(session)
        if pages < min_pages or (row is not None and not outgrown(row, pages)):
            return None
        try:
            trained = train_dictionary(session, now=datetime.now(timezone.utc))
        except ArchiveUnwritable:  # a full disk, a server gone: the writer's business, not a bug
            raise
        except Exception:  # never let compression stop a crawl: rows stay as they are
            logger.exception("could not train a zstd dictionary")
            return None
        session.commit()
        if due is not None:
            due[:] = [next_training_at(trained, min_pages)]
        return trained
