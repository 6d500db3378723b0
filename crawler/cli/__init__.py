"""``thepaper-archive``: the command line, one module per command.

* :mod:`.errors` — exit codes, and the one place that turns expected errors into one line.
* :mod:`.options` — options and argument types shared by several commands, one-line usage errors.
* :mod:`.output` — files written whole or not at all (exports, reports).
* :mod:`.spider_run` — Scrapy settings from the options, the run lock, summary line, exit code.
* one module per command: :mod:`.crawl`, :mod:`.imports`, :mod:`.reprocess`, :mod:`.clean`,
  :mod:`.mock`, :mod:`.db`, :mod:`.stats`, :mod:`.export`, :mod:`.search`, :mod:`.query`, :mod:`.show`,
  :mod:`.failures`, :mod:`.report`, :mod:`.trends`, :mod:`.keywords`, :mod:`.browse`;
  each has ``register(subparsers)`` and the command's function.

The commands may use everything below them: ``crawler``, ``pipelines``, ``storage``,
``domain`` and ``mocksite``.
"""

from __future__ import annotations

import argparse
import gc
import sys

from crawler.cli import (
    browse,
    clean,
    crawl,
    db,
    export,
    failures,
    imports,
    keywords,
    mock,
    query,
    report,
    reprocess,
    search,
    show,
    stats,
    trends,
)
from crawler.cli.errors import EXIT_OK, install_log_masking, install_sigterm, run_guarded
from crawler.cli.options import Parser, add_common

#: The commands, in the order ``--help`` lists them.
COMMANDS = (
    crawl,
    imports,
    reprocess,
    clean,
    mock,
    stats,
    export,
    search,
    query,
    show,
    failures,
    report,
    trends,
    keywords,
    browse,
    db,
)


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version("thepaper-archive")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``: argparse's own action, with the version read only when it is asked for
    (``importlib.metadata``, with the email and zip modules it imports, cost every other command ~30 ms)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(f"{parser.prog} {version()}\n", sys.stdout)
        parser.exit()


def _leaf_parsers(parser: argparse.ArgumentParser):
    """Every parser that runs a command (``db upgrade`` included)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield parser
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaf_parsers(child)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="thepaper-archive", description="Crawl, clean and archive thepaper.cn technology articles.")
    p.add_argument("--version", action=_VersionAction, help="show program's version number and exit")
    add_common(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    for leaf in _leaf_parsers(p):
        if leaf is not p:
            add_common(leaf)
    return p


def _run(args) -> int:
    from crawler.config import layers

    layers(getattr(args, "config", None))  # a bad setting in the environment or the file: one line, first
    return args.func(args)


def main(argv: list[str] | None = None, *, exiting: bool = False) -> int:
    """Run the command of ``argv``; its exit code. ``exiting``: the process ends when this returns
    (the program's entry points), so that a command which asks for it (``quick_exit``) and
    succeeded has its objects left out of the collector's last passes (:func:`_ending`)."""
    install_sigterm()
    install_log_masking()
    args = build_parser().parse_args(argv)
    code = run_guarded(lambda: _run(args), debug=getattr(args, "debug", False))
    if exiting and code == EXIT_OK and getattr(args, "quick_exit", False):
        _ending()
    return code


def _ending() -> None:
    """The process is about to end: :func:`gc.freeze` what it holds, which the end of the process
    frees anyway, so that the interpreter's shutdown does not walk it (after ``reprocess``, the
    cleaning chain its workers were forked from, the stored records' and SQLAlchemy's objects:
    0.2-0.5 s of the command's wall time, 0.03-0.08 s with it). For commands that close their
    archive connections themselves: what the collector no longer sees it does not close (a
    SQLite connection left open keeps its ``-wal`` file)."""
    gc.freeze()


def program() -> int:
    """The ``thepaper-archive`` program (and ``python -m crawler.cli``): :func:`main`, then the process ends."""
    return main(exiting=True)


if __name__ == "__main__":
    sys.exit(program())
