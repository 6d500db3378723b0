"""Articles: compare a clean record with what is stored, then insert, update or keep.

One save path: :func:`save_articles` stores many ``(record, raw_page_id)`` pairs in a
few statements (the stored rows read in one query, compared in Python by
:func:`decide_save`, only what changes written); :func:`save_article` is a batch of
one. Edits keep the previous text in ``article_versions``; tags are replaced in
order. A record captured before the stored text was (an old capture imported from a
WARC) does not replace it: it becomes a version of its own (``versioned``). Nothing
here commits: the caller's transaction holds the article, its tags and its raw page
together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.record import ArticleRecord, paragraphs_of
from domain.urls import canonical_url
from storage.fulltext import index_new_articles
from storage.models import Article, ArticleTag, ArticleVersion, RawPage, Tag
from storage.render import image_dicts
from storage.types import AwareDateTime, require_aware

OUTCOMES = ("new", "updated", "unchanged", "kept_original", "versioned")
TAG_MAX_LEN = 200
IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit


# --------------------------------------------------------------------------- record -> columns
def _cont_id(record: ArticleRecord) -> int:
    """A saved record's ``cont_id`` (an article record has one: the chain validates it)."""
    return int(cast(int, record.cont_id))


def _record_fields(record: ArticleRecord) -> dict[str, Any]:
    """Article column values of a record (everything but keys, versions and timestamps)."""
    images = image_dicts(record.images)
    return {
        "url": record.url or canonical_url(_cont_id(record)),
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
        "body_text": record.body_text,  # the paragraphs are its lines (Article.paragraphs)
        "images": images,
        "keywords": [str(k) for k in record.keywords],
        "word_count": record.word_count,
        "content_hash": record.content_hash,
        "encoding": record.encoding or "",
        "encoding_reason": record.encoding_reason or "",
        "repairs": dict(record.repairs),
        "repair_log": [dict(e) for e in record.repair_log],
        "stripped": dict(record.stripped),
        "cleaner_version": str(record.cleaner_version),
    }


_KEEP_WHEN_GONE = (
    "title",
    "summary",
    "published_at",
    "author",
    "author_outlet",
    "editor",
    "source",
    "node_id",
    "node_name",
    "channel_id",
    "channel_name",
    "url",
)


def _gone_fields(record: ArticleRecord, old) -> dict[str, Any]:
    """A gone record over a stored article: text emptied, the stored metadata kept (the page
    said it; a gone record knows at most what its list item said)."""
    fields = _record_fields(record)
    for name in _KEEP_WHEN_GONE:
        if getattr(old, name) not in (None, "") or fields[name] in (None, ""):
            fields[name] = getattr(old, name)
    fields.update(
        body_text="",
        images=[],
        keywords=[],
        word_count=0,
        content_hash=ArticleRecord(title=fields["title"]).content_hash,
    )
    return fields


#: Fields an update never empties: a page that lost them (a layout the extractor no longer
#: reads, a paywall, a video page) keeps the stored value (:func:`_keep_stored`).
NEVER_BLANKED = (
    "title",
    "summary",
    "published_at",
    "author",
    "author_outlet",
    "editor",
    "source",
    "node_id",
    "node_name",
    "channel_id",
    "channel_name",
    "external_url",
    "body_text",
    "images",
    "keywords",
)


def _blank(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _keep_stored(old, fields: dict[str, Any]) -> tuple[str, ...]:
    """Give back to ``fields`` (an update of ``old``) every :data:`NEVER_BLANKED` value it would
    empty; the names kept. The hash and word count follow the text kept."""
    kept = tuple(n for n in NEVER_BLANKED if _blank(fields[n]) and not _blank(getattr(old, n)))
    for name in kept:
        fields[name] = getattr(old, name)
    if "title" in kept or "body_text" in kept:
        text = ArticleRecord(title=fields["title"], paragraphs=paragraphs_of(fields["body_text"]))
        fields.update(content_hash=text.content_hash, word_count=text.word_count)
    return kept


def _version_row(old, now: datetime) -> dict[str, Any]:
    """The ``article_versions`` values that keep the stored text of ``old`` when it is replaced."""
    return dict(
        cont_id=old.cont_id,
        version=old.version,
        title=old.title,
        summary=old.summary,
        body_text=old.body_text,
        paragraphs=paragraphs_of(old.body_text),
        content_hash=old.content_hash,
        cleaner_version=old.cleaner_version,
        content_type=old.content_type,
        valid_from=old.updated_at or old.first_seen,
        replaced_at=now,
        raw_page_id=old.raw_page_id,
    )


# --------------------------------------------------------------------------- tags
def clean_tag_names(tags: Iterable[str]) -> list[str]:
    """Tags stripped, truncated, without empties or repeats, in first-seen order."""
    out: list[str] = []
    for tag in tags or ():
        name = str(tag).strip()[:TAG_MAX_LEN]
        if name and name not in out:
            out.append(name)
    return out


def _tag_ids(session: Session, names: list[str]) -> dict[str, int]:
    """Ids of tags by name, inserting missing ones (race-safe: ON CONFLICT DO NOTHING)."""
    if not names:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        # the two dialects' insert() are typed apart; both have on_conflict_do_nothing
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    found: dict[str, int] = {}
    for i in range(0, len(names), IN_CHUNK):
        chunk = names[i : i + IN_CHUNK]
        found.update(session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(chunk))).all())
    missing = [n for n in names if n not in found]
    for i in range(0, len(missing), IN_CHUNK):
        chunk = missing[i : i + IN_CHUNK]
        session.execute(
            insert(Tag).values([{"name": n} for n in chunk]).on_conflict_do_nothing(index_elements=["name"])
        )
        found.update(session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(chunk))).all())
    return found


def _replace_tags(session: Session, names_by_id: Mapping[int, list[str]]) -> None:
    """Give each article (``cont_id``) the tags ``names`` (cleaned), in order, instead of its previous ones."""
    ids = list(names_by_id)
    for i in range(0, len(ids), IN_CHUNK):
        session.execute(sa.delete(ArticleTag).where(ArticleTag.cont_id.in_(ids[i : i + IN_CHUNK])))
    tag_ids = _tag_ids(session, list(dict.fromkeys(n for names in names_by_id.values() for n in names)))
    links = [
        {"cont_id": cont_id, "tag_id": tag_ids[n], "position": i}
        for cont_id, names in names_by_id.items()
        for i, n in enumerate(names)
    ]
    if links:
        session.execute(sa.insert(cast(sa.Table, ArticleTag.__table__)), links)


def _replaces_tags(record: ArticleRecord) -> bool:
    """Whether storing ``record`` over an article replaces its tags: a record without tags keeps
    them (a gone page has none, nor has a page whose tags the extractor no longer finds)."""
    return bool(clean_tag_names(record.tags))


# --------------------------------------------------------------------------- the decision
class StoredArticle(SimpleNamespace):
    """A stored article as plain attributes (its ``articles`` columns and ``tag_names``),
    loaded by :func:`load_stored` without the ORM; what :func:`decide_save` reads."""


def _same_as_stored(old, fields: dict[str, Any], record: ArticleRecord) -> bool:
    """Whether saving ``fields`` (and the record's tags) would change nothing stored."""
    if any(getattr(old, name) != value for name, value in fields.items()):
        return False
    return not _replaces_tags(record) or old.tag_names == clean_tag_names(record.tags)


def decide_save(
    old: Article | StoredArticle | None,
    record: ArticleRecord,
    *,
    prefer_original: bool = True,
    captured_at: datetime | None = None,
    known_hashes: frozenset[str] | set[str] = frozenset(),
) -> tuple[str, dict[str, Any] | None]:
    """What saving ``record`` over the stored article ``old`` (None: not stored) does,
    without touching anything: ``("new", None)``, ``("kept_original", None)``,
    ``("unchanged", None)``, ``("updated", fields)`` with the article column values
    to store, or ``("versioned", None)``. ``old`` is an :class:`Article` or a
    :class:`StoredArticle`.

    ``captured_at`` is when the record's page was fetched; when it is before the
    capture of the stored text (``old.text_captured_at``), the record is history, not
    news: a text the archive does not hold yet (its hash is neither the stored one nor
    one of ``known_hashes``, the versions') becomes a version (``versioned``), anything
    else is ``unchanged``; an old gone page does not make a stored article gone. The
    preference for the original over a mirror copy, and for any text over a gone
    article, comes first."""
    if old is None:
        return "new", None
    is_mirror = bool(record.mirror_host)
    is_gone = record.content_type == "gone"
    old_is_mirror = bool(old.mirror_host)
    old_is_gone = old.content_type == "gone"
    if prefer_original and is_mirror and not old_is_mirror and not old_is_gone:
        return "kept_original", None
    if _is_older(captured_at, old) and not old_is_gone and not (prefer_original and old_is_mirror and not is_mirror):
        if is_gone or record.content_hash == old.content_hash or record.content_hash in known_hashes:
            return "unchanged", None
        return "versioned", None
    if is_gone and (old_is_gone or (old_is_mirror and prefer_original and old.body_text)):
        return "unchanged", None
    fields = _gone_fields(record, old) if is_gone else _record_fields(record)
    if not is_gone and not old_is_gone:
        _keep_stored(old, fields)
    if old_is_mirror == is_mirror and _same_as_stored(old, fields, record):
        return "unchanged", None
    return "updated", fields


def blanked_fields(old, record: ArticleRecord) -> tuple[str, ...]:
    """The stored fields of ``old`` (and ``tags``) that ``record`` has empty and an update keeps
    (:data:`NEVER_BLANKED`); nothing for a new, gone or gone-before article."""
    if old is None or record.content_type == "gone" or old.content_type == "gone":
        return ()
    fields = _record_fields(record)
    kept = tuple(n for n in NEVER_BLANKED if _blank(fields[n]) and not _blank(getattr(old, n)))
    return kept + (("tags",) if old.tag_names and not _replaces_tags(record) else ())


def _is_older(captured_at: datetime | None, old) -> bool:
    """Whether a page captured at ``captured_at`` predates the stored text of ``old``."""
    stored_at = getattr(old, "text_captured_at", None)
    return captured_at is not None and stored_at is not None and captured_at < stored_at


def _older_version_row(old, record: ArticleRecord, *, raw_page_id: int | None, captured_at: datetime) -> dict[str, Any]:
    """The ``article_versions`` row of an older capture: it takes the stored article's
    version number, the article the next one (the article's number stays the highest, one
    more than its versions); it was the text from its capture until the stored one's."""
    fields = _record_fields(record)
    return dict(
        cont_id=old.cont_id,
        version=old.version or 1,
        title=fields["title"],
        summary=fields["summary"],
        body_text=fields["body_text"],
        paragraphs=paragraphs_of(fields["body_text"]),
        content_hash=fields["content_hash"],
        cleaner_version=fields["cleaner_version"],
        content_type=fields["content_type"],
        valid_from=captured_at,
        replaced_at=old.text_captured_at,
        raw_page_id=raw_page_id,
    )


def _update_values(
    old, fields: dict[str, Any], *, raw_page_id: int | None, now: datetime
) -> tuple[dict[str, Any], dict[str, Any] | None]:
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


# --------------------------------------------------------------------------- reading
def load_stored(session: Session, cont_ids: Iterable[int]) -> dict[int, StoredArticle]:
    """``{cont_id: StoredArticle}`` of the given ids that are stored, with their tags, in two queries a chunk.
    ``text_captured_at`` is when the stored text's raw page was fetched (its ``updated_at``
    when that page is unknown)."""
    table = Article.__table__
    raw = RawPage.__table__
    ids = sorted({int(c) for c in cont_ids})
    out: dict[int, StoredArticle] = {}
    captured = sa.func.coalesce(raw.c.fetched_at, table.c.updated_at)
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        stmt = (
            sa.select(table, sa.type_coerce(captured, AwareDateTime).label("text_captured_at"))
            .outerjoin(raw, raw.c.id == table.c.raw_page_id)
            .where(table.c.cont_id.in_(chunk))
        )
        for row in session.execute(stmt).mappings():
            out[row["cont_id"]] = StoredArticle(**row, tag_names=[])
        tags = (
            sa.select(ArticleTag.cont_id, Tag.name)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(ArticleTag.cont_id.in_(chunk))
            .order_by(ArticleTag.cont_id, ArticleTag.position)
        )
        for cont_id, name in session.execute(tags):
            if cont_id in out:  # not a stray tag row whose article was deleted without its tags
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
        k = seen[_cont_id(record)]
        seen[_cont_id(record)] += 1
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
) -> list[tuple[str, tuple[str, ...]]]:
    """:func:`save_articles` for records with distinct ``cont_id``s: the outcome of each, with
    the stored fields it kept from being emptied."""
    session.flush()  # the comparison reads the database, not the session
    stored = load_stored(session, [_cont_id(record) for record, _ in items])
    older = [
        _cont_id(record)
        for (record, _), at in zip(items, captured)
        if _cont_id(record) in stored and _is_older(at, stored[_cont_id(record)])
    ]
    history = _version_hashes(session, older) if older else {}
    outcomes: list[tuple[str, tuple[str, ...]]] = []
    new, updates, version_rows, tags, touched = [], [], [], {}, []
    for (record, raw_page_id), captured_at in zip(items, captured):
        cont_id = _cont_id(record)
        old = stored.get(cont_id)
        outcome, fields = decide_save(
            old,
            record,
            prefer_original=prefer_original,
            captured_at=captured_at,
            known_hashes=history.get(cont_id, frozenset()),
        )
        outcomes.append((outcome, blanked_fields(old, record) if outcome in ("updated", "unchanged") else ()))
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
        elif outcome == "unchanged" and seen:
            touched.append(cont_id)
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
        articles = cast(sa.Table, Article.__table__)  # cast: a mapped class's table is a Table
        session.execute(
            sa.update(articles).where(Article.__table__.c.cont_id.in_(touched[i : i + IN_CHUNK])).values(last_seen=now)
        )
    if new:
        session.execute(sa.insert(cast(sa.Table, Article.__table__)), new)
        index_new_articles(session, [row["cont_id"] for row in new])  # same transaction
    _replace_tags(session, tags)
    _expire_loaded(session, [_cont_id(record) for record, _ in items])
    return outcomes


def _expire_loaded(session: Session, cont_ids: list[int]) -> None:
    """Articles of the session's identity map that the statements above changed are reloaded on next use."""
    for cont_id in cont_ids:
        obj = session.identity_map.get(session.identity_key(Article, cont_id))
        if obj is not None:
            session.expire(obj)
