"""Fault injection for the mock server: seeded, per URL pattern.

A rule is ``{"pattern": regex, "kind": ..., "rate": 0.2, "times": N, "delay": 2.0}``:
requests whose path (with query) matches ``pattern`` fail with ``kind`` at the
given ``rate`` (default 1.0), at most ``times`` times per path (default: no
limit). The decision for the k-th request of a path depends only on
(seed, rule, path, k), so it is reproducible whatever the thread interleaving.

Kinds: ``500``, ``503``, ``429`` (with ``Retry-After: 1``), ``waf403`` (the WAF
block page), ``reset`` (connection closed with RST, no answer), ``truncate``
(full ``Content-Length`` announced, half the body sent), ``slow`` (answer
after ``delay`` seconds).
"""

from __future__ import annotations

import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass

from .dataset import _mix

KINDS = ("500", "503", "429", "waf403", "reset", "truncate", "slow")


@dataclass(frozen=True)
class FaultRule:
    pattern: str
    kind: str
    rate: float = 1.0
    times: int | None = None
    delay: float = 2.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        re.compile(self.pattern)


class FaultInjector:
    def __init__(self, rules=(), seed: int = 0):
        self.rules = [r if isinstance(r, FaultRule) else FaultRule(**r) for r in rules]
        self._regex = [re.compile(r.pattern) for r in self.rules]
        self.seed = seed
        self._seen: Counter = Counter()
        self._fired: Counter = Counter()
        self.injected: Counter = Counter()  # kind -> how many times it fired
        self._lock = threading.Lock()

    def decide(self, path: str) -> FaultRule | None:
        """The fault to apply to this request of ``path``, or None."""
        for n, (rule, rx) in enumerate(zip(self.rules, self._regex)):
            if not rx.search(path):
                continue
            with self._lock:
                k = self._seen[(n, path)]
                self._seen[(n, path)] += 1
                if rule.times is not None and self._fired[(n, path)] >= rule.times:
                    continue
                roll = _mix(self.seed, n, zlib.crc32(path.encode("utf-8")), k) % 1_000_000
                if roll < rule.rate * 1_000_000:
                    self._fired[(n, path)] += 1
                    self.injected[rule.kind] += 1
                    return rule
        return None
