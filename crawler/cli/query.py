"""``thepaper-archive query "SQL"``: one SQL statement over the archive, on a read-only connection,
as an aligned table, CSV or JSON (as sqlite-utils' ``query`` does).

The connection cannot write: the archive is opened as every reading command opens it
(:func:`storage.db.open_archive` with ``readonly``: SQLite read-only, PostgreSQL in read-only
transactions); a statement that tries to write fails there, and its message is the one line.
One statement only (SQLite's driver refuses several; for PostgreSQL the statement is prepared:
the extended protocol refuses several too, where the simple one would run them all).
"""

from __future__ import annotations

import sys

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, db_url


def register(sub) -> None:
    sp = sub.add_parser("query", help="run one read-only SQL statement over the archive (table, CSV or JSON)")
    add_db(sp)
    sp.add_argument(
        "sql",
        metavar="SQL",
        help='one statement, e.g. "select node_name, count(*) from articles group by 1" (the connection is read-only)',
    )
    form = sp.add_mutually_exclusive_group()
    form.add_argument("--table", dest="form", action="store_const", const="table", help="an aligned table (default)")
    form.add_argument("--csv", dest="form", action="store_const", const="csv", help="CSV with a header row")
    form.add_argument("--json", dest="form", action="store_const", const="json", help="a JSON list of objects")
    sp.set_defaults(form="table", func=run)


def _cell(value):
    """A value as text or JSON can carry it: bytes as their size, times in ISO 8601."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _driver_error(engine) -> type[BaseException]:
    if engine.dialect.name == "postgresql":
        import psycopg

        return psycopg.Error
    import sqlite3

    return sqlite3.Error


def _execute(conn, sql: str) -> tuple[list[str], list[list]]:
    """The statement's column names and rows. PostgreSQL: prepared (the extended protocol takes
    one statement; the simple one would run ``select 1; delete ...`` whole)."""
    if conn.dialect.name == "postgresql":
        cur = conn.connection.driver_connection.cursor()
        cur.execute(sql, prepare=True)
        headers = [d.name for d in cur.description] if cur.description else []
        return headers, [[_cell(v) for v in row] for row in cur.fetchall()] if headers else []
    result = conn.exec_driver_sql(sql)
    if not result.returns_rows:
        return [], []
    return list(result.keys()), [[_cell(v) for v in row] for row in result]


def statement_error(exc: BaseException) -> UsageError:
    """A database's refusal of a statement as one line (its first line, without SQLAlchemy's links)."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return UsageError(f"the statement failed: {text}")


def run(args) -> int:
    import csv
    import json

    import sqlalchemy as sa

    from storage.db import open_archive
    from storage.stats import table
    from storage.unwritable import ArchiveUnwritable

    sql = args.sql.strip()
    if not sql:
        raise UsageError("empty SQL statement")
    engine, _ = open_archive(db_url(args), readonly=True)
    try:
        with engine.connect() as conn:
            try:
                headers, rows = _execute(conn, sql)
            except ArchiveUnwritable as exc:  # the statement would write
                raise UsageError(f"the statement failed: the connection is read-only ({exc.why})") from None
            except (sa.exc.DBAPIError, sa.exc.StatementError, _driver_error(engine)) as exc:
                raise statement_error(exc) from None
    finally:
        engine.dispose()
    if args.form == "json":
        json.dump([dict(zip(headers, row)) for row in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.form == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
    elif headers:
        sys.stdout.write(table(headers, [["" if v is None else v for v in row] for row in rows]) + "\n")
    print(f"{len(rows)} rows" if headers else "statement run (no rows)", file=sys.stderr)
    return 0
