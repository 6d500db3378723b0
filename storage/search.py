"""Full-text search over the Chinese text of articles (title + body), on both backends.

How a query is answered:

* The query is split on whitespace into terms; every term must occur (AND), as a
  substring, case-insensitively. Chinese needs no word segmentation this way: 1-, 2- and
  3+-character words are all found.
* SQLite, when some term has 3+ characters: the FTS5 trigram index ``articles_fts`` finds
  the candidates (``MATCH``); shorter terms are checked with ``LIKE`` on those rows.
* SQLite with only 1-2 character terms: ``LIKE`` over ``articles`` (trigrams cannot
  index them). PostgreSQL: ``ILIKE``, accelerated by the ``pg_trgm`` GIN indexes.
* Every path ranks the same way, so both backends agree: 3 points per occurrence of a
  term in the title plus 1 per occurrence in the body; ties go to the newer article.
* Snippets are cut from the body around the first hit, every hit marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Article

#: Terms of at least this many characters can use the SQLite trigram index.
TRIGRAM_MIN = 3
TITLE_WEIGHT = 3


#: Bounds of a query: every word is one more condition over every article.
MAX_TERMS = 32
MAX_QUERY_CHARS = 1000


class SearchError(ValueError):
    """A query that cannot be searched (e.g. empty)."""


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
            "cont_id": self.cont_id, "title": self.title, "url": self.url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "node_name": self.node_name, "content_type": self.content_type, "score": self.score,
            "snippet": self.snippet, "title_marked": self.title_marked,
            "highlights": [list(s) for s in self.spans], "method": self.method,
        }


def split_terms(query: str) -> list[str]:
    """Whitespace-separated terms (full-width spaces too), without repeats, in order."""
    out: list[str] = []
    for term in (query or "").split():
        if term.casefold() not in (t.casefold() for t in out):
            out.append(term)
    return out


def _term_regex(terms: list[str]) -> re.Pattern:
    alts = sorted((re.escape(t) for t in terms), key=len, reverse=True)
    return re.compile("|".join(alts), re.IGNORECASE)


def mark(text: str, terms: list[str], open_: str = "[", close: str = "]") -> str:
    """``text`` with every occurrence of any term wrapped in ``open_``/``close``."""
    if not terms or not text:
        return text
    return _term_regex(terms).sub(lambda m: f"{open_}{m.group(0)}{close}", text)


def snippet(text: str, terms: list[str], width: int = 60, open_: str = "[", close: str = "]",
            ellipsis: str = "…") -> tuple[str, list[tuple[int, int]]]:
    """A ``width``-character window of ``text`` (newlines flattened) around the first hit,
    hits marked; and the (start, end) spans of the hits in the returned string.
    Without a hit: the start of the text."""
    flat = re.sub(r"\s*\n\s*", " ", text or "").strip()
    if not flat:
        return "", []
    rx = _term_regex(terms) if terms else None
    first = rx.search(flat) if rx else None
    start = 0
    if first:
        start = max(0, min(first.start() - width // 3, len(flat) - width))
    window = flat[start:start + width]
    prefix = ellipsis if start > 0 else ""
    suffix = ellipsis if start + width < len(flat) else ""
    out, spans, pos = [prefix], [], 0
    length = len(prefix)
    for m in (rx.finditer(window) if rx else ()):
        out.append(window[pos:m.start()])
        length += m.start() - pos
        out.append(open_ + m.group(0) + close)
        spans.append((length + len(open_), length + len(open_) + len(m.group(0))))
        length += len(open_) + len(m.group(0)) + len(close)
        pos = m.end()
    out.append(window[pos:])
    out.append(suffix)
    return "".join(out), spans


def _count(col, term: str):
    """SQL: occurrences of ``term`` in ``col``, case-insensitively."""
    low = sa.func.lower(col)
    t = term.lower()
    return (sa.func.length(low) - sa.func.length(sa.func.replace(low, t, ""))) / len(t)


def fts_match_expr(terms: list[str]) -> str:
    """An FTS5 MATCH expression requiring every term as a quoted phrase."""
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _like_all(terms: list[str]):
    return [sa.or_(Article.title.icontains(t, autoescape=True), Article.body_text.icontains(t, autoescape=True))
            for t in terms]


def _score(terms: list[str]):
    return sum((TITLE_WEIGHT * _count(Article.title, t) + _count(Article.body_text, t) for t in terms),
               sa.literal(0))


def _ranked(stmt, terms: list[str], limit: int):
    return (stmt.add_columns(_score(terms).label("score"))
            .order_by(sa.desc("score"), Article.published_at.desc().nulls_last(), Article.cont_id.desc())
            .limit(limit))


def _rank_like(session: Session, terms: list[str], limit: int) -> list[tuple[int, float]]:
    stmt = _ranked(sa.select(Article.cont_id).where(*_like_all(terms)), terms, limit)
    return [(cid, float(s)) for cid, s in session.execute(stmt)]


def _rank_fts(session: Session, terms: list[str], limit: int) -> list[tuple[int, float]]:
    """Candidates from the trigram index (3+ char terms), other terms by LIKE; same score."""
    long_terms = [t for t in terms if len(t) >= TRIGRAM_MIN]
    short = [t for t in terms if len(t) < TRIGRAM_MIN]
    fts = sa.table("articles_fts", sa.column("rowid"))
    stmt = (sa.select(Article.cont_id).select_from(fts).join(Article, Article.cont_id == fts.c.rowid)
            .where(sa.text("articles_fts MATCH :m").bindparams(m=fts_match_expr(long_terms)),
                   *_like_all(short)))
    return [(cid, float(s)) for cid, s in session.execute(_ranked(stmt, terms, limit))]


def search_method(dialect: str, terms: list[str]) -> str:
    """Which path answers ``terms``: ``fts5`` (SQLite, a 3+ char term), ``like`` or ``pg_trgm``."""
    if dialect == "sqlite":
        return "fts5" if any(len(t) >= TRIGRAM_MIN for t in terms) else "like"
    return "pg_trgm"


def search(session: Session, query: str, *, limit: int = 20, width: int = 60,
           open_: str = "[", close: str = "]") -> list[Hit]:
    """Articles matching every term of ``query``, best first, with marked snippets."""
    terms = split_terms(query)
    if not terms:
        raise SearchError("empty search query")
    if len(terms) > MAX_TERMS:
        raise SearchError(f"too many search words: {len(terms)} (at most {MAX_TERMS})")
    if sum(len(t) for t in terms) > MAX_QUERY_CHARS:
        raise SearchError(f"search query too long: {sum(len(t) for t in terms)} characters "
                          f"(at most {MAX_QUERY_CHARS})")
    if limit < 1:
        raise SearchError("limit must be at least 1")
    method = search_method(session.get_bind().dialect.name, terms)
    ranked = _rank_fts(session, terms, limit) if method == "fts5" else _rank_like(session, terms, limit)
    if not ranked:
        return []
    rows = {a.cont_id: a for a in session.execute(
        sa.select(Article.cont_id, Article.title, Article.url, Article.published_at, Article.node_name,
                  Article.content_type, Article.body_text, Article.summary)
        .where(Article.cont_id.in_([c for c, _ in ranked])))}
    hits = []
    for cid, score in ranked:
        a = rows[cid]
        snip, spans = snippet(a.body_text or a.summary, terms, width, open_, close)
        hits.append(Hit(cont_id=cid, title=a.title, url=a.url, published_at=a.published_at,
                        node_name=a.node_name, content_type=a.content_type, score=score, snippet=snip,
                        title_marked=mark(a.title, terms, open_, close), method=method, spans=spans))
    return hits
