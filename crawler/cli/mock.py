"""``thepaper-archive mock``: serve the offline mock of thepaper.cn (:mod:`mocksite`)."""

from __future__ import annotations


def register(sub) -> None:
    sp = sub.add_parser("mock", help="serve the offline mock of thepaper.cn")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--articles", type=int, default=300)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--verbose", action="store_true")
    sp.set_defaults(func=run)


def run(args) -> int:
    from mocksite.__main__ import main as mock_main

    argv = ["--port", str(args.port), "--articles", str(args.articles), "--seed", str(args.seed),
            "--host", args.host]
    if args.verbose:
        argv.append("--verbose")
    return mock_main(argv) or 0
