"""Options and argument types shared by several commands, declared once.

:class:`Parser` reports a usage error on one line (``thepaper-archive crawl: error: ...``,
exit code 2) instead of argparse's usage block; the argument types below refuse what a
command cannot use (negative counts, numbers too large for a database, impossible dates)
with a message that says what was expected.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from crawler import settings as defaults
from crawler.cli.errors import EXIT_USAGE

#: The largest count an option takes: beyond it SQLite's integers and Python's dates overflow.
MAX_COUNT = 1_000_000
#: The longest window of days (``stats --days``, ``report --days``): a century.
MAX_DAYS = 36_500


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``PROG: error: MESSAGE (see PROG --help)``."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        print(f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _whole(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None


def int_range(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(value: str) -> int:
        n = _whole(value)
        if n < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}: {n}")
        if n > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}: {n}")
        return n

    parse.__name__ = "number"
    return parse


positive_int = int_range(1, MAX_COUNT)
non_negative_int = int_range(0, MAX_COUNT)
days = int_range(1, MAX_DAYS)
port = int_range(0, 65535)


def non_negative_float(value: str) -> float:
    """An argparse type: a number of at least 0 (hours, seconds)."""
    try:
        x = float(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 <= x < 1e9:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be a number of at least 0: {value}")
    return x


def positive_float(value: str) -> float:
    x = non_negative_float(value)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {value}")
    return x


def numeric_ids(value: str) -> str:
    """An argparse type: ``119908`` or ``119908,25951`` (channel and column ids), checked."""
    ids = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in ids if not x.isdigit() or not 0 < int(x) < 10**12]
    if bad or not ids:
        raise argparse.ArgumentTypeError(f"not a numeric id: {value!r}")
    return ",".join(ids)


def date_or_time(value: str) -> str:
    """An argparse type: ``YYYY-MM-DD`` or an ISO 8601 datetime (checked, returned as given)."""
    text = value.strip()
    try:
        if len(text) == 10:
            datetime.strptime(text, "%Y-%m-%d")
        else:
            datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD) or ISO 8601 datetime: {value!r}") from None
    return text


def day_of(value: str | None):
    """The day of a ``date_or_time`` option (its first ten characters), or None."""
    from datetime import date

    return date.fromisoformat(value[:10]) if value else None


def window_of(session, args):
    """The analysis window of ``--since``/``--until`` (:func:`storage.stats.resolve_window`: by
    default it ends at the newest article); a window that cannot be is a usage error."""
    from datetime import timezone

    from crawler.cli.errors import UsageError
    from storage.stats import resolve_window

    try:
        return resolve_window(
            session, now=datetime.now(timezone.utc), since=day_of(args.since), until=day_of(args.until)
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def add_window(sp: argparse.ArgumentParser) -> None:
    """``--since``/``--until``: the Asia/Shanghai days an analysis covers, both included."""
    sp.add_argument(
        "--since", type=date_or_time, metavar="YYYY-MM-DD", help="first day (default: the day of the oldest article)"
    )
    sp.add_argument(
        "--until", type=date_or_time, metavar="YYYY-MM-DD", help="last day (default: the day of the newest article)"
    )


def add_format(sp: argparse.ArgumentParser) -> None:
    """``--format table|csv|json`` and ``-o``: how an analysis is written."""
    sp.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="an aligned table (default), CSV with a header row, or one JSON object",
    )
    sp.add_argument("-o", "--output", default="-", help="file, written whole or not at all (default '-': stdout)")


def add_db(sp: argparse.ArgumentParser) -> None:
    """``--db``: the archive."""
    sp.add_argument(
        "--db",
        help="SQLAlchemy URL or SQLite file (default: $THEPAPER_ARCHIVE_DB, the config "
        "file's THEPAPER_DB_URL, or ./data/archive.sqlite3)",
    )


def add_common(sp: argparse.ArgumentParser) -> None:
    """What every command takes: the config file and the debugging switch."""
    sp.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="TOML file of settings (default: $THEPAPER_CONFIG or ./thepaper-archive.toml)",
    )
    sp.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="print the traceback of an unexpected error"
    )


def add_crawl(sp: argparse.ArgumentParser) -> None:
    """What every command that runs the spider takes: the archive, the site, settings, logging."""
    add_db(sp)
    sp.add_argument("--base-url", help="serve both the site and the API from this URL (e.g. the mock)")
    sp.add_argument("--site-url", help=f"base URL of article pages (default {defaults.THEPAPER_SITE_URL})")
    sp.add_argument("--api-url", help=f"base URL of the list API (default {defaults.THEPAPER_API_URL})")
    sp.add_argument(
        "--profile",
        help="settings profile: polite (default), mock, bench (mock is the default for a loopback --base-url)",
    )
    sp.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="any Scrapy setting")
    sp.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="Scrapy's log level (default WARNING: progress, warnings and the summary)",
    )
    sp.add_argument("-v", "--verbose", action="store_true", help="Scrapy's own log too (INFO)")
    sp.add_argument(
        "-q", "--quiet", action="store_true", help="no progress: warnings, errors and the summary line only"
    )


def db_url(args) -> str | None:
    """The archive the command names: ``--db``, else the environment's or the config file's
    ``THEPAPER_DB_URL`` (``THEPAPER_ARCHIVE_DB``), else None (the default archive)."""
    if getattr(args, "db", None):
        return args.db
    from crawler.config import value

    return value("THEPAPER_DB_URL", getattr(args, "config", None)) or None
