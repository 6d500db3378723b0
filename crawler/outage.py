"""When a host that answered stops answering: the rule of the unreachable guard, as a pure tracker.

One :class:`HostWatch` per watched host (the site's, the API's). It is told of every
response and every failed request to its host, with the time and the request's key (its
method, URL and body: the list API's pages share one URL), and says when the run should stop:

* ``unreachable``: ``start_after`` failures of any kind before the host ever answered
  (the site or the network is down from the start);
* ``outage``, after the host answered, either

  - ``outage_after`` *connection* failures without an answer in between (refused, DNS, no
    route: the host is gone; a live server never refuses one page), or
  - the *share* of recent requests that failed: of the last ``window`` requests (one
    entry per request, its latest outcome) made in the last ``window_s`` seconds, at least
    ``min_failures`` failed and they are ``share`` or more of them. This is the rule for a
    host that accepts connections and no longer answers (every request times out): it
    holds however much work is queued, and whatever the pace of the crawl, since the
    window keeps only recent outcomes. The failures must come in more than one wave: a
    request (any attempt) sent after the host's current run of failures began failed too.
    Requests in flight together that time out together are one event (a server stalled
    once, a loaded machine), not yet a host that stopped answering.

Only a request's first attempt can count as a failure in the window: the retries of a few
pages that always hang (which a run leaves to its end) and the failures of earlier runs
retried at its start are not the host going down. Any response, of any status, counts as
an answer and ends a streak of connection failures.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class HostWatch:
    start_after: int = 2
    outage_after: int = 10
    window: int = 20
    window_s: float = 60.0
    share: float = 0.6
    min_failures: int = 3
    answered: bool = False
    failures: int = 0  # attempts failed since the last response (the message)
    connection_failures: int = 0  # of which could not connect at all
    streak_since: float | None = None  # time of the streak's first failure
    second_wave: bool = False  # a request sent after the streak began failed too
    #: request key -> (time, failed), the latest outcome of each of the last ``window``
    #: requests, oldest first
    recent: OrderedDict = field(default_factory=OrderedDict)

    def _note(self, key, now: float, failed: bool) -> None:
        self.recent.pop(key, None)
        self.recent[key] = (now, failed)
        while len(self.recent) > max(1, self.window):
            self.recent.popitem(last=False)

    def response(self, key=None, now: float = 0.0) -> None:
        self.answered = True
        self.failures = self.connection_failures = 0
        self.streak_since = None
        self.second_wave = False
        if key is not None:
            self._note(key, now, False)

    def failure(
        self, now: float, *, connection: bool, key=None, first_attempt: bool = True, sent: float | None = None
    ) -> str | None:
        """Count a failed request (sent at ``sent``: by default ``now``); ``unreachable`` or
        ``outage`` when the run should stop."""
        self.failures += 1
        self.connection_failures += int(connection)
        sent = now if sent is None else sent
        if self.streak_since is None:
            self.streak_since = now
        elif sent > self.streak_since:
            self.second_wave = True
        if not self.answered:
            return "unreachable" if 0 < self.start_after <= self.failures else None
        if 0 < self.outage_after <= self.connection_failures:
            return "outage"
        if key is not None and first_attempt:
            self._note(key, now, True)
        failed, total = self.tally(now)
        if 0 < self.min_failures <= failed and failed >= self.share * total and self.second_wave:
            return "outage"
        return None

    def _in_window(self, now: float) -> list[tuple]:
        return [o for o in self.recent.values() if now - o[0] <= self.window_s]

    def tally(self, now: float) -> tuple[int, int]:
        """(failed, all) of the recent requests in the window."""
        outcomes = self._in_window(now)
        return sum(1 for o in outcomes if o[1]), len(outcomes)

    def describe(self, now: float) -> str:
        """How the host has failed, for the message."""
        failed, total = self.tally(now)
        return (
            f"no answer to {failed} of the last {total} requests ({self.failures} failed in a row in "
            f"{now - (self.streak_since or now):.0f}s, {self.connection_failures} could not connect)"
        )
