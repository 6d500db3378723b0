"""``thepaper-archive mock``: serve the offline mock of thepaper.cn (:mod:`mocksite`)."""

from __future__ import annotations

from crawler.cli.options import date_or_time, port, positive_int


def register(sub) -> None:
    sp = sub.add_parser("mock", help="serve the offline mock of thepaper.cn (Ctrl-C stops it)")
    sp.add_argument("--port", type=port, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--articles", type=positive_int, default=300, help="size of the data set (default 300)")
    sp.add_argument("--seed", type=int, default=1, help="the data set's seed (default 1)")
    sp.add_argument(
        "--now",
        metavar="ISO",
        type=date_or_time,
        help="the data set's now: its newest article is three hours older (default: the start of today, Asia/Shanghai)",
    )
    sp.add_argument("--verbose", action="store_true", help="log every request")
    sp.add_argument(
        "--drift",
        action="store_true",
        help="serve a new front-end build (new CSS-module hashes, a renamed contentDetail field, "
        "the byline moved): the layout-drift alarm's test",
    )
    sp.set_defaults(func=run)


def run(args) -> int:
    from crawler.cli.errors import Terminated
    from mocksite.__main__ import main as mock_main

    argv = ["--port", str(args.port), "--articles", str(args.articles), "--seed", str(args.seed), "--host", args.host]
    if args.now:
        argv += ["--now", args.now]
    if args.verbose:
        argv.append("--verbose")
    if args.drift:
        argv.append("--drift")
    try:
        return mock_main(argv, prog="thepaper-archive mock") or 0
    except (KeyboardInterrupt, Terminated):  # Ctrl-C, `kill %1`: a server stopped on request exits 0, quietly
        return 0
