"""Where the archive lives and how to connect to it.

SQLite by default (:data:`DEFAULT_DB_PATH`, WAL journal, 30 s busy timeout,
foreign keys on), PostgreSQL through psycopg 3. :func:`open_archive` brings the
schema to the latest Alembic revision before handing out sessions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

#: Environment variable naming the archive (any SQLAlchemy URL or a file path).
DB_ENV = "THEPAPER_ARCHIVE_DB"
#: The default archive: this file, relative to the current working directory.
DEFAULT_DB_PATH = Path("data") / "archive.sqlite3"
#: How long a SQLite connection waits for a lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held while migrating ("thepaper" in ASCII, truncated).
MIGRATION_LOCK_KEY = 0x7468657061706572


def resolve_db_url(url: str | None = None) -> str:
    """The archive URL: ``url``, else ``$THEPAPER_ARCHIVE_DB``, else ``./data/archive.sqlite3``.

    A bare file path becomes ``sqlite:///<absolute path>``; ``postgresql://``
    becomes ``postgresql+psycopg://``. The parent directory of a SQLite file is created.
    """
    url = (url or os.environ.get(DB_ENV) or "").strip() or str(DEFAULT_DB_PATH)
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
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
        _use_wal(cur)
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def json_text(value) -> str:
    """JSON columns as stored: UTF-8 text as it is (no ``\\uXXXX`` escapes, which take
    twice the bytes of a Chinese character), the same JSON for every reader."""
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for the archive at ``url`` (resolved by :func:`resolve_db_url`)."""
    url = resolve_db_url(url)
    kwargs.setdefault("json_serializer", json_text)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


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


def head_revision() -> str | None:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


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
    from alembic import command

    if isinstance(engine_or_url, Engine):
        engine, owned = engine_or_url, False
    else:
        engine, owned = make_engine(engine_or_url), True
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
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
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_archive(url: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for the archive, upgraded to the latest schema."""
    engine = make_engine(url)
    upgrade(engine)
    return engine, session_factory(engine)
