"""Run the mock site in the foreground: ``python -m tests.mocksite --port 8765``."""

from __future__ import annotations

import argparse
import sys

from .dataset import generate_dataset
from .server import MockSite


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.mocksite", description="Offline mock of thepaper.cn")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--articles", type=int, default=300, help="size of the generated data set")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    site = MockSite(generate_dataset(args.articles, args.seed), args.host, args.port, verbose=args.verbose)
    site._bind()
    print(f"mock thepaper.cn ({args.articles} articles, seed {args.seed}) at {site.base_url}", flush=True)
    print(f"  e.g. {site.base_url}/channel_119908   (Ctrl-C stops)", flush=True)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
