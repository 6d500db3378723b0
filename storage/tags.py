"""Article tags: names cleaned, ids found or inserted, an article's tags replaced in order
(the tag half of :mod:`storage.articles`' save path; nothing here commits)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.record import ArticleRecord
from storage.bulk import insert_many
from storage.models import ArticleTag, Tag

TAG_MAX_LEN = 200
IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit
_LINKS = cast(sa.Table, ArticleTag.__table__)  # cast: a mapped class's table is a Table
#: The links of articles ``ids`` deleted, built once a process (a crawl's writer runs it for every
#: batch): for a session that holds no objects, which the ORM's delete would have to keep in step.
_LINK_DELETE = sa.delete(_LINKS).where(_LINKS.c.cont_id.in_(sa.bindparam("ids", expanding=True)))


def clean_tag_names(tags: Iterable[str]) -> list[str]:
    """Tags stripped, truncated, without empties or repeats, in first-seen order."""
    out: list[str] = []
    for tag in tags or ():
        name = str(tag).strip()[:TAG_MAX_LEN]
        if name and name not in out:
            out.append(name)
    return out


@cache
def _statements(dialect: str) -> tuple[sa.Select, sa.Executable]:
    """The tag statements of a dialect, built once a process (a crawl's writer runs them for every
    batch): tags by ``names`` and the insert of a missing tag (``name``; race-safe: ON CONFLICT DO
    NOTHING)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        # the two dialects' insert() are typed apart; both have on_conflict_do_nothing
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    tag = cast(sa.Table, Tag.__table__)  # cast: a mapped class's table is a Table
    return (
        sa.select(tag.c.name, tag.c.id).where(tag.c.name.in_(sa.bindparam("names", expanding=True))),
        insert(tag).on_conflict_do_nothing(index_elements=["name"]),
    )


def _tag_ids(session: Session, names: list[str]) -> dict[str, int]:
    """Ids of tags by name, inserting missing ones (race-safe: ON CONFLICT DO NOTHING)."""
    if not names:
        return {}
    select, insert = _statements(session.get_bind().dialect.name)
    found: dict[str, int] = {}
    for i in range(0, len(names), IN_CHUNK):
        found.update(session.execute(select, {"names": names[i : i + IN_CHUNK]}).all())
    missing = [n for n in names if n not in found]
    for i in range(0, len(missing), IN_CHUNK):
        chunk = missing[i : i + IN_CHUNK]
        session.execute(insert, [{"name": n} for n in chunk])  # in order: ids as one multi-row insert gave
        found.update(session.execute(select, {"names": chunk}).all())
    return found


def _replace_tags(session: Session, names_by_id: Mapping[int, list[str]]) -> None:
    """Give each article (``cont_id``) the tags ``names`` (cleaned), in order, instead of its previous ones."""
    ids = list(names_by_id)
    for i in range(0, len(ids), IN_CHUNK):
        if not session.identity_map:  # a writer's session holds no objects
            session.execute(_LINK_DELETE, {"ids": ids[i : i + IN_CHUNK]})
        else:  # the ORM's delete: it also forgets the links the session holds (Article.tag_links)
            session.execute(sa.delete(ArticleTag).where(ArticleTag.cont_id.in_(ids[i : i + IN_CHUNK])))
    tag_ids = _tag_ids(session, list(dict.fromkeys(n for names in names_by_id.values() for n in names)))
    links = [
        {"cont_id": cont_id, "tag_id": tag_ids[n], "position": i}
        for cont_id, names in names_by_id.items()
        for i, n in enumerate(names)
    ]
    if links:
        insert_many(session.connection(), _LINKS, links)


def _replaces_tags(record: ArticleRecord) -> bool:
    """Whether storing ``record`` over an article replaces its tags: a record without tags keeps
    them (a gone page has none, nor has a page whose tags the extractor no longer finds)."""
    return bool(clean_tag_names(record.tags))
