"""Options and argument types shared by several commands, declared once."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


def add_db(sp: argparse.ArgumentParser) -> None:
    """``--db``: the archive."""
    sp.add_argument("--db", help="SQLAlchemy URL or SQLite file (default: $THEPAPER_ARCHIVE_DB or "
                                 "./data/archive.sqlite3)")


def add_crawl(sp: argparse.ArgumentParser) -> None:
    """What every command that runs the spider takes: the archive, the site, settings, logging."""
    add_db(sp)
    sp.add_argument("--base-url", help="serve both the site and the API from this URL (e.g. the mock)")
    sp.add_argument("--site-url", help="base URL of article pages (default https://www.thepaper.cn)")
    sp.add_argument("--api-url", help="base URL of the list API (default https://api.thepaper.cn)")
    sp.add_argument("--profile", help="settings profile: polite (default), mock, bench "
                                      "(mock is the default for a loopback --base-url)")
    sp.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="any Scrapy setting")
    sp.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress lines, warnings only")
