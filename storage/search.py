"""Full-text search over the Chinese text of articles (title + body), on both backends.

How a query is answered:

* The query is split on whitespace into terms; every term must occur (AND), as a
  substring. Chinese needs no word segmentation this way: 1-, 2- and 3+-character words are
  all found.
* Case: :func:`fold` is the one case folding, and both backends compute it the same way
  (:func:`folded`): the ASCII letters A-Z match a-z, every other character matches only
  itself (``İ`` only ``İ``, ``Σ`` only ``Σ``, full-width ``Ａ`` only ``Ａ``). That is what
  SQLite's ``lower()`` and ``LIKE`` do; PostgreSQL's ``lower()``/``ILIKE`` would fold
  Unicode as its locale says, so there the fold is a ``translate()`` of A-Z.
* SQLite, when some term has 3+ characters: the FTS5 trigram index ``articles_fts`` finds
  candidates (``MATCH``, which folds more than :func:`fold`: a superset); every term is then
  checked on the folded text (``LIKE``). SQLite with only 1-2 character terms: ``LIKE`` over
  ``articles`` (trigrams cannot index them). PostgreSQL: ``ILIKE`` on the columns finds the
  candidates through the ``pg_trgm`` GIN indexes (a superset too, in every locale that folds
  A-Z to a-z, i.e. all but Turkish ones), and the folded text decides.
* Every path ranks the same way, so both backends agree: 3 points per occurrence of a
  term in the title plus 1 per occurrence in the body (occurrences of the folded term in
  the folded text); ties go to the newer article.
* Snippets are cut from the body around the first hit, every hit (as folded) marked.
* Forms: a term may be looked for in several forms (``forms=``, e.g. the Simplified forms of a
  Traditional word, given by the caller); an article holds the term when it holds any form,
  and every form's occurrences count. In the trigram ``MATCH`` a term is ``("a" OR "b")``, and
  it is left out of the ``MATCH`` when a form has fewer than 3 characters (trigrams cannot
  find it: FTS5 answers a 1-2 character phrase with no rows, so ``'"人工智能" AND "芯片"'``
  finds nothing) — the ``LIKE`` checks decide those terms.
* Filters (:class:`Filters`): publication time (``since`` inclusive, ``until`` exclusive),
  columns (any of the node ids) and tags (every tag named, in any of its forms), applied on
  every path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag, Tag

#: Terms of at least this many characters can use the SQLite trigram index.
TRIGRAM_MIN = 3
TITLE_WEIGHT = 3


#: Bounds of a query: every word is one more condition over every article.
MAX_TERMS = 32
MAX_QUERY_CHARS = 1000


class SearchError(ValueError):
    """A query that cannot be searched (e.g. empty)."""


@dataclass(frozen=True)
class Filters:
    """What a hit must also be: published in [since, until), in one of ``node_ids``, tagged with
    every tag in ``tags`` — a name, or the several forms one tag may be written in (any of them).
    Empty fields filter nothing."""

    since: datetime | None = None
    until: datetime | None = None
    node_ids: tuple[int, ...] = ()
    tags: tuple[str | tuple[str, ...], ...] = ()

    def clauses(self) -> list:
        out = []
        if self.since is not None:
            out.append(Article.published_at >= self.since)
        if self.until is not None:
            out.append(Article.published_at < self.until)
        if self.node_ids:
            out.append(Article.node_id.in_(list(self.node_ids)))
        for forms in _groups(self.tags):
            out.append(
                sa.exists().where(
                    ArticleTag.cont_id == Article.cont_id, ArticleTag.tag_id == Tag.id, Tag.name.in_(forms)
                )
            )
        return out


#: A term with the forms it is looked for as (the term itself first).
Group = Sequence[str]


@dataclass
class Hit:
    cont_id: int
    title: str
    url: str
    published_at: datetime | None
    node_name: str
    content_type: str
    score: float
    snippet: str
    title_marked: str
    method: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # hit spans within snippet

    def to_dict(self) -> dict:
        return {
            "cont_id": self.cont_id,
            "title": self.title,
            "url": self.url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "node_name": self.node_name,
            "content_type": self.content_type,
            "score": self.score,
            "snippet": self.snippet,
            "title_marked": self.title_marked,
            "highlights": [list(s) for s in self.spans],
            "method": self.method,
        }


_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_FOLD = str.maketrans(_ASCII_UPPER, _ASCII_LOWER)


def fold(text: str) -> str:
    """The search's case folding: A-Z to a-z, nothing else (one character for one, so that
    positions in the folded text are positions in the text)."""
    return text.translate(_FOLD)


class folded(sa.sql.functions.GenericFunction):
    """SQL: :func:`fold` of a text expression, the same on both backends."""

    type = sa.Text()
    name = "thepaper_fold"
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"  # SQLite's lower() folds ASCII only


@compiles(folded)
def _folded_default(element, compiler, **kw):
    return f"translate({compiler.process(element.clauses, **kw)}, '{_ASCII_UPPER}', '{_ASCII_LOWER}')"


def split_terms(query: str) -> list[str]:
    """Whitespace-separated terms (full-width spaces too), without repeats (as folded), in order."""
    out: list[str] = []
    for term in (query or "").split():
        if fold(term) not in (fold(t) for t in out):
            out.append(term)
    return out


def _term_regex(terms: list[str]) -> re.Pattern:
    """Matches the folded terms in folded text, longest first."""
    alts = sorted((re.escape(fold(t)) for t in terms), key=len, reverse=True)
    return re.compile("|".join(alts))


def mark(text: str, terms: list[str], open_: str = "[", close: str = "]") -> str:
    """``text`` with every occurrence of any term (as folded) wrapped in ``open_``/``close``."""
    if not terms or not text:
        return text
    out, pos = [], 0
    for m in _term_regex(terms).finditer(fold(text)):
        out += [text[pos : m.start()], open_, text[m.start() : m.end()], close]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def snippet(
    text: str, terms: list[str], width: int = 60, open_: str = "[", close: str = "]", ellipsis: str = "…"
) -> tuple[str, list[tuple[int, int]]]:
    """A ``width``-character window of ``text`` (newlines flattened) around the first hit,
    hits marked; and the (start, end) spans of the hits in the returned string.
    Without a hit: the start of the text."""
    flat = re.sub(r"\s*\n\s*", " ", text or "").strip()
    if not flat:
        return "", []
    rx = _term_regex(terms) if terms else None
    first = rx.search(fold(flat)) if rx else None
    start = 0
    if first:
        start = max(0, min(first.start() - width // 3, len(flat) - width))
    window = flat[start : start + width]
    prefix = ellipsis if start > 0 else ""
    suffix = ellipsis if start + width < len(flat) else ""
    out, spans, pos = [prefix], [], 0
    length = len(prefix)
    for m in rx.finditer(fold(window)) if rx else ():
        hit = window[m.start() : m.end()]
        out.append(window[pos : m.start()])
        length += m.start() - pos
        out.append(open_ + hit + close)
        spans.append((length + len(open_), length + len(open_) + len(hit)))
        length += len(open_) + len(hit) + len(close)
        pos = m.end()
    out.append(window[pos:])
    out.append(suffix)
    return "".join(out), spans


def _count(col, term: str):
    """SQL: occurrences of ``term`` in ``col``, both folded."""
    low = folded(col)
    t = fold(term)
    return (sa.func.length(low) - sa.func.length(sa.func.replace(low, t, ""))) / len(t)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _groups(terms) -> list[list[str]]:
    return [[t] if isinstance(t, str) else list(t) for t in terms]


def fts_match_expr(terms: Sequence[str | Group]) -> str:
    """An FTS5 MATCH expression requiring every term as a quoted phrase; a term with several
    forms is ``("a" OR "b")``."""
    parts = []
    for forms in _groups(terms):
        parts.append(_phrase(forms[0]) if len(forms) == 1 else "(" + " OR ".join(map(_phrase, forms)) + ")")
    return " AND ".join(parts)


def indexable(forms: Group) -> bool:
    """Whether the trigram index can find a term: every form has 3+ characters."""
    return all(len(f) >= TRIGRAM_MIN for f in forms)


def _contains(col, term: str, dialect: str):
    """SQL: ``col`` contains ``term``, both folded; on PostgreSQL with the ``ILIKE`` the trigram
    index can answer (a superset) in front."""
    exact = folded(col).contains(fold(term), autoescape=True)
    return sa.and_(col.icontains(term, autoescape=True), exact) if dialect == "postgresql" else exact


def _like_all(groups: list[list[str]], dialect: str):
    """SQL: every term (any of its forms) in the title or the body."""
    return [
        sa.or_(*(_contains(col, f, dialect) for f in forms for col in (Article.title, Article.body_text)))
        for forms in groups
    ]


def _score(groups: list[list[str]]):
    return sum(
        (TITLE_WEIGHT * _count(Article.title, f) + _count(Article.body_text, f) for forms in groups for f in forms),
        sa.literal(0),
    )


def _ranked(stmt, groups: list[list[str]], limit: int, filters: Filters):
    return (
        stmt.where(*filters.clauses())
        .add_columns(_score(groups).label("score"))
        .order_by(sa.desc("score"), Article.published_at.desc().nulls_last(), Article.cont_id.desc())
        .limit(limit)
    )


def _matching(groups: list[list[str]], dialect: str):
    """SELECT of the cont_id of every article holding every term: the trigram index's candidates
    (SQLite, when it can find a term) checked folded, or the folded ``LIKE`` checks alone."""
    if search_method(dialect, groups) != "fts5":
        return sa.select(Article.cont_id).where(*_like_all(groups, dialect))
    fts = sa.table("articles_fts", sa.column("rowid"))
    match = fts_match_expr([g for g in groups if indexable(g)])
    return (
        sa.select(Article.cont_id)
        .select_from(fts)
        .join(Article, Article.cont_id == fts.c.rowid)
        .where(sa.text("articles_fts MATCH :m").bindparams(m=match), *_like_all(groups, "sqlite"))
    )


def _rank(session: Session, groups: list[list[str]], limit: int, filters: Filters) -> list[tuple[int, float]]:
    stmt = _ranked(_matching(groups, session.get_bind().dialect.name), groups, limit, filters)
    return [(cid, float(s)) for cid, s in session.execute(stmt)]


def search_method(dialect: str, terms: Sequence[str | Group]) -> str:
    """Which path answers ``terms``: ``fts5`` (SQLite, a term the trigram index can find),
    ``like`` or ``pg_trgm``."""
    if dialect == "sqlite":
        return "fts5" if any(indexable(g) for g in _groups(terms)) else "like"
    return "pg_trgm"


def query_groups(query: str, forms: Callable[[str], list[str]] | None = None) -> list[list[str]]:
    """The terms of ``query``, each with the forms it is looked for in (itself first); a query
    that cannot be searched raises :class:`SearchError`."""
    terms = split_terms(query)
    if not terms:
        raise SearchError("empty search query")
    if len(terms) > MAX_TERMS:
        raise SearchError(f"too many search words: {len(terms)} (at most {MAX_TERMS})")
    if sum(len(t) for t in terms) > MAX_QUERY_CHARS:
        raise SearchError(f"search query too long: {sum(len(t) for t in terms)} characters (at most {MAX_QUERY_CHARS})")
    return [list(dict.fromkeys([t, *(forms(t) if forms else ())])) for t in terms]


def matching_sql(query: str, forms: Callable[[str], list[str]] | None = None) -> str:
    """SQLite SQL selecting the ``cont_id`` of every article :func:`search` finds for ``query``
    (every one, unranked), the words inline as quoted literals: a condition for a SQL front end
    such as Datasette's search box (``cont_id IN (...)``)."""
    from sqlalchemy.dialects import sqlite

    stmt = _matching(query_groups(query, forms), "sqlite")
    return str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def count_matches(
    session: Session, query: str, *, forms: Callable[[str], list[str]] | None = None, filters: Filters | None = None
) -> int:
    """How many articles :func:`search` would return without a limit."""
    groups = query_groups(query, forms)
    stmt = _matching(groups, session.get_bind().dialect.name).where(*(filters or Filters()).clauses())
    # cast: COUNT(*) is never NULL
    return int(cast(int, session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))))


def search(
    session: Session,
    query: str,
    *,
    limit: int = 20,
    width: int = 60,
    open_: str = "[",
    close: str = "]",
    forms: Callable[[str], list[str]] | None = None,
    filters: Filters | None = None,
) -> list[Hit]:
    """Articles matching every term of ``query`` (any of its ``forms``, e.g. Simplified forms of a
    Traditional word) and the ``filters``, best first, with marked snippets."""
    if limit < 1:
        raise SearchError("limit must be at least 1")
    groups = query_groups(query, forms)
    filters = filters or Filters()
    method = search_method(session.get_bind().dialect.name, groups)
    ranked = _rank(session, groups, limit, filters)
    if not ranked:
        return []
    rows = {
        a.cont_id: a
        for a in session.execute(
            sa.select(
                Article.cont_id,
                Article.title,
                Article.url,
                Article.published_at,
                Article.node_name,
                Article.content_type,
                Article.body_text,
                Article.summary,
            ).where(Article.cont_id.in_([c for c, _ in ranked]))
        )
    }
    every_form = [f for g in groups for f in g]
    hits = []
    for cid, score in ranked:
        a = rows[cid]
        snip, spans = snippet(a.body_text or a.summary, every_form, width, open_, close)
        hits.append(
            Hit(
                cont_id=cid,
                title=a.title,
                url=a.url,
                published_at=a.published_at,
                node_name=a.node_name,
                content_type=a.content_type,
                score=score,
                snippet=snip,
                title_marked=mark(a.title, every_form, open_, close),
                method=method,
                spans=spans,
            )
        )
    return hits
