"""A resolver for the address guard's tests (``-s THEPAPER_RESOLVE=tests.fake_dns.resolve``).

``$THEPAPER_TEST_HOSTS`` maps public-looking names to addresses (``name=address,name=address``),
as an /etc/hosts entry or a DNS record pointing at 127.0.0.1 would; other names resolve as usual.
Every lookup is appended to ``$THEPAPER_TEST_LOOKUPS`` (a file) when that is set.
"""

from __future__ import annotations

import os

from crawler.addresses import system_resolve


def resolve(host: str, port: int) -> list[str]:
    log = os.environ.get("THEPAPER_TEST_LOOKUPS")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{host} {port}\n")
    table = dict(pair.split("=", 1) for pair in os.environ.get("THEPAPER_TEST_HOSTS", "").split(",") if "=" in pair)
    if host in table:
        return table[host].split("|")
    return system_resolve(host, port)
