"""What saving a clean record over a stored article does: the record's columns, the fields an
update keeps, the version rows, and the outcome (:func:`decide_save`), in Python, without the
database (the decision half of :mod:`storage.articles`' save path).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, cast


from domain.record import ArticleRecord, paragraphs_of
from domain.urls import canonical_url
from storage.models import Article
from storage.render import image_dicts
from storage.tags import _replaces_tags, clean_tag_names

OUTCOMES = ("new", "updated", "unchanged", "kept_original", "versioned")


# --------------------------------------------------------------------------- record -> columns
def _cont_id(record: ArticleRecord) -> int:
    """A saved record's ``cont_id`` (an article record has one: the chain validates it)."""
    return int(cast(int, record.cont_id))


def _record_fields(record: ArticleRecord) -> dict[str, Any]:
    """Article column values of a record (everything but keys, versions and timestamps)."""
    images = image_dicts(record.images)
    content_hash = record.content_hash
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
        # what the keywords were computed from (None: not computed): a reprocess of the same text takes them
        "keywords_basis": record.keywords_basis_by(record.keywords_code, content_hash)
        if record.keywords_code
        else None,
        "word_count": record.word_count,
        "content_hash": content_hash,
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
        keywords_basis=None,
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


#: What an empty field is: ``value in _BLANKS`` (identity, then ``==``, in C) is ``value is None or
#: value == "" or value == [] or value == {}`` for the column values.
_BLANKS: tuple[Any, ...] = (None, "", [], {})


def _blank(value) -> bool:
    return value in _BLANKS


def _keep_stored(old, fields: dict[str, Any]) -> tuple[str, ...]:
    """Give back to ``fields`` (an update of ``old``) every :data:`NEVER_BLANKED` value it would
    empty; the names kept. The hash and word count follow the text kept."""
    kept = tuple(n for n in NEVER_BLANKED if fields[n] in _BLANKS and getattr(old, n) not in _BLANKS)
    for name in kept:
        fields[name] = getattr(old, name)
    if "keywords" in kept:  # the stored keywords kept with what they were computed from
        fields["keywords_basis"] = old.keywords_basis
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


# --------------------------------------------------------------------------- the decision
class StoredArticle(SimpleNamespace):
    """A stored article as plain attributes (its ``articles`` columns and ``tag_names``),
    loaded by :func:`load_stored` without the ORM; what :func:`decide_save` reads."""


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The attributes ``names`` of an object as a tuple (one getter a set of names)."""
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def _same_as_stored(old, fields: dict[str, Any], record: ArticleRecord) -> bool:
    """Whether saving ``fields`` (and the record's tags) would change nothing stored. The fields
    are compared as one tuple (in C: a reprocess compares every field of every unchanged record);
    a tuple's elements are equal when identical or ``==``, which for the column values (no NaN
    among them) is ``not !=``."""
    if _getter(tuple(fields))(old) != tuple(fields.values()):
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
    ``("unchanged", None)`` (or ``("unchanged", {"keywords_basis": ...})`` where only what the
    keywords were computed from differs, which is then written without an update),
    ``("updated", fields)`` with the article column values to store, or ``("versioned", None)``. ``old`` is an :class:`Article` or a
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
    # what the keywords were computed from is bookkeeping, not a change of the article: where only
    # it differs (a row stored before it was kept, a reinstalled keyword library) it is filled in
    basis = fields.pop("keywords_basis")
    same = old_is_mirror == is_mirror and _same_as_stored(old, fields, record)
    fields["keywords_basis"] = basis
    if same:
        return "unchanged", ({"keywords_basis": basis} if basis != old.keywords_basis else None)
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
