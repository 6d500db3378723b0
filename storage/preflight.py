"""What a ``--db`` names, looked at before anything is written to it.

:func:`storage.db.open_archive` opens the archive in one of three ways: to read it (a
read-only connection, never a migration), to write an archive that exists, or to create one.
Before its first change, what the database holds is judged (:func:`judge`):

* nothing (a new or 0-byte file, a SQLite file or PostgreSQL database without tables):
  may become an archive, when the command creates one; a reader finds "no archive";
* an archive (``alembic_version`` at a revision of ours): may be read and written; a reader
  needs it at the latest revision (migrating is ``db upgrade``'s or a writer's work);
* anything else (another program's database, a table of our name without
  ``alembic_version``): refused, unchanged (not even its journal mode).

A SQLite file is looked at through its own read-only connection (:func:`look_at_file`),
and a writer checks its pages first (``PRAGMA quick_check``, once per file and process):
a damaged archive is :class:`storage.unwritable.ArchiveDamaged`, nothing is written to it.
A reader opens the file with ``mode=ro``, or ``immutable=1`` on a read-only file system,
where SQLite cannot create the ``-shm`` file that a WAL database is read through.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.unwritable import ArchiveDamaged

#: Files (device, inode) whose pages this process has checked (a crawl opens its archive
#: several times; its writer process is given the checked archive).
_CHECKED: set[tuple[int, int]] = set()


class Refused(Exception):
    """What the database holds may not be opened as asked; the message names it and says why."""


@dataclass(frozen=True)
class FileLook:
    """A SQLite file as a read-only connection saw it."""

    tables: tuple[str, ...]  # tables and views, SQLite's own left out
    revision: str | None  # alembic_version's, None without one
    immutable: bool  # on a read-only file system: read with immutable=1


def read_only_uri(path: Path, immutable: bool = False) -> str:
    """The ``file:`` URI that opens ``path`` read-only (percent-encoded: any file name)."""
    return path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def on_read_only_fs(path: Path) -> bool:
    """Whether ``path`` lies on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def needs_immutable(path: Path) -> bool:
    """A WAL database is read through its ``-shm`` file, which ``mode=ro`` creates when it is
    missing; a read-only file system cannot take it, and only ``immutable=1`` reads the file.
    Raises :class:`Refused` when changes wait in a ``-wal`` there: ``immutable`` would not read them."""
    if Path(f"{path}-shm").exists() or not on_read_only_fs(path):
        return False
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        raise Refused(
            f"{path} is on a read-only file system with changes in {wal.name} that SQLite reads only through "
            f"a {path.name}-shm file it cannot create there: open it once where it can be written "
            "(or copy the two files there)"
        )
    return True


def connect_read_only(path: Path, immutable: bool, timeout: float) -> sqlite3.Connection:
    """A read-only sqlite3 connection to ``path`` (SQLAlchemy's engines of readers use it too)."""
    return sqlite3.connect(read_only_uri(path, immutable), uri=True, timeout=timeout, check_same_thread=False)


def _schema(conn: sqlite3.Connection) -> tuple[tuple[str, ...], str | None]:
    tables = tuple(
        sorted(
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        )
    )
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return tables, revision


def first_damage(conn: sqlite3.Connection) -> str | None:
    """SQLite's first complaint about the file's pages (``PRAGMA quick_check``), None when it has
    none. The check may itself fail on a damaged page after listing some problems."""
    problems, failed = [], None
    cursor = conn.execute("PRAGMA quick_check")
    try:
        for (row,) in cursor:
            if row != "ok" and not row.startswith("*** in database"):
                problems.append(row)
    except sqlite3.DatabaseError as exc:
        failed = str(exc)
    if not problems:
        return f"SQLite: {failed}" if failed else None
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"PRAGMA quick_check: {problems[0][:120]}{more}"


def look_at_file(path: Path, where: str, *, check_pages: bool, timeout: float) -> FileLook:
    """The tables and revision of the SQLite file at ``path`` (it exists), through a read-only
    connection; with ``check_pages`` its pages are checked first (once per file and process).
    :class:`Refused` for a file that is no SQLite database, :class:`ArchiveDamaged` for a damaged one."""
    immutable = needs_immutable(path)
    info = os.stat(path)
    if not info.st_size:
        return FileLook((), None, immutable)
    try:
        conn = connect_read_only(path, immutable, timeout)
    except sqlite3.Error as exc:
        raise _file_error(exc, where) from None
    try:
        key = (info.st_dev, info.st_ino)
        if check_pages and key not in _CHECKED:
            damage = first_damage(conn)
            if damage:
                raise ArchiveDamaged(where, damage, at_open=True)
            _CHECKED.add(key)
        return FileLook(*_schema(conn), immutable)
    except sqlite3.Error as exc:
        raise _file_error(exc, where) from None
    finally:
        conn.close()


def _file_error(exc: sqlite3.Error, where: str) -> Exception:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_CORRUPT:
        return ArchiveDamaged(where, f"SQLite: {exc}", at_open=True)
    if code == sqlite3.SQLITE_NOTADB:
        return Refused(f"{where} is not an archive (file is not a SQLite database)")
    if code == sqlite3.SQLITE_CANTOPEN:
        return Refused(f"cannot open the archive {where} (unable to open the file: check the path and its permissions)")
    return exc  # the caller's opening_error says what it means


def judge(
    where: str, tables, revision: str | None, known: set[str], head: str | None, *, readonly: bool, create: bool
) -> str | None:
    """Whether a database of ``tables`` at ``revision`` may be opened so: None when it may,
    ``"missing"`` when it holds nothing and may not become an archive; :class:`Refused` otherwise."""
    if revision is None:
        if not tables:
            return None if create and not readonly else "missing"
        listed = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise Refused(
            f"{where} is not an archive: a database of another program (tables {listed}); "
            "nothing was changed (check --db)"
        )
    if revision not in known:
        raise Refused(
            f"{where} is at schema revision {revision!r}, which this version of thepaper-archive does not "
            "know (a newer version wrote it, or it is another program's database); nothing was changed"
        )
    if readonly and revision != head:
        raise Refused(
            f"{where} is at schema revision {revision}, older than this version's {head}: run "
            f"`thepaper-archive db upgrade --db {shlex.quote(where)}` first (reading commands never "
            "change the archive)"
        )
    return None
