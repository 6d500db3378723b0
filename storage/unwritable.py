"""An archive that cannot be written: a full disk, a read-only file or database, a database
that is down. One exception for all of them, raised by every engine of the archive.

:func:`install` hooks SQLAlchemy's ``handle_error`` event of an engine
(:func:`storage.db.make_engine` does it for every engine): a database error that means the
archive cannot be written (:func:`unwritable_reason`) is raised as
:class:`ArchiveUnwritable` instead, so that callers need not know the drivers' error codes.
Retrying does not help with these (the crawl's writer stops at the first one, see
:mod:`storage.writers`); errors about one row (a constraint, a bad value) stay what they are.
Pre-ping checks of pooled connections are left alone: a stale connection after a database
restart is replaced silently, as SQLAlchemy does. A damaged SQLite file is
:class:`ArchiveDamaged`, one of them (exit code 6 too), whose message says how to recover it.
"""

from __future__ import annotations

import errno
import shlex
import sqlite3

import sqlalchemy as sa

#: SQLite primary result codes that mean the file cannot be written.
_SQLITE = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the disk failed (I/O error)",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_PERM: "the database file may not be written",
}
#: PostgreSQL SQLSTATEs (exact, then by class) that mean the database cannot take writes.
_PG = {
    "53100": "the database server's disk is full",
    "25006": "the database is read-only",
    "58030": "the database server's disk failed (I/O error)",
    "XX001": "the database server found damaged data",
    "XX002": "the database server found a damaged index",
    "57P01": "the database server is shutting down",
    "57P02": "the database server crashed",
    "57P03": "the database server does not accept connections now",
    "53": "the database server is out of resources",
    "08": "the database server is unreachable",
}
_OS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "the disk failed (I/O error)",
}


class ArchiveUnwritable(Exception):
    """The archive cannot be written; ``why`` says what the database said, in words."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why

    def __str__(self) -> str:
        return f"cannot use the archive: {self.why}"


class ArchiveDamaged(ArchiveUnwritable):
    """The SQLite archive's file is damaged (pages overwritten or cut short): SQLite said so
    (``SQLITE_CORRUPT``, ``SQLITE_NOTADB`` after it was opened), or ``PRAGMA quick_check`` did
    when a writer opened it (:mod:`storage.preflight`). The message names the file and the
    ``sqlite3 .recover`` command that copies what can be read into a new file."""

    def __init__(self, path, detail: str, *, at_open: bool = False):
        super().__init__(detail)
        self.path, self.detail, self.at_open = str(path), detail, at_open

    def __str__(self) -> str:
        done = "nothing was written to it" if self.at_open else "the command stopped"
        quoted = shlex.quote(self.path)
        return (
            f"the archive {self.path} is damaged ({self.detail}); {done}. Copy what can be read into a new "
            f"file with: sqlite3 {quoted} .recover | sqlite3 {shlex.quote(self.path + '.recovered')} "
            "(docs/archive-file.md: where sqlite3 has no .recover)"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


def unwritable_reason(exc: BaseException, *, disconnect: bool = False) -> str | None:
    """Why ``exc`` (a driver error, or SQLAlchemy's wrapper of one) means the archive cannot
    be written, or None. ``disconnect``: SQLAlchemy judged it a lost connection."""
    orig = getattr(exc, "orig", None) or exc
    detail = _first_line(orig)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        why = _SQLITE.get(code & 0xFF)
        return f"{why} (SQLite: {detail})" if why else None
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state:
        why = _PG.get(state) or _PG.get(state[:2])
        return f"{why} (PostgreSQL {state}: {detail})" if why else None
    if isinstance(orig, OSError) and orig.errno in _OS:
        return f"{_OS[orig.errno]} ({orig.strerror or detail})"
    if disconnect or type(orig).__name__ == "OperationalError" and type(orig).__module__.startswith("psycopg"):
        return f"the database server is unreachable ({detail})"
    return None


def _damaged(context) -> ArchiveDamaged | None:
    """SQLite's word that the file is damaged, for an engine of a SQLite file."""
    orig = context.original_exception
    code = getattr(orig, "sqlite_errorcode", 0) & 0xFF
    if code not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or context.engine is None:
        return None
    path = context.engine.url.database
    return ArchiveDamaged(path or "(in memory)", f"SQLite: {_first_line(orig)}")


def _translate(context) -> BaseException | None:
    if getattr(context, "is_pre_ping", False):
        return None
    damaged = _damaged(context)
    if damaged is not None:
        return damaged
    why = unwritable_reason(context.original_exception, disconnect=bool(context.is_disconnect))
    return ArchiveUnwritable(why) if why else None


def install(engine: sa.Engine) -> sa.Engine:
    """Raise :class:`ArchiveUnwritable` for ``engine``'s errors that mean the archive cannot be written."""
    sa.event.listen(engine, "handle_error", _translate)
    return engine
