"""Analysis commands of ``thepaper-archive``: stats, export, search, report."""

from __future__ import annotations


def register(sub, db_opt) -> None:
    """Add the analysis subcommands to the CLI's subparsers (``db_opt(sp)`` adds ``--db``)."""
