"""When a host that answered stops answering: the rule of the unreachable guard, as a pure tracker.

One :class:`HostWatch` per watched host (the site's, the API's). It is told of every
response and every failed request to its host, with the time, and says when the run
should stop:

* ``unreachable``: ``start_after`` failures of any kind before the host ever answered
  (the site or the network is down from the start);
* ``outage``: after the host answered, ``outage_after`` *connection* failures in a row
  (refused, DNS, no route: the host is gone; a live server never refuses one page), or
  failures of any kind (timeouts, resets) for ``silence_s`` seconds without a single
  response in between (the host accepts connections but no longer answers).

A response, of any status, ends a streak: the host is alive. Time spent without any
request (the breaker's cool-downs) does not count: a streak starts with its first failure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HostWatch:
    start_after: int = 3
    outage_after: int = 10
    silence_s: float = 300.0
    answered: bool = False
    failures: int = 0  # in the current streak (since the last response)
    connection_failures: int = 0  # of which could not connect at all
    streak_since: float | None = None  # time of the streak's first failure

    def response(self) -> None:
        self.answered = True
        self.failures = self.connection_failures = 0
        self.streak_since = None

    def failure(self, now: float, *, connection: bool) -> str | None:
        """Count a failed request; ``unreachable`` or ``outage`` when the run should stop."""
        self.failures += 1
        self.connection_failures += int(connection)
        if self.streak_since is None:
            self.streak_since = now
        if not self.answered:
            return "unreachable" if 0 < self.start_after <= self.failures else None
        if 0 < self.outage_after <= self.connection_failures:
            return "outage"
        if self.silence_s > 0 and self.failures > 1 and now - self.streak_since >= self.silence_s:
            return "outage"
        return None

    def describe(self, now: float) -> str:
        """How long and how often the host has failed, for the message."""
        return (f"no answer to the last {self.failures} requests in {now - (self.streak_since or now):.0f}s "
                f"({self.connection_failures} could not connect)")
