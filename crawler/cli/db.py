"""``thepaper-archive db``: database maintenance (``db upgrade``)."""

from __future__ import annotations

import sys

from crawler.cli.errors import EXIT_OK
from crawler.cli.options import add_db, db_url


def register(sub) -> None:
    sp = sub.add_parser("db", help="database maintenance")
    dsub = sp.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    add_db(up)
    up.set_defaults(func=upgrade)


def upgrade(args) -> int:
    from storage.db import display_url, open_archive, resolve_db_url

    url = resolve_db_url(db_url(args))
    engine, _ = open_archive(url, create=True)  # creates or migrates
    engine.dispose()
    print(f"database {display_url(url)} is at the latest schema", file=sys.stderr)
    return EXIT_OK
