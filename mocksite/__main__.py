"""Run the mock site in the foreground: ``python -m mocksite --port 8765``.

Faults: ``--faults rules.json`` (a rule list or plan, see :mod:`.faults`) and/or
``--fault-rate 0.2`` (a seeded mix of every fault kind over article, listing
and API requests; ``--fault-times`` failures per key, ``--fault-permanent`` share
of keys that never recover). ``--drift`` serves the article pages as a new front-end
build would (see :mod:`.render_next`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from .dataset import SHANGHAI, day_start, generate_dataset
from .faults import FaultMix, FaultPlan
from .server import MockSite


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mocksite", description="Offline mock of thepaper.cn")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--articles", type=int, default=300, help="size of the generated data set")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--now",
        type=_moment,
        default=None,
        help="the data set's now (ISO date or time, Asia/Shanghai when naive): the newest article "
        "is three hours older (default: the start of today, so a seed gives one data set all day)",
    )
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument("--faults", metavar="FILE.json", help="fault rules or plan (JSON)")
    p.add_argument("--fault-rate", type=float, metavar="R", help="share of keys that get a random fault kind")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault decisions")
    p.add_argument("--fault-times", type=int, default=2, help="with --fault-rate: failures before a key recovers")
    p.add_argument(
        "--fault-permanent", type=float, default=0.25, help="with --fault-rate: share of faulty keys that never recover"
    )
    p.add_argument("--max-delay", type=float, default=30.0, help="bound of every slow/hang fault (seconds)")
    p.add_argument(
        "--drift",
        action="store_true",
        help="serve a new front-end build: new CSS-module hashes, contentDetail.content renamed, "
        "the byline moved below the body",
    )
    return p


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def build_plan(args) -> FaultPlan:
    """The fault plan of the command line: the file's rules first, then the random mix."""
    base = FaultPlan.from_config(args.faults, args.fault_seed, max_delay=args.max_delay)
    entries = list(base.entries)
    if args.fault_rate:
        entries.append(FaultMix(args.fault_rate, times=args.fault_times, permanent=args.fault_permanent))
    return FaultPlan(entries, base.seed, max_delay=base.max_delay)


def main(argv: list[str] | None = None, prog: str = "python -m mocksite") -> int:
    args = build_parser().parse_args(argv)
    try:
        plan = build_plan(args)
    except (OSError, ValueError) as exc:
        print(f"{prog}: error: bad fault configuration: {exc}", file=sys.stderr)
        return 2
    try:
        dataset = generate_dataset(args.articles, args.seed, now=args.now or day_start())
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    site = MockSite(dataset, args.host, args.port, verbose=args.verbose, faults=plan, drift=args.drift)
    try:
        site._bind()
    except OSError as exc:
        why = "the port is in use" if exc.errno == 98 else exc.strerror or str(exc)
        print(f"{prog}: error: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
        return 2
    print(
        f"mock thepaper.cn ({args.articles} articles, seed {args.seed}, now {dataset.now:%Y-%m-%d %H:%M}) "
        f"at {site.base_url}" + (" (drifted front-end build)" if args.drift else ""),
        flush=True,
    )
    if plan.active:
        print(f"  faults: {len(plan.entries)} rule(s), seed {plan.seed}", flush=True)
    print(f"  e.g. {site.base_url}/channel_119908   (Ctrl-C stops)", flush=True)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
