"""Article tags: names cleaned, ids found or inserted, an article's tags replaced in order
(the tag half of :mod:`storage.articles`' save path; nothing here commits)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.record import ArticleRecord
from storage.models import ArticleTag, Tag

TAG_MAX_LEN = 200
IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit


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
