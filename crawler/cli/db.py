"""``thepaper-archive db``: database maintenance (``db upgrade``)."""

from __future__ import annotations

import sys

from crawler.cli.errors import EXIT_OK
from crawler.cli.options import add_db


def register(sub) -> None:
    sp = sub.add_parser("db", help="database maintenance")
    dsub = sp.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    add_db(up)
    up.set_defaults(func=upgrade)


def upgrade(args) -> int:
    from sqlalchemy.engine import make_url

    from storage.db import resolve_db_url, upgrade as migrate

    url = resolve_db_url(args.db)
    migrate(url)
    print(f"database {make_url(url).render_as_string(hide_password=True)} is at the latest schema",
          file=sys.stderr)
    return EXIT_OK
