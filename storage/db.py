"""Where the archive lives and how to connect to it.

SQLite by default (:data:`DEFAULT_DB_PATH`, WAL journal, 30 s busy timeout,
foreign keys on), PostgreSQL through psycopg 3. :func:`open_archive` opens it in one of three
ways: ``readonly`` (the reading commands: read-only connections, never a migration), to write
an archive that exists (brought to the latest Alembic revision first), or ``create`` (``crawl``,
``import``, ``db upgrade``: a new or empty database becomes an archive); every caller but a
creating one gets :class:`ArchiveMissing` for a path or database that holds none. Before its
first change a writer judges what the database holds and checks a SQLite file's pages
(:mod:`storage.preflight`; docs/archive-file.md).
What can go wrong while opening is one of the :class:`ArchiveError` family, whose
message names the archive (never its password) and says what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.revisions import head_revision, known_revisions  # noqa: F401 - importable from here
from storage.unwritable import ArchiveDamaged, ArchiveUnwritable

#: Environment variable naming the archive (any SQLAlchemy URL or a file path).
DB_ENV = "THEPAPER_ARCHIVE_DB"
#: The default archive: this file, relative to the current working directory.
DEFAULT_DB_PATH = Path("data") / "archive.sqlite3"
#: How long a SQLite connection waits for a lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Page size of new SQLite archives (SQLite's default is 4096). An article row (1-3 KiB) and
#: a raw page row (1-3 KiB) leave much of a 4 KiB page unused; 16 KiB pages hold several
#: (bench/README "storage": 8.0 -> 7.0 KiB of file per article). ``db compact`` converts an
#: older archive.
SQLITE_PAGE_SIZE = 16_384

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held while migrating ("thepaper" in ASCII, truncated).
MIGRATION_LOCK_KEY = 0x7468657061706572


class ArchiveError(Exception):
    """The archive cannot be opened as given: a URL of no known database, a file that is not
    an archive, refused credentials. The message names it (without password)."""


class ArchiveMissing(ArchiveError):
    """No archive at the path or database given (and the caller may not create one)."""


class ArchiveUnavailable(ArchiveError):
    """The database server does not answer (down, unreachable, refusing connections)."""


def display_url(url: str) -> str:
    """The archive as a user names it: a SQLite file's path, else the URL without password."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return url
    path = sqlite_path(parsed)
    if path is not None:
        return str(path)
    if parsed.drivername == "postgresql+psycopg":  # as the user writes it
        parsed = parsed.set(drivername="postgresql")
    return parsed.render_as_string(hide_password=True)


def sqlite_path(parsed) -> Path | None:
    """The file of a SQLite URL (None for other databases, in-memory and ``file:`` URIs)."""
    if parsed.get_backend_name() != "sqlite":
        return None
    db = parsed.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def resolve_db_url(url: str | None = None) -> str:
    """The archive URL: ``url``, else ``$THEPAPER_ARCHIVE_DB``, else ``./data/archive.sqlite3``.

    A bare file path becomes ``sqlite:///<absolute path>``; ``postgresql://``
    becomes ``postgresql+psycopg://``. Nothing is created here. A string that is no
    database URL raises :class:`ArchiveError`.
    """
    url = (url or os.environ.get(DB_ENV) or "").strip() or str(DEFAULT_DB_PATH)
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ArchiveError(
            f"not a database URL: {url!r} (use sqlite:///PATH, postgresql://USER@HOST/DB or a file path)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        url = parsed.render_as_string(hide_password=False)
    return url


def _use_wal(cur) -> None:
    """Switch the file to WAL (a property of the file, kept once set).

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, while another process opens the same new file: retry for
    up to the busy timeout (two runs started together on a new archive hit this).
    """
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
        cur.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE:d}")  # a new file only: a written one keeps its own
        _use_wal(cur)
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


#: :func:`json_text`'s encoder, made once: ``json.dumps(value, ensure_ascii=False)`` builds a new
#: ``JSONEncoder`` on every call (any argument but the defaults does), ~5 µs of a crawl's ~7 JSON
#: values per article; the same encoder's ``encode`` writes the same text (it keeps no state).
_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def json_text(value) -> str:
    """JSON columns as stored: UTF-8 text as it is (no ``\\uXXXX`` escapes, which take
    twice the bytes of a Chinese character), the same JSON for every reader."""
    return _JSON_ENCODE(value)


def json_value(text):
    """A JSON column's value read back: ``json.loads(text)``, with an empty list or object (an
    article's repairs and repair log mostly, its stripped counts and images often: 3 of its 5 JSON
    values in the mock's archive) made without the parser, a new one each time."""
    if text == "[]":
        return []
    if text == "{}":
        return {}
    return json.loads(text)


def _sqlite_read_only_on_connect(dbapi_conn, _record) -> None:
    """A reader's connection changes nothing: no page size, no journal mode, nothing written."""
    dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
    dbapi_conn.execute("PRAGMA query_only = ON")


#: What a reader's PostgreSQL session is: every transaction read-only.
PG_READ_ONLY = "-c default_transaction_read_only=on"


def make_engine(url: str | None = None, *, readonly: bool = False, immutable: bool = False, **kwargs) -> Engine:
    """An engine for the archive at ``url`` (resolved by :func:`resolve_db_url`). Its errors that
    mean the archive cannot be written are raised as :class:`storage.unwritable.ArchiveUnwritable`.

    ``readonly``: the engine of a reading command, which writes nothing, not even a SQLite file's
    journal mode: a SQLite file is opened ``mode=ro`` (``immutable``: ``immutable=1``, for a file on
    a read-only file system, :func:`storage.preflight.needs_immutable`), a PostgreSQL session
    with ``default_transaction_read_only``."""
    from storage.unwritable import install

    url = resolve_db_url(url)
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", json_value)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            connect_args = kwargs.pop("connect_args", {})
            connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
            path = sqlite_path(parsed)
            if readonly and path is not None:
                from storage.preflight import connect_read_only

                engine = sa.create_engine(
                    url, creator=lambda: connect_read_only(path, immutable, connect_args["timeout"]), **kwargs
                )
                sa.event.listen(engine, "connect", _sqlite_read_only_on_connect)
                return install(engine)
            engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
            sa.event.listen(engine, "connect", _sqlite_read_only_on_connect if readonly else _sqlite_on_connect)
            return install(engine)
        kwargs.setdefault("pool_pre_ping", True)
        if readonly and backend == "postgresql":
            connect_args = kwargs.setdefault("connect_args", {})
            given = connect_args.get("options") or parsed.query.get("options")
            connect_args["options"] = f"{given} {PG_READ_ONLY}" if given else PG_READ_ONLY
        return install(sa.create_engine(url, **kwargs))
    except sa.exc.NoSuchModuleError:
        raise ArchiveError(
            f"cannot use {display_url(url)}: unknown database type {backend!r} "
            "(use sqlite:///PATH, postgresql://USER@HOST/DB or a file path)"
        ) from None
    except ImportError as exc:
        raise ArchiveError(
            f"cannot use {display_url(url)}: the driver is not installed ({exc}); reinstall with scripts/bootstrap.sh"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str):
    """An Alembic :class:`~alembic.config.Config` for ``url``, built in code (no alembic.ini)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _lock_for_migration(conn) -> None:
    """Serialise concurrent upgrades: the second waits, then finds the schema current."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))


def upgrade(engine_or_url: Engine | str | None = None, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on an engine or URL.

    Safe when several processes open a new archive at once: the migration runs
    in one transaction under a database lock (SQLite ``BEGIN IMMEDIATE``,
    PostgreSQL advisory lock), so the others wait and then find nothing to do.
    """
    if isinstance(engine_or_url, Engine):
        engine, owned = engine_or_url, False
    else:
        _make_parent(resolve_db_url(engine_or_url))
        engine, owned = make_engine(engine_or_url), True
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return  # without importing Alembic (0.1-0.15 s of every writing command's start)
        from alembic import command

        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.connect() as conn:
            _lock_for_migration(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
    finally:
        if owned:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    with engine.connect() as conn:  # Alembic's version table, read without importing Alembic
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise ArchiveError(f"the archive's alembic_version names several revisions: {', '.join(sorted(found))}")
    return found[0] if found else None


def _make_parent(url: str) -> None:
    path = sqlite_path(make_url(url))
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot create the archive at {path}: {exc.strerror}") from None


def _missing(where: str) -> ArchiveMissing:
    return ArchiveMissing(f"no archive at {where} (crawl or import first, or check --db)")


def opening_error(exc: BaseException, where: str, create: bool = False) -> ArchiveError:
    """What a driver error while opening the archive means, as one of the ArchiveError family."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "FATAL:" in first:  # PostgreSQL: the server's own words
        first = first.split("FATAL:", 1)[1].strip()
    lowered = text.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return ArchiveError(f"{where} is not an archive (file is not a SQLite database)")
    if "unable to open database file" in lowered:
        return ArchiveError(
            f"cannot open the archive {where} (unable to open the file: check the path and its permissions)"
        )
    if (
        "password authentication failed" in lowered
        or "no password supplied" in lowered
        or "authentication failed" in lowered
        or ("role" in lowered and "does not exist" in lowered)
    ):
        return ArchiveError(f"cannot open the archive {where}: {first}")
    if "database" in lowered and "does not exist" in lowered:
        if create:
            return ArchiveError(f"cannot open the archive {where}: {first} (create it first, e.g. with createdb)")
        return _missing(f"{where} ({first})")
    return ArchiveUnavailable(f"the archive database {where} does not answer: {first}")


def open_archive(
    url: str | None = None, *, create: bool = False, readonly: bool = False, check: bool = True
) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for the archive.

    ``readonly`` (the reading commands): read-only connections (:func:`make_engine`), an archive
    at the latest schema or :class:`ArchiveError`. Otherwise the archive is upgraded to the
    latest schema; with ``create`` (``crawl``, ``import``, ``db upgrade``) a missing SQLite file,
    its directories, or the schema of an empty database are created. Without ``create`` a
    database that holds no archive raises :class:`ArchiveMissing` and nothing is created.
    Before anything is written, what the database holds is judged (:mod:`storage.preflight`:
    another program's database is refused), and a SQLite archive's pages are checked
    (``check``; :class:`storage.unwritable.ArchiveDamaged`). Opening errors are
    :class:`ArchiveError` (or :class:`ArchiveUnavailable`)."""
    engine, _ = _open(url, create=create, readonly=readonly, check=check)
    return engine, session_factory(engine)


def upgrade_archive(url: str | None = None) -> tuple[str | None, str | None]:
    """``db upgrade``: create or migrate the archive; its revision before (None: there was no
    archive) and after."""
    engine, before = _open(url, create=True, readonly=False, check=True)
    try:
        return before, current_revision(engine)
    finally:
        engine.dispose()


def _open(url: str | None, *, create: bool, readonly: bool, check: bool) -> tuple[Engine, str | None]:
    """The engine of :func:`open_archive`, and the archive's revision before it was upgraded."""
    from storage.preflight import Refused, judge, look_at_file, on_read_only_fs

    if create and readonly:
        raise ValueError("a reader cannot create an archive")
    url = resolve_db_url(url)
    where = display_url(url)
    path = sqlite_path(make_url(url))
    immutable = False

    def may_open(tables, revision) -> None:
        if (
            judge(where, tables, revision, known_revisions(), head_revision(), readonly=readonly, create=create)
            == "missing"
        ):
            raise _missing(where)

    try:
        if path is not None:
            if path.is_dir():
                raise ArchiveError(f"{where} is a directory, not an archive")
            if not path.exists():
                if not create:
                    raise _missing(where)
                _make_parent(url)
            else:
                if not readonly and on_read_only_fs(path):
                    raise ArchiveUnwritable(
                        f"{where} is on a read-only file system (reading commands read it "
                        "there; writing ones need it writable)"
                    )
                look = look_at_file(
                    path, where, check_pages=check and not readonly, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
                )
                may_open(look.tables, look.revision)
                immutable = look.immutable
    except Refused as exc:
        raise ArchiveError(str(exc)) from None
    except sqlite3.Error as exc:
        raise opening_error(exc, where, create) from None
    engine = make_engine(url, readonly=readonly, immutable=immutable)
    try:
        before = current_revision(engine)
        if path is None:  # PostgreSQL (or a file: URI): judged through the engine
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                tables = sorted(set(inspector.get_table_names()) | set(inspector.get_view_names()))
            may_open(tables, before)
        if not readonly:
            upgrade(engine)
    except Refused as exc:
        engine.dispose()
        raise ArchiveError(str(exc)) from None
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise opening_error(exc, where, create) from None
    except ArchiveDamaged:
        engine.dispose()
        raise
    except ArchiveUnwritable as exc:
        # The engine's error hook (storage.unwritable) speaks of writing; while opening, the
        # driver's error says more precisely what is wrong (a wrong password, a server down...).
        engine.dispose()
        driver_error = exc.__cause__ or exc.__context__
        if driver_error is None:
            raise
        raise opening_error(driver_error, where, create) from None
    except BaseException:
        engine.dispose()
        raise
    return engine, before
