"""Articles: compare a clean record with what is stored, then insert, update or keep.

One save path: :func:`save_articles` stores many ``(record, raw_page_id)`` pairs in a
few statements (the stored rows read in one query, compared in Python by
:func:`decide_save`, only what changes written); :func:`save_article` is a batch of
one. Edits keep the previous text in ``article_versions``; tags are replaced in
order. A record captured before the stored text was (an old capture imported from a
WARC) does not replace it: it becomes a version of its own (``versioned``). Nothing
here commits: the caller's transaction holds the article, its tags and its raw page
together. The decision is :mod:`storage.article_decision`'s, the tags :mod:`storage.tags`'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.record import ArticleRecord
from storage.bulk import insert_many
from storage.fulltext import index_new_articles
from storage.models import Article, ArticleTag, ArticleVersion, RawPage, Tag
from storage.types import AwareDateTime, require_aware
from storage.article_decision import (  # noqa: F401 - OUTCOMES, _record_fields, decide_save: importable from here
    OUTCOMES,
    StoredArticle,
    _cont_id,
    _is_older,
    _older_version_row,
    _record_fields,
    _update_values,
    blanked_fields,
    decide_save,
)
from storage.tags import IN_CHUNK, TAG_MAX_LEN, _replace_tags, _replaces_tags, clean_tag_names  # noqa: F401 - TAG_MAX_LEN, clean_tag_names: importable from here


# --------------------------------------------------------------------------- reading
_ARTICLES = cast(sa.Table, Article.__table__)  # cast: a mapped class's table is a Table


@cache
def _stored_queries() -> tuple[sa.Select, sa.Select]:
    """:func:`load_stored`'s two statements (the ids bound as ``ids``), built once a process: a
    crawl's writer reads the stored articles of every batch, and building the statements again
    each time (coercing each id of the ``IN`` list) cost more than SQLAlchemy's cached compile."""
    table = Article.__table__
    raw = RawPage.__table__
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    captured = sa.func.coalesce(raw.c.fetched_at, table.c.updated_at)
    articles = (
        sa.select(table, sa.type_coerce(captured, AwareDateTime).label("text_captured_at"))
        .outerjoin(raw, raw.c.id == table.c.raw_page_id)
        .where(table.c.cont_id.in_(ids))
    )
    tags = (
        sa.select(ArticleTag.cont_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.cont_id.in_(ids))
        .order_by(ArticleTag.cont_id, ArticleTag.position)
    )
    return articles, tags


def load_stored(session: Session, cont_ids: Iterable[int]) -> dict[int, StoredArticle]:
    """``{cont_id: StoredArticle}`` of the given ids that are stored, with their tags, in two queries a chunk.
    ``text_captured_at`` is when the stored text's raw page was fetched (its ``updated_at``
    when that page is unknown)."""
    ids = sorted({int(c) for c in cont_ids})
    out: dict[int, StoredArticle] = {}
    articles, tags = _stored_queries()
    for i in range(0, len(ids), IN_CHUNK):
        found = []
        for row in session.execute(articles, {"ids": ids[i : i + IN_CHUNK]}).mappings():
            out[row["cont_id"]] = StoredArticle(**row, tag_names=[])
            found.append(row["cont_id"])
        if not found:  # none stored (a crawl's new articles): no tags to read
            continue
        # the tags of the stored ones only: not the stray tag rows of an article deleted without them
        for cont_id, name in session.execute(tags, {"ids": found}):
            out[cont_id].tag_names.append(name)
    return out


def known_hashes(session: Session, cont_ids: Iterable[int]) -> dict[int, str]:
    """``{cont_id: content_hash}`` of the given ids that are stored."""
    ids = sorted({int(c) for c in cont_ids})
    out: dict[int, str] = {}
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        rows = session.execute(sa.select(Article.cont_id, Article.content_hash).where(Article.cont_id.in_(chunk)))
        out.update(rows.all())
    return out


# --------------------------------------------------------------------------- saving
def save_article(
    session: Session,
    record: ArticleRecord,
    *,
    raw_page_id: int | None,
    now: datetime,
    prefer_original: bool = True,
    seen: bool = True,
    captured_at: datetime | None = None,
) -> str:
    """Insert or update the article of ``record``; returns one of :data:`OUTCOMES`.

    * ``new``: first time this ``cont_id`` is stored (version 1).
    * ``unchanged``: every stored field and tag is the same; only ``last_seen`` moves
      (and not even that with ``seen=False``, as when reprocessing the archive).
    * ``updated``: the text changed (old one copied to ``article_versions``, version + 1),
      or only metadata/cleaner version/origin changed (fields updated, same version).
    * ``kept_original``: a mirror copy met a stored original (unless ``prefer_original``
      is False, or the original is ``gone``: then the mirror text is the best there is).
    * ``versioned``: the page was captured (``captured_at``, when its raw page was fetched)
      before the stored text and holds a text the archive did not have: it is added to
      ``article_versions`` (the article's version number grows by one, its text stays).

    A gone record never erases text: the stored text moves to a version row and the
    article keeps its metadata, with ``content_type`` "gone". A gone record over a
    stored mirror copy keeps that copy (it is the only text left) and counts as unchanged.
    Tags are replaced whenever the fields are. Nothing is committed.
    A batch of one: :func:`save_articles` does the work.
    """
    return save_articles(
        session, [(record, raw_page_id)], now=now, prefer_original=prefer_original, seen=seen, captured=[captured_at]
    )[0]


def save_articles(
    session: Session,
    items: Sequence[tuple[ArticleRecord, int | None]],
    *,
    now: datetime,
    prefer_original: bool = True,
    seen: bool = True,
    captured: list[datetime | None] | None = None,
    blanked: list[tuple[str, ...]] | None = None,
) -> list[str]:
    """Save each ``(record, raw_page_id)`` as :func:`save_article` describes, as if one
    after the other; the outcomes, in order. Nothing is committed. ``captured`` holds,
    item by item, when its page was fetched (None or no list: now, never older than
    what is stored). ``blanked``, when given, receives item by item the stored fields
    the record would have emptied and that were kept (:func:`blanked_fields`).

    The stored articles are read in one query (:func:`load_stored`) and compared in
    Python (:func:`decide_save`); only what changes is written: new articles in one
    insert, updates in an executemany (of the columns that change), version rows and
    tags in one statement each. A ``cont_id`` met k times is saved in k rounds, each
    round seeing what the previous one stored.
    """
    require_aware(now)
    if any(record.cont_id is None for record, _ in items):
        raise ValueError("cannot save a record without cont_id")
    outcomes: list[str] = [""] * len(items)
    kept: list[tuple[str, ...]] = [()] * len(items)
    captured = list(captured) if captured is not None else [None] * len(items)
    if len(captured) != len(items):
        raise ValueError("captured must give one time per item")
    for indices in _rounds(items):
        round_outcomes = _save_round(
            session,
            [items[i] for i in indices],
            now=now,
            prefer_original=prefer_original,
            seen=seen,
            captured=[captured[i] for i in indices],
            want_blanked=blanked is not None,
        )
        for i, (outcome, names) in zip(indices, round_outcomes):
            outcomes[i], kept[i] = outcome, names
    if blanked is not None:
        blanked.extend(kept)
    return outcomes


def _rounds(items: Sequence[tuple[ArticleRecord, int | None]]) -> list[list[int]]:
    """Indices of ``items`` in rounds of distinct ``cont_id``s: the k-th record of an id goes in round k."""
    seen: Counter = Counter()
    rounds: list[list[int]] = []
    for i, (record, _) in enumerate(items):
        cont_id = _cont_id(record)
        k = seen[cont_id]
        seen[cont_id] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    return rounds


def _version_hashes(session: Session, cont_ids: list[int]) -> dict[int, set[str]]:
    """``{cont_id: hashes of its article_versions}``."""
    out: dict[int, set[str]] = {c: set() for c in cont_ids}
    for i in range(0, len(cont_ids), IN_CHUNK):
        rows = session.execute(
            sa.select(ArticleVersion.cont_id, ArticleVersion.content_hash).where(
                ArticleVersion.cont_id.in_(cont_ids[i : i + IN_CHUNK])
            )
        )
        for cont_id, content_hash in rows:
            out[cont_id].add(content_hash)
    return out


def _save_round(
    session: Session,
    items: list[tuple[ArticleRecord, int | None]],
    *,
    now: datetime,
    prefer_original: bool,
    seen: bool,
    captured: list[datetime | None],
    want_blanked: bool = True,
) -> list[tuple[str, tuple[str, ...]]]:
    """:func:`save_articles` for records with distinct ``cont_id``s: the outcome of each, with
    the stored fields it kept from being emptied (nothing when not ``want_blanked``)."""
    session.flush()  # the comparison reads the database, not the session
    cont_ids = [_cont_id(record) for record, _ in items]
    stored = load_stored(session, cont_ids)
    older = [cont_id for cont_id, at in zip(cont_ids, captured) if cont_id in stored and _is_older(at, stored[cont_id])]
    history = _version_hashes(session, older) if older else {}
    outcomes: list[tuple[str, tuple[str, ...]]] = []
    new, updates, version_rows, tags, touched = [], [], [], {}, []
    for (record, raw_page_id), cont_id, captured_at in zip(items, cont_ids, captured):
        old = stored.get(cont_id)
        outcome, fields = decide_save(
            old,
            record,
            prefer_original=prefer_original,
            captured_at=captured_at,
            known_hashes=history.get(cont_id, frozenset()),
        )
        keeps = want_blanked and outcome in ("updated", "unchanged")
        outcomes.append((outcome, blanked_fields(old, record) if keeps else ()))
        if outcome == "versioned":
            # cast: a version is kept only of a stored article, older than a known capture time
            version_rows.append(
                _older_version_row(old, record, raw_page_id=raw_page_id, captured_at=cast(datetime, captured_at))
            )
            updates.append({"cont_id": cont_id, "version": (cast(StoredArticle, old).version or 1) + 1})
            continue
        if outcome == "new":
            new.append(
                dict(
                    cont_id=cont_id,
                    **_record_fields(record),
                    raw_page_id=raw_page_id,
                    version=1,
                    first_seen=now,
                    last_seen=now,
                    updated_at=now,
                )
            )
            # replaced, not only inserted: stray tag rows of a deleted article go
            tags[cont_id] = clean_tag_names(record.tags)
        elif outcome == "unchanged":
            if seen:
                touched.append(cont_id)
            if fields is not None:  # only the keywords' basis differs: written, not an update
                updates.append({"cont_id": cont_id, **fields})
        elif outcome == "updated":
            # cast: an update comes with the fields it changes
            values, version_row = _update_values(old, cast("dict[str, Any]", fields), raw_page_id=raw_page_id, now=now)
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
        session.execute(sa.insert(cast(sa.Table, ArticleVersion.__table__)), version_rows)
    if updates:
        session.execute(sa.update(Article), updates)  # ORM bulk UPDATE by primary key
    for i in range(0, len(touched), IN_CHUNK):
        session.execute(
            sa.update(_ARTICLES).where(_ARTICLES.c.cont_id.in_(touched[i : i + IN_CHUNK])).values(last_seen=now)
        )
    if new:
        insert_many(session.connection(), _ARTICLES, new)
        index_new_articles(session, [row["cont_id"] for row in new])  # same transaction
    _replace_tags(session, tags)
    _expire_loaded(session, cont_ids)
    return outcomes


def _expire_loaded(session: Session, cont_ids: list[int]) -> None:
    """Articles of the session's identity map that the statements above changed are reloaded on next use."""
    if not session.identity_map:  # a writer's session holds no objects
        return
    for cont_id in cont_ids:
        obj = session.identity_map.get(session.identity_key(Article, cont_id))
        if obj is not None:
            session.expire(obj)
