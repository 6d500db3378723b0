"""``thepaper-archive browse``: Datasette over the SQLite archive, on 127.0.0.1, with the metadata
generated from the schema's documentation (:mod:`storage.datasette_meta`: titles, descriptions,
facets, full-text search, the views). Datasette is an optional extra
(``pip install 'thepaper-archive[browse]'``); it reads SQLite only.

Datasette opens the archive immutable (``datasette -i``: read-only, no locks, counts cached;
``--mutable`` follows a crawl writing to it) with the archive's plugin
(:mod:`crawler.datasette_plugins.thepaper_archive`: the search box answers as ``search`` does,
a facet of tags by name). The archive is checked first, so a wrong ``--db`` or a busy ``--port``
is one line; then Datasette runs in a child process until Ctrl-C or SIGTERM, which end it too:
a server stopped on request exits 0."""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.cli.errors import UsageError
from crawler.cli.options import add_db, db_url, port

HOST = "127.0.0.1"
DEFAULT_PORT = 8001


def register(sub) -> None:
    sp = sub.add_parser("browse", help="browse the SQLite archive in Datasette on 127.0.0.1 (the browse extra)")
    add_db(sp)
    sp.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    sp.add_argument(
        "--mutable",
        action="store_true",
        help="open the archive as a file that changes (to follow a crawl writing to it); "
        "by default it is opened immutable: read-only, and a crawl's new articles "
        "show after browse is restarted",
    )
    sp.add_argument(
        "--metadata-only",
        action="store_true",
        help="print the Datasette metadata for this archive and exit (for `datasette -m`)",
    )
    sp.set_defaults(func=run)


def datasette_command(path: Path, metadata: Path, port_: int, mutable: bool = False) -> list[str]:
    """Datasette on the archive: immutable (``-i``: read-only, no locks) unless ``mutable``, with
    the archive's plugin (the search box as ``search`` answers, tags by name)."""
    from crawler import datasette_plugins

    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *([str(path)] if mutable else ["-i", str(path)]),
        "--metadata",
        str(metadata),
        "--plugins-dir",
        str(Path(datasette_plugins.__file__).parent),
        "--host",
        HOST,
        "--port",
        str(port_),
        "--setting",
        "facet_time_limit_ms",
        "1000",
    ]


def check_port(port_: int) -> None:
    """:class:`UsageError` if nothing can listen on ``HOST:port_`` (a busy port), before Datasette
    starts and fails with a page of server logs."""
    import errno
    import socket

    if not port_:
        return
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no obstacle
        try:
            s.bind((HOST, port_))
        except OSError as exc:
            why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
            raise UsageError(f"cannot listen on {HOST}:{port_}: {why}") from None


def run(args) -> int:
    import importlib.util
    import subprocess  # here, not at import: every command imports this module (clean FILE's start)
    import tempfile

    from sqlalchemy.engine import make_url

    from crawler.cli.errors import Terminated

    from storage.datasette_meta import render
    from storage.db import open_archive, resolve_db_url, sqlite_path

    url = resolve_db_url(db_url(args))
    path = sqlite_path(make_url(url))
    if path is None:
        raise UsageError(
            "browse needs a SQLite archive (Datasette reads SQLite only); for PostgreSQL, "
            "export --format parquet or use the database's own tools"
        )
    engine, _ = open_archive(url, readonly=True)  # a missing or broken archive: one line, before Datasette starts
    engine.dispose()
    if args.metadata_only:
        sys.stdout.write(render(path.stem))
        return 0
    if importlib.util.find_spec("datasette") is None:
        raise UsageError(
            "browse needs Datasette, which is not installed here: "
            "pip install 'thepaper-archive[browse]' (or scripts/bootstrap.sh browse)"
        )
    check_port(args.port)
    with tempfile.TemporaryDirectory(prefix="thepaper-browse-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(render(path.stem), encoding="utf-8")
        from datasette.utils import tilde_encode  # how Datasette names the database in its URLs

        print(
            f"Datasette on http://{HOST}:{args.port}/{tilde_encode(path.stem)} (Ctrl-C to stop)"
            if args.port
            else f"Datasette on {HOST}, a free port (Ctrl-C to stop)",
            file=sys.stderr,
        )
        child = subprocess.Popen(datasette_command(path.resolve(), metadata, args.port, args.mutable))
        try:
            return child.wait()
        except (KeyboardInterrupt, Terminated):  # stopped on request (Ctrl-C, kill %1): not an error
            return 0
        finally:
            if child.poll() is None:  # Ctrl-C or SIGTERM reached us: end Datasette too
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
