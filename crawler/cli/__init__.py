"""``thepaper-archive``: the command line, one module per command.

* :mod:`.errors` — exit codes, and the one place that turns expected errors into one line.
* :mod:`.options` — options shared by several commands.
* :mod:`.spider_run` — Scrapy settings from the options, the run lock, summary line, exit code.
* one module per command: :mod:`.crawl`, :mod:`.imports`, :mod:`.reprocess`, :mod:`.clean`,
  :mod:`.mock`, :mod:`.db`, :mod:`.stats`, :mod:`.export`, :mod:`.search`, :mod:`.report`;
  each has ``register(subparsers)`` and the command's function.

The commands may use everything below them: ``crawler``, ``pipelines``, ``storage``,
``domain`` and ``mocksite``.
"""

from __future__ import annotations

import argparse
import sys

from crawler.cli import clean, crawl, db, export, imports, mock, report, reprocess, search, stats
from crawler.cli.errors import run_guarded

#: The commands, in the order ``--help`` lists them.
COMMANDS = (crawl, imports, reprocess, clean, mock, stats, export, search, report, db)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="thepaper-archive",
                                description="Crawl, clean and archive thepaper.cn technology articles.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_guarded(lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
