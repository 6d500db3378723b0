"""``thepaper-archive mock``: serve the offline mock of thepaper.cn (:mod:`mocksite`)."""

from __future__ import annotations


def register(sub) -> None:
    sp = sub.add_parser("mock", help="serve the offline mock of thepaper.cn")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--articles", type=int, default=300)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--verbose", action="store_true")
    sp.add_argument("--drift", action="store_true",
                    help="serve a new front-end build (new CSS-module hashes, a renamed contentDetail field, "
                         "the byline moved): the layout-drift alarm's test")
    sp.set_defaults(func=run)


def run(args) -> int:
    from mocksite.__main__ import main as mock_main

    argv = ["--port", str(args.port), "--articles", str(args.articles), "--seed", str(args.seed),
            "--host", args.host]
    if args.verbose:
        argv.append("--verbose")
    if args.drift:
        argv.append("--drift")
    return mock_main(argv) or 0
