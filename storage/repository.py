"""Every write to the archive goes through these functions.

Functions taking a ``Session`` never commit: the caller commits, so a raw page,
its article and the article's tags (or the failure) land in one transaction.
The lock functions take an ``Engine`` and commit each step on their own.
Only SQLAlchemy expressions with bound parameters; no SQL strings with values.
"""

from __future__ import annotations

import hashlib
import os
import socket
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipelines.record import ArticleRecord
from storage.models import (
    CURSOR_SOURCES,
    RAW_KINDS,
    RUN_STATUSES,
    Article,
    ArticleTag,
    ArticleVersion,
    CrawlRun,
    Failure,
    ListCursor,
    RawPage,
    RunLock,
    Tag,
)
from storage.proc import holder_dead, this_holder
from storage.render import body_html, image_dicts

OUTCOMES = ("new", "updated", "unchanged", "kept_original")
TAG_MAX_LEN = 200
_IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit


def _aware(now: datetime, name: str = "now") -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {now!r}")
    return now


# --------------------------------------------------------------------------- raw pages
def _header_value(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (list, tuple)):
        return ", ".join(_header_value(v) for v in value)
    return str(value)


def normalize_headers(headers: Mapping | None) -> dict[str, str]:
    """Headers as a JSON-safe ``{name: value}`` (bytes decoded as Latin-1, repeats joined by ', ')."""
    return {_header_value(k): _header_value(v) for k, v in (headers or {}).items()}


def raw_page_row(*, url: str, final_url: str | None, status: int | None, headers: Mapping | None,
                 body: bytes, fetched_at: datetime, kind: str, run_id: int | None = None,
                 cont_id: int | None = None, note: str | None = None, context: Mapping | None = None) -> dict:
    """The ``raw_pages`` column values of one response (body zlib-compressed, hashed)."""
    if kind not in RAW_KINDS:
        raise ValueError(f"raw page kind must be one of {RAW_KINDS}, got {kind!r}")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"raw page body must be bytes, got {type(body).__name__}")
    body = bytes(body)
    return dict(
        url=url, final_url=final_url, status=status, headers=normalize_headers(headers),
        fetched_at=_aware(fetched_at, "fetched_at"), body=zlib.compress(body, 6), body_size=len(body),
        compression="zlib", sha256=hashlib.sha256(body).hexdigest(), kind=kind, run_id=run_id,
        cont_id=cont_id, note=note, context=dict(context) if context else None,
    )


def archive_raw(session: Session, *, url: str, final_url: str | None, status: int | None,
                headers: Mapping | None, body: bytes, fetched_at: datetime, kind: str,
                run_id: int | None = None, cont_id: int | None = None, note: str | None = None,
                context: Mapping | None = None) -> RawPage:
    """Add a zlib-compressed copy of a response to the session (flush to get its id).

    ``context`` records how the page was reached (the list item, the channel), so
    that reprocessing from the archive sees what the crawl saw."""
    page = RawPage(**raw_page_row(url=url, final_url=final_url, status=status, headers=headers, body=body,
                                  fetched_at=fetched_at, kind=kind, run_id=run_id, cont_id=cont_id, note=note,
                                  context=context))
    session.add(page)
    return page


def archive_raw_many(session: Session, rows: list[dict]) -> list[int]:
    """Insert :func:`raw_page_row` values in one statement; their ids, in order."""
    if not rows:
        return []
    table = RawPage.__table__
    stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in session.execute(stmt, rows)]


# --------------------------------------------------------------------------- articles
def _record_fields(record: ArticleRecord) -> dict[str, Any]:
    """Article column values of a record (everything but keys, versions and timestamps)."""
    from crawler.urls import canonical_url

    images = image_dicts(record.images)
    paragraphs = [str(p) for p in record.paragraphs]
    return {
        "url": record.url or canonical_url(record.cont_id),
        "source_url": record.source_url,
        "mirror_host": record.mirror_host or None,
        "layout": record.layout or "unknown",
        "content_type": record.content_type,
        "gone_reason": record.gone_reason,
        "external_url": record.external_url,
        "title": record.title or "",
        "summary": record.summary or "",
        "published_at": record.published_at,
        "author": record.author or "",
        "author_outlet": record.author_outlet or "",
        "editor": record.editor or "",
        "source": record.source or "",
        "node_id": record.node_id,
        "node_name": record.node_name or "",
        "channel_id": record.channel_id,
        "channel_name": record.channel_name or "",
        "body_text": record.body_text,
        "paragraphs": paragraphs,
        "body_html": body_html(paragraphs, images),
        "images": images,
        "word_count": record.word_count,
        "content_hash": record.content_hash,
        "encoding": record.encoding or "",
        "encoding_reason": record.encoding_reason or "",
        "repairs": dict(record.repairs),
        "stripped": dict(record.stripped),
        "cleaner_version": str(record.cleaner_version),
    }


_KEEP_WHEN_GONE = ("title", "summary", "published_at", "author", "author_outlet", "editor", "source",
                   "node_id", "node_name", "channel_id", "channel_name", "url")


def _gone_fields(record: ArticleRecord, old: Article) -> dict[str, Any]:
    """A gone record over a stored article: text emptied, known metadata kept."""
    fields = _record_fields(record)
    for name in _KEEP_WHEN_GONE:
        if fields[name] in (None, ""):
            fields[name] = getattr(old, name)
    fields.update(paragraphs=[], body_text="", body_html="", images=[], word_count=0,
                  content_hash=ArticleRecord(title=fields["title"]).content_hash)
    return fields


def _version_row(old: Article, now: datetime) -> dict[str, Any]:
    """The ``article_versions`` values that keep the stored text of ``old`` when it is replaced."""
    return dict(
        cont_id=old.cont_id, version=old.version, title=old.title, summary=old.summary,
        body_text=old.body_text, paragraphs=list(old.paragraphs or []), content_hash=old.content_hash,
        cleaner_version=old.cleaner_version, content_type=old.content_type,
        valid_from=old.updated_at or old.first_seen, replaced_at=now, raw_page_id=old.raw_page_id,
    )


def _tag_ids(session: Session, names: list[str]) -> dict[str, int]:
    """Ids of tags by name, inserting missing ones (race-safe: ON CONFLICT DO NOTHING)."""
    if not names:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        insert = None
    found = dict(session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(names))).all())
    missing = [n for n in names if n not in found]
    if missing:
        if insert is not None:
            session.execute(insert(Tag).values([{"name": n} for n in missing])
                            .on_conflict_do_nothing(index_elements=["name"]))
        else:  # pragma: no cover
            session.add_all(Tag(name=n) for n in missing)
            session.flush()
        found.update(session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(missing))).all())
    return found


def clean_tag_names(tags: Iterable[str]) -> list[str]:
    """Tags stripped, truncated, without empties or repeats, in first-seen order."""
    out: list[str] = []
    for tag in tags or ():
        name = str(tag).strip()[:TAG_MAX_LEN]
        if name and name not in out:
            out.append(name)
    return out


def _replace_tags(session: Session, names_by_id: Mapping[int, list[str]]) -> None:
    """Give each article (``cont_id``) the tags ``names`` (cleaned), in order, instead of its previous ones."""
    ids = list(names_by_id)
    for i in range(0, len(ids), _IN_CHUNK):
        session.execute(sa.delete(ArticleTag).where(ArticleTag.cont_id.in_(ids[i:i + _IN_CHUNK])))
    tag_ids = _tag_ids(session, list(dict.fromkeys(n for names in names_by_id.values() for n in names)))
    links = [{"cont_id": cont_id, "tag_id": tag_ids[n], "position": i}
             for cont_id, names in names_by_id.items() for i, n in enumerate(names)]
    if links:
        session.execute(sa.insert(ArticleTag.__table__), links)


def _set_tags(session: Session, article: Article, tags: Iterable[str]) -> None:
    _replace_tags(session, {article.cont_id: clean_tag_names(tags)})
    session.flush()
    session.expire(article, ["tags", "tag_links"])


def _replaces_tags(record: ArticleRecord) -> bool:
    """Whether storing ``record`` over an article replaces its tags (a gone record without tags keeps them)."""
    return not (record.content_type == "gone" and not record.tags)


def _apply(article: Article, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(article, name, value)


def _same_as_stored(old: Article, fields: dict[str, Any], record: ArticleRecord, is_gone: bool) -> bool:
    """Whether saving ``fields`` (and the record's tags) would change nothing stored."""
    if any(getattr(old, name) != value for name, value in fields.items()):
        return False
    return (is_gone and not record.tags) or old.tag_names == clean_tag_names(record.tags)


def decide_save(old: Article | StoredArticle | None, record: ArticleRecord, *,
                prefer_original: bool = True) -> tuple[str, dict[str, Any] | None]:
    """What :func:`save_article` does with ``record`` over the stored article ``old``
    (None: not stored), without touching anything: ``("new", None)``,
    ``("kept_original", None)``, ``("unchanged", None)`` or ``("updated", fields)``
    with the article column values to store. ``old`` is an :class:`Article` or a
    :class:`StoredArticle` (the same columns and ``tag_names``)."""
    if old is None:
        return "new", None
    is_mirror = bool(record.mirror_host)
    is_gone = record.content_type == "gone"
    old_is_mirror = bool(old.mirror_host)
    old_is_gone = old.content_type == "gone"
    if prefer_original and is_mirror and not old_is_mirror and not old_is_gone:
        return "kept_original", None
    if is_gone and (old_is_gone or (old_is_mirror and prefer_original and old.paragraphs)):
        return "unchanged", None
    fields = _gone_fields(record, old) if is_gone else _record_fields(record)
    if old_is_mirror == is_mirror and _same_as_stored(old, fields, record, is_gone):
        return "unchanged", None
    return "updated", fields


def _update_values(old: Article | StoredArticle, fields: dict[str, Any], *, raw_page_id: int | None,
                   now: datetime) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The column values an update of ``old`` with ``fields`` writes, and the
    ``article_versions`` row that keeps the old text (None when the text is the same)."""
    values = dict(fields)
    version_row = None
    if fields["content_hash"] != old.content_hash:
        version_row = _version_row(old, now)
        values["version"] = (old.version or 1) + 1
    values["raw_page_id"] = raw_page_id if raw_page_id is not None else old.raw_page_id
    values["updated_at"] = now
    return values, version_row


def save_article(session: Session, record: ArticleRecord, *, raw_page_id: int | None, now: datetime,
                 prefer_original: bool = True, seen: bool = True) -> str:
    """Insert or update the article of ``record``; returns one of :data:`OUTCOMES`.

    * ``new``: first time this ``cont_id`` is stored (version 1).
    * ``unchanged``: every stored field and tag is the same; only ``last_seen`` moves
      (and not even that with ``seen=False``, as when reprocessing the archive).
    * ``updated``: the text changed (old one copied to ``article_versions``, version + 1),
      or only metadata/cleaner version/origin changed (fields updated, same version).
    * ``kept_original``: a mirror copy met a stored original (unless ``prefer_original``
      is False, or the original is ``gone``: then the mirror text is the best there is).

    A gone record never erases text: the stored text moves to a version row and the
    article keeps its metadata, with ``content_type`` "gone". A gone record over a
    stored mirror copy keeps that copy (it is the only text left) and counts as unchanged.
    Tags are replaced whenever the fields are. Nothing is committed.
    The decision is :func:`decide_save`'s; :func:`save_articles` does the same for many records.
    """
    if record.cont_id is None:
        raise ValueError("cannot save a record without cont_id")
    _aware(now)
    cont_id = int(record.cont_id)
    old = session.get(Article, cont_id)
    outcome, fields = decide_save(old, record, prefer_original=prefer_original)

    if outcome == "new":
        article = Article(cont_id=cont_id, **_record_fields(record), raw_page_id=raw_page_id, version=1,
                          first_seen=now, last_seen=now, updated_at=now)
        session.add(article)
        session.flush()
        _set_tags(session, article, record.tags)
        return "new"
    if outcome == "kept_original":
        return outcome
    if seen:
        old.last_seen = now
    if outcome == "unchanged":
        return outcome

    values, version_row = _update_values(old, fields, raw_page_id=raw_page_id, now=now)
    if version_row is not None:
        session.add(ArticleVersion(**version_row))
    _apply(old, values)
    session.flush()
    if _replaces_tags(record):
        _set_tags(session, old, record.tags)
    return "updated"


class StoredArticle(SimpleNamespace):
    """A stored article as plain attributes (its ``articles`` columns and ``tag_names``),
    loaded by :func:`load_stored` without the ORM; what :func:`decide_save` reads."""


def load_stored(session: Session, cont_ids: Iterable[int]) -> dict[int, StoredArticle]:
    """``{cont_id: StoredArticle}`` of the given ids that are stored, with their tags, in two queries a chunk."""
    table = Article.__table__
    ids = sorted({int(c) for c in cont_ids})
    out: dict[int, StoredArticle] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i:i + _IN_CHUNK]
        for row in session.execute(sa.select(table).where(table.c.cont_id.in_(chunk))).mappings():
            out[row["cont_id"]] = StoredArticle(**row, tag_names=[])
        tags = (sa.select(ArticleTag.cont_id, Tag.name).join(Tag, Tag.id == ArticleTag.tag_id)
                .where(ArticleTag.cont_id.in_(chunk)).order_by(ArticleTag.cont_id, ArticleTag.position))
        for cont_id, name in session.execute(tags):
            if cont_id in out:  # not a stray tag row whose article was deleted without its tags
                out[cont_id].tag_names.append(name)
    return out


def save_articles(session: Session, items: list[tuple[ArticleRecord, int | None]], *, now: datetime,
                  prefer_original: bool = True, seen: bool = True) -> list[str]:
    """:func:`save_article` for each ``(record, raw_page_id)`` in turn, in a few statements;
    the outcomes, in order. Nothing is committed.

    The stored articles are read in one query (:func:`load_stored`) and compared in
    Python (:func:`decide_save`); only what changes is written: new articles in one
    insert, updates in an executemany (of the columns that change), version rows and
    tags in one statement each.
    Records whose ``cont_id`` occurs more than once in ``items`` go through
    :func:`save_article`, one after the other, after the rest.
    """
    _aware(now)
    if any(record.cont_id is None for record, _ in items):
        raise ValueError("cannot save a record without cont_id")
    session.flush()  # the comparison reads the database, not the session
    repeats = Counter(int(record.cont_id) for record, _ in items)
    stored = load_stored(session, [c for c, n in repeats.items() if n == 1])
    outcomes: list[str | None] = [None] * len(items)
    new, updates, version_rows, tags, touched, later = [], [], [], {}, [], []
    for i, (record, raw_page_id) in enumerate(items):
        cont_id = int(record.cont_id)
        if repeats[cont_id] > 1:
            later.append(i)
            continue
        old = stored.get(cont_id)
        outcome, fields = decide_save(old, record, prefer_original=prefer_original)
        outcomes[i] = outcome
        if outcome == "new":
            new.append((record, raw_page_id))
        elif outcome == "unchanged" and seen:
            touched.append(cont_id)
        elif outcome == "updated":
            values, version_row = _update_values(old, fields, raw_page_id=raw_page_id, now=now)
            if seen:
                values["last_seen"] = now
            # only the columns that change, as the ORM writes them (an UPDATE OF title or
            # body_text reindexes the article for full-text search)
            updates.append({"cont_id": cont_id, **{k: v for k, v in values.items() if getattr(old, k) != v}})
            if version_row is not None:
                version_rows.append(version_row)
            if _replaces_tags(record):
                tags[cont_id] = clean_tag_names(record.tags)
    if version_rows:
        session.execute(sa.insert(ArticleVersion.__table__), version_rows)
    if updates:
        session.execute(sa.update(Article), updates)  # ORM bulk UPDATE by primary key
    if touched:
        session.execute(sa.update(Article.__table__).where(Article.__table__.c.cont_id.in_(touched))
                        .values(last_seen=now))
    _replace_tags(session, tags)
    save_new_articles(session, new, now=now)
    for i in later:
        record, raw_page_id = items[i]
        outcomes[i] = save_article(session, record, raw_page_id=raw_page_id, now=now,
                                   prefer_original=prefer_original, seen=seen)
    return outcomes


def known_hashes(session: Session, cont_ids: Iterable[int]) -> dict[int, str]:
    """``{cont_id: content_hash}`` of the given ids that are stored."""
    ids = sorted({int(c) for c in cont_ids})
    out: dict[int, str] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i:i + _IN_CHUNK]
        rows = session.execute(sa.select(Article.cont_id, Article.content_hash).where(Article.cont_id.in_(chunk)))
        out.update(rows.all())
    return out


def save_new_articles(session: Session, items: list[tuple[ArticleRecord, int | None]], *, now: datetime) -> None:
    """Insert articles that are not stored yet, with their tags, in a few statements.

    ``items`` are ``(record, raw_page_id)`` pairs with distinct ``cont_id``s none of
    which is stored (the caller checks, e.g. with :func:`known_hashes`): each ends
    exactly as :func:`save_article` would leave it with the outcome ``new``.
    """
    if not items:
        return
    _aware(now)
    rows, tag_names = [], []
    for record, raw_page_id in items:
        if record.cont_id is None:
            raise ValueError("cannot save a record without cont_id")
        names = clean_tag_names(record.tags)
        tag_names.append(names)
        rows.append(dict(cont_id=int(record.cont_id), **_record_fields(record), raw_page_id=raw_page_id,
                         version=1, first_seen=now, last_seen=now, updated_at=now))
    session.execute(sa.insert(Article.__table__), rows)
    # replaced, not only inserted: stray tag rows of a deleted article go, as with save_article
    _replace_tags(session, {row["cont_id"]: names for row, names in zip(rows, tag_names)})


# --------------------------------------------------------------------------- failures
def record_failure(session: Session, *, url: str, cont_id: int | None, reason: str, message: str,
                   run_id: int | None, now: datetime, max_attempts: int = 5,
                   backoff_base_s: float = 3600) -> Failure:
    """Count one more failed attempt at ``url``; schedule the next, or mark it dead at the cap."""
    _aware(now)
    failure = session.scalars(sa.select(Failure).where(Failure.url == url)).one_or_none()
    if failure is None:
        failure = Failure(url=url, attempts=0, first_failed_at=now, dead=False)
        session.add(failure)
    failure.attempts = (failure.attempts or 0) + 1
    failure.cont_id = cont_id if cont_id is not None else failure.cont_id
    failure.reason = reason
    failure.message = message or ""
    failure.run_id = run_id
    failure.last_failed_at = now
    failure.dead = failure.attempts >= max_attempts
    failure.next_retry_at = None if failure.dead else now + timedelta(
        seconds=backoff_base_s * 2 ** (failure.attempts - 1))
    session.flush()
    return failure


def resolve_failure(session: Session, url: str, *, cont_id: int | None = None) -> int:
    """Forget the failures of ``url`` (and of ``cont_id``, when given); returns rows deleted."""
    cond = Failure.url == url
    if cont_id is not None:
        cond = sa.or_(cond, Failure.cont_id == int(cont_id))
    return session.execute(sa.delete(Failure).where(cond).execution_options(synchronize_session="fetch")).rowcount


mark_resolved = resolve_failure


def resolve_failures(session: Session, urls: Iterable[str], cont_ids: Iterable[int] = ()) -> int:
    """:func:`resolve_failure` for many URLs and ids at once; returns rows deleted."""
    urls, ids = sorted(set(urls)), sorted({int(c) for c in cont_ids})
    deleted = 0
    for i in range(0, max(len(urls), len(ids)), _IN_CHUNK):
        u, c = urls[i:i + _IN_CHUNK], ids[i:i + _IN_CHUNK]
        cond = sa.or_(Failure.url.in_(u), Failure.cont_id.in_(c))
        deleted += session.execute(sa.delete(Failure).where(cond)
                                   .execution_options(synchronize_session="fetch")).rowcount
    return deleted


def due_failures(session: Session, now: datetime, *, limit: int | None = None) -> list[Failure]:
    """Failures that are not dead and whose retry time has come, oldest first."""
    stmt = (sa.select(Failure).where(Failure.dead.is_(False), Failure.next_retry_at <= _aware(now))
            .order_by(Failure.next_retry_at, Failure.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- batches
@dataclass
class BatchEntry:
    """One fetched thing to store: its raw page (:func:`raw_page_row` values) and the
    article record, or the failure (``url``, ``cont_id``, ``reason``, ``message``), that
    came of it. A stored record resolves the failures of ``url`` and of its cont_id."""

    raw: dict | None = None
    record: ArticleRecord | None = None
    failure: Mapping | None = None
    url: str | None = None
    raw_page_id: int | None = None  # set by save_batch
    outcome: str | None = None  # set by save_batch: one of OUTCOMES, "failed", or None (raw page only)


def save_batch(session: Session, entries: list[BatchEntry], *, run_id: int | None, now: datetime,
               max_attempts: int = 5, backoff_base_s: float = 3600) -> list[BatchEntry]:
    """Store many entries in the session's transaction (nothing is committed).

    The result is the same as archiving, saving and recording each entry in turn with
    :func:`archive_raw`, :func:`save_article` (+ :func:`resolve_failure`) and
    :func:`record_failure`; but raw pages go in one statement, and articles whose
    ``cont_id`` is neither stored nor met again in the batch (the usual case in a
    crawl) go in a few statements for all of them.
    """
    _aware(now)
    raws = [e for e in entries if e.raw is not None]
    for entry, raw_id in zip(raws, archive_raw_many(session, [e.raw for e in raws])):
        entry.raw_page_id = raw_id
    ids = Counter(int(e.record.cont_id) for e in entries if e.record is not None and e.record.cont_id is not None)
    stored = known_hashes(session, ids)
    failed_keys = {e.failure.get("url") for e in entries if e.failure is not None}
    failed_keys |= {e.failure.get("cont_id") for e in entries if e.failure is not None}
    failed_keys.discard(None)
    fresh, rest = [], []
    for e in entries:
        cid = e.record.cont_id if e.record is not None else None
        if (cid is not None and ids[int(cid)] == 1 and int(cid) not in stored
                and int(cid) not in failed_keys and e.url not in failed_keys):
            fresh.append(e)
        elif e.record is not None or e.failure is not None:
            rest.append(e)
    save_new_articles(session, [(e.record, e.raw_page_id) for e in fresh], now=now)
    for e in fresh:
        e.outcome = "new"
    resolve = [e for e in fresh if e.url is not None]
    if resolve:
        resolve_failures(session, [e.url for e in resolve], [int(e.record.cont_id) for e in resolve])
    for e in rest:
        if e.record is not None:
            e.outcome = save_article(session, e.record, raw_page_id=e.raw_page_id, now=now)
            if e.url is not None:
                resolve_failure(session, e.url, cont_id=e.record.cont_id)
        else:
            f = e.failure
            record_failure(session, url=f["url"], cont_id=f.get("cont_id"), reason=f["reason"],
                           message=f.get("message") or "", run_id=run_id, now=now, max_attempts=max_attempts,
                           backoff_base_s=backoff_base_s)
            e.outcome = "failed"
    session.flush()
    return entries


# --------------------------------------------------------------------------- runs
def start_run(session: Session, *, command: str, args: Mapping | None, now: datetime) -> CrawlRun:
    """A new ``running`` run row for this process (flushed: its id is set)."""
    run = CrawlRun(started_at=_aware(now), status="running", pid=os.getpid(), hostname=socket.gethostname(),
                   command=command, args=dict(args or {}), counters={})
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: CrawlRun, *, status: str, counters: Mapping | None,
               message: str | None, now: datetime) -> CrawlRun:
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"a finished run's status is one of {RUN_STATUSES[1:]}, got {status!r}")
    run.status = status
    run.counters = dict(counters or {})
    run.message = message
    run.finished_at = _aware(now)
    session.flush()
    return run


def abort_dead_runs(session: Session, now: datetime) -> list[CrawlRun]:
    """Mark ``running`` runs whose process died on this host as ``aborted`` (crash recovery)."""
    dead = [r for r in session.scalars(sa.select(CrawlRun).where(CrawlRun.status == "running"))
            if r.pid is not None and r.hostname and holder_dead(f"{r.hostname}:{r.pid}")]
    for run in dead:
        run.status, run.finished_at = "aborted", _aware(now)
        run.message = (run.message or "process died before finishing")
    session.flush()
    return dead


# --------------------------------------------------------------------------- list cursors
def get_cursor(session: Session, source: str, source_id: int) -> ListCursor | None:
    return session.scalars(sa.select(ListCursor).where(
        ListCursor.source == source, ListCursor.source_id == int(source_id))).one_or_none()


def set_cursor(session: Session, source: str, source_id: int, newest_pub_time_ms: int | None, *,
               run_id: int | None, now: datetime, force: bool = False) -> ListCursor:
    """Advance a list's cursor; it never moves backwards unless ``force``."""
    if source not in CURSOR_SOURCES:
        raise ValueError(f"cursor source must be one of {CURSOR_SOURCES}, got {source!r}")
    cursor = get_cursor(session, source, source_id)
    if cursor is None:
        cursor = ListCursor(source=source, source_id=int(source_id))
        session.add(cursor)
    old = cursor.newest_pub_time_ms
    if force or old is None or (newest_pub_time_ms is not None and newest_pub_time_ms > old):
        cursor.newest_pub_time_ms = newest_pub_time_ms
        cursor.last_run_id = run_id
        cursor.updated_at = _aware(now)
    elif cursor.updated_at is None:
        cursor.updated_at = _aware(now)
    session.flush()
    return cursor


# --------------------------------------------------------------------------- run locks
def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def acquire_lock(engine: Engine, name: str, *, stale_after_s: float, holder: str | None = None,
                 now: datetime | None = None, _retry: bool = True) -> bool:
    """Take the lock ``name`` for ``holder`` (default this ``hostname:pid``); False if someone live has it.

    A lock whose heartbeat is older than ``stale_after_s`` seconds, or whose holder is
    a dead process on this host, is taken over. Atomic across processes: the insert
    relies on the primary key, the takeover is a compare-and-swap UPDATE.
    """
    holder = holder or this_holder()
    now = _aware(now or _utcnow())
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(RunLock).values(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
        return True
    except IntegrityError:
        pass
    with engine.connect() as conn:
        row = conn.execute(sa.select(RunLock.holder, RunLock.heartbeat_at).where(RunLock.name == name)).first()
    if row is None:  # released meanwhile: try again from the start
        return _retry and acquire_lock(engine, name, stale_after_s=stale_after_s, holder=holder, now=now,
                                       _retry=False)
    old_holder, old_beat = row
    if not (old_holder == holder or holder_dead(old_holder)
            or old_beat < now - timedelta(seconds=stale_after_s)):
        return False
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(RunLock)
            .where(RunLock.name == name, RunLock.holder == old_holder, RunLock.heartbeat_at == old_beat)
            .values(holder=holder, acquired_at=now, heartbeat_at=now)).rowcount
    return taken == 1


def heartbeat(engine: Engine, name: str, *, holder: str | None = None, now: datetime | None = None) -> bool:
    """Refresh the lock's heartbeat; False when we no longer hold it."""
    holder = holder or this_holder()
    with engine.begin() as conn:
        return conn.execute(sa.update(RunLock).where(RunLock.name == name, RunLock.holder == holder)
                            .values(heartbeat_at=_aware(now or _utcnow()))).rowcount == 1


def release_lock(engine: Engine, name: str, *, holder: str | None = None) -> bool:
    """Release the lock if we hold it; True when a row was deleted."""
    holder = holder or this_holder()
    with engine.begin() as conn:
        return conn.execute(sa.delete(RunLock).where(RunLock.name == name, RunLock.holder == holder)).rowcount == 1


def lock_holder(engine: Engine, name: str) -> RunLock | None:
    """The current holder row of lock ``name`` (detached), or None."""
    with Session(engine) as session:
        lock = session.get(RunLock, name)
        if lock is not None:
            session.expunge(lock)
        return lock
