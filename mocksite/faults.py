"""Which request of the mock gets which fault: seeded rules and random mixes.

A *rule* is ``{"pattern": regex, "kind": ..., "rate": 1.0, "times": N, "delay": s,
"size": bytes, "retry_after": s, "scope": "path", "location": url}``; a *mix* is
``{"mix": 0.2, "kinds": [...], "seed": 3, "pattern": regex, "times": N,
"permanent": share}`` and spreads its kinds over the matching paths.

Decisions (reproducible whatever the thread interleaving or run):
- ``pattern`` is searched in the request target (path plus query). A request's
  *key* is the target, plus the canonical JSON body for POSTs (so each list API
  cursor page is its own key).
- A rule hits a key when ``roll(seed, rule index, key) < rate``; so the set of
  failing paths depends only on (seed, rules), never on request order.
- A hit key fails its first ``times`` requests, then is served normally
  (transient); without ``times`` it fails every time (permanent).
- ``scope: "request"`` rolls again for every request instead (sporadic faults);
  ``times`` then caps how often one key fails.
- A mix hits a key with probability ``mix`` and picks one of its ``kinds`` that
  applies to the path (list API kinds only on the API, HTML kinds only on
  pages); with ``times`` it is transient, except a ``permanent`` share of keys.
- Rules are tried in order; the first one that fires wins.

See :data:`KINDS` for the fault names and :meth:`FaultPlan.expected_outcome`
for what a correct crawler must end up with. A refused connection cannot be a
per-request fault (the listening port is shared): point the client at
:func:`closed_port` instead. Content faults (charset, HTML, ``__NEXT_DATA__``,
list API) leave answers of another type (a 404 page, the WAF page) unchanged.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from .dataset import _mix

ALL = frozenset({"article", "listing", "api", "robots", "other"})
PAGES = frozenset({"article", "listing"})
API = frozenset({"api"})


@dataclass(frozen=True)
class KindInfo:
    """``targets``: path classes the kind applies to; ``benign``: a correct crawler still
    stores the article (it must cope, e.g. decode or fall back to the DOM)."""

    doc: str
    targets: frozenset = ALL
    benign: bool = False


KINDS: dict[str, KindInfo] = {
    "500": KindInfo("HTTP 500 (nginx error page)"),
    "502": KindInfo("HTTP 502"),
    "503": KindInfo("HTTP 503"),
    "504": KindInfo("HTTP 504"),
    "429": KindInfo("HTTP 429 with Retry-After"),
    "waf403": KindInfo("HTTP 403 WAF拦截页面 with Retry-After"),
    "reset_before_response": KindInfo("request read, then RST (SO_LINGER 0), no answer byte"),
    "reset_mid_body": KindInfo("headers and half the body, then RST"),
    "hang_after_headers": KindInfo("headers sent, then silence for `delay` s (bounded), then close"),
    "slow": KindInfo("the normal answer after `delay` s (benign below the client's timeout)", benign=True),
    "truncate": KindInfo("full Content-Length announced, half the body sent, close"),
    "chunked_bad_size": KindInfo("Transfer-Encoding: chunked, second chunk size not hex, close"),
    "chunked_unterminated": KindInfo("chunked body without the final 0-size chunk, close"),
    "gzip_bomb": KindInfo("Content-Encoding: gzip inflating to `size` (200 MB) zero bytes"),
    "oversized": KindInfo("the answer padded to `size` (40 MB), with Content-Length"),
    "oversized_chunked": KindInfo("the answer padded to `size` (40 MB), chunked, no Content-Length"),
    "charset_gbk_as_utf8": KindInfo("GBK bytes, header and meta say utf-8", PAGES, True),
    "charset_utf8_as_gb2312": KindInfo("UTF-8 bytes, header says gb2312", PAGES, True),
    "charset_missing": KindInfo("UTF-8 bytes, no charset in header nor meta", PAGES, True),
    "html_unclosed": KindInfo("optional end tags removed (extractable)", PAGES, True),
    "html_tags_dropped": KindInfo("a third of inline tags deleted (extractable)", PAGES, True),
    "html_body_missing": KindInfo("document ends after </title> (not extractable)", PAGES),
    "nextdata_truncated": KindInfo("__NEXT_DATA__ cut short, DOM intact", PAGES, True),
    "nextdata_not_json": KindInfo("__NEXT_DATA__ not JSON, DOM intact", PAGES, True),
    "nextdata_lone_surrogates": KindInfo("__NEXT_DATA__ with two escapes of half a UTF-16 pair", PAGES, True),
    "copy_lost_bytes_json": KindInfo(
        "a byte lost from a character of __NEXT_DATA__'s article text; the rendered body whole", PAGES, True
    ),
    "copy_lost_bytes_body": KindInfo(
        "a byte lost from a character of the rendered body; __NEXT_DATA__'s copy whole", PAGES, True
    ),
    "api_busy": KindInfo("list API: code 99998 系统繁忙", API),
    "api_missing_fields": KindInfo("list API: data without list/hasNext/startTime", API),
    "api_empty_hasnext": KindInfo("list API: empty list, hasNext true, cursor echoed", API),
    "api_cursor_stuck": KindInfo("list API: items, but the request's startTime echoed back", API),
    "redirect_offsite": KindInfo("302 to http://other.invalid<same target>"),
    "redirect_loop": KindInfo("302 A -> B -> A -> ... (B: the target plus _mockloop=1)"),
}
ALIASES = {"reset": "reset_before_response"}
STATUS_KINDS = ("500", "502", "503", "504", "429", "waf403")

DEFAULT_MIX_PATTERN = r"^/(?:newsDetail_forward_|detail/|channel_|list_|contentapi/)"
_ARTICLE = re.compile(r"^/(?:newsDetail_forward_|detail/)\d+/?(?:\?|$)")
_LISTING = re.compile(r"^/(?:channel_|list_)\d+/?(?:\?|$)")


def path_class(target: str) -> str:
    """``article``, ``listing``, ``api``, ``robots`` or ``other``."""
    if _ARTICLE.match(target):
        return "article"
    if target.startswith("/contentapi/"):
        return "api"
    if _LISTING.match(target):
        return "listing"
    if target.startswith("/robots.txt"):
        return "robots"
    return "other"


def request_key(target: str, body: bytes = b"") -> str:
    """The unit faults are decided for: the target, plus the canonical JSON body of a POST."""
    if not body:
        return target
    try:
        canon = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        canon = f"crc32:{zlib.crc32(body):08x}"
    return f"{target}#{canon}"


def _roll(*parts) -> float:
    """A uniform number in [0, 1) from integers and strings."""
    ints = [p if isinstance(p, int) else zlib.crc32(str(p).encode("utf-8")) for p in parts]
    return (_mix(*ints) % 1_000_000) / 1_000_000


def _canon_kind(kind: str) -> str:
    kind = ALIASES.get(str(kind), str(kind))
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


@dataclass(frozen=True)
class FaultRule:
    pattern: str
    kind: str
    rate: float = 1.0
    times: int | None = None
    delay: float = 2.0
    size: int | None = None
    retry_after: int | None = 1
    scope: str = "path"
    location: str = "http://other.invalid"

    def __post_init__(self):
        object.__setattr__(self, "kind", _canon_kind(self.kind))
        re.compile(self.pattern)
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], not {self.rate}")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 0):
            raise ValueError(f"times must be a non-negative integer, not {self.times!r}")
        if self.scope not in ("path", "request"):
            raise ValueError(f"scope must be 'path' or 'request', not {self.scope!r}")
        if self.delay < 0 or (self.size is not None and self.size < 0):
            raise ValueError("delay and size must not be negative")

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]

    def assign(self, seed: int, index: int, target: str, key: str, cls: str) -> FaultRule | None:
        if cls not in self.info.targets or not re.search(self.pattern, target):
            return None
        if self.scope == "path" and _roll(seed, index, key) >= self.rate:
            return None
        return self


@dataclass(frozen=True)
class FaultMix:
    mix: float
    kinds: tuple = tuple(KINDS)
    seed: int | None = None
    pattern: str = DEFAULT_MIX_PATTERN
    times: int | None = None
    permanent: float = 0.0
    delay: float = 2.0
    size: int | None = None
    retry_after: int | None = 1
    location: str = "http://other.invalid"
    _rules: dict[tuple[str, int | None], FaultRule] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if not 0.0 <= self.mix <= 1.0 or not 0.0 <= self.permanent <= 1.0:
            raise ValueError("mix and permanent must be within [0, 1]")
        kinds = tuple(dict.fromkeys(_canon_kind(k) for k in self.kinds))
        if not kinds:
            raise ValueError("a mix needs at least one kind")
        object.__setattr__(self, "kinds", kinds)
        extra = dict(delay=self.delay, size=self.size, retry_after=self.retry_after, location=self.location)
        rules = {(k, t): FaultRule(self.pattern, k, times=t, **extra) for k in kinds for t in {self.times, None}}
        object.__setattr__(self, "_rules", rules)

    def assign(self, seed: int, index: int, target: str, key: str, cls: str) -> FaultRule | None:
        seed = self.seed if self.seed is not None else seed
        if not re.search(self.pattern, target) or _roll(seed, index, key) >= self.mix:
            return None
        usable = [k for k in self.kinds if cls in KINDS[k].targets]
        if not usable:
            return None
        kind = usable[_mix(seed, index, zlib.crc32(key.encode("utf-8")), 2) % len(usable)]
        times = self.times
        if times is not None and _roll(seed, index, key, 3) < self.permanent:
            times = None
        return self._rules[(kind, times)]


def _entry(spec) -> FaultRule | FaultMix:
    if isinstance(spec, (FaultRule, FaultMix)):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"a fault rule must be an object, not {spec!r}")
    cls = FaultMix if "mix" in spec else FaultRule
    unknown = set(spec) - {f.name for f in fields(cls) if not f.name.startswith("_")}
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)} in fault rule {spec!r}")
    spec = dict(spec)
    if cls is FaultMix and "kinds" in spec:
        spec["kinds"] = tuple(spec["kinds"])
    if cls is FaultRule and "pattern" not in spec:
        spec["pattern"] = "."
    return cls(**spec)


class FaultPlan:
    """The mock's fault rules plus per-key request counters (thread safe).

    ``max_delay`` bounds every ``slow``/``hang_after_headers`` wait, so a test never
    keeps a server thread alive longer than that.
    """

    def __init__(self, rules=(), seed: int = 0, *, max_delay: float = 30.0):
        self.entries = [_entry(r) for r in rules]
        self.seed = seed
        self.max_delay = max_delay
        self._rx = re.compile("|".join(f"(?:{e.pattern})" for e in self.entries)) if self.entries else None
        self._seen: Counter = Counter()
        self._fired: Counter = Counter()
        self.injected: Counter = Counter()  # kind -> how many times it fired
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config=None, seed: int = 0, *, max_delay: float = 30.0) -> FaultPlan:
        """A plan from a FaultPlan, a JSON file path, a list of rules, or a dict:
        ``{"seed": 3, "max_delay": 5, "rules": [...]}``, a single mix or a single rule."""
        if config is None:
            return cls((), seed, max_delay=max_delay)
        if isinstance(config, FaultPlan):
            return config
        if isinstance(config, (str, Path)):
            config = json.loads(Path(config).read_text(encoding="utf-8"))
        if isinstance(config, dict):
            if "rules" in config:
                extra = set(config) - {"rules", "seed", "max_delay"}
                if extra:
                    raise ValueError(f"unknown field(s) {sorted(extra)} in fault plan")
                return cls(config["rules"], config.get("seed", seed), max_delay=config.get("max_delay", max_delay))
            return cls([config], config.get("seed", seed) if "mix" in config else seed, max_delay=max_delay)
        return cls(list(config), seed, max_delay=max_delay)

    @property
    def active(self) -> bool:
        return self._rx is not None

    def _assigned(self, target: str, key: str):
        cls = path_class(target)
        for index, entry in enumerate(self.entries):
            rule = entry.assign(self.seed, index, target, key, cls)
            if rule is not None:
                yield index, rule

    def assigned(self, target: str, body: bytes = b"") -> list[FaultRule]:
        """The rules that hit this request key (in order), without counting a request."""
        return [r for _, r in self._assigned(target, request_key(target, body))]

    def decide(self, target: str, body: bytes = b"") -> FaultRule | None:
        """The fault for this request (counted), or None. One regex search when nothing matches."""
        if self._rx is None or not self._rx.search(target):
            return None
        key = request_key(target, body)
        with self._lock:
            for index, rule in self._assigned(target, key):
                slot = (index, key)
                k = self._seen[slot]
                self._seen[slot] += 1
                if rule.times is not None and self._fired[slot] >= rule.times:
                    continue
                if rule.scope == "request" and _roll(self.seed, index, key, k) >= rule.rate:
                    continue
                self._fired[slot] += 1
                self.injected[rule.kind] += 1
                return rule
        return None

    def expected_outcome(self, target: str, body: bytes = b"") -> str:
        """What a correct crawler ends with for this key, from a fresh plan:

        ``ok`` (no fault, or only benign ones), ``transient`` (fails a bounded number of
        times, then is served: stored after enough retries), ``permanent`` (never served
        intact: recorded as a failure) or ``flaky`` (sporadic, unbounded request-scope
        faults). A benign permanent rule shadows the rules after it.
        """
        transient = False
        for _, rule in self._assigned(target, request_key(target, body)):
            benign = rule.info.benign
            if rule.scope == "request" and rule.rate < 1.0:
                if benign:
                    continue
                if rule.times is None:
                    return "flaky"
                transient = True
            elif rule.times is not None:
                if rule.times and not benign:
                    transient = True
            elif benign:
                break
            else:
                return "permanent"
        return "transient" if transient else "ok"

    def content_seed(self, target: str, body: bytes = b"") -> int:
        """A per-key seed for damage that varies between pages (tag deletion, cut points)."""
        return _mix(self.seed, zlib.crc32(request_key(target, body).encode("utf-8")), 11)

    def reset_counts(self) -> None:
        """Forget how often each key was requested (transient faults fire again)."""
        with self._lock:
            self._seen.clear()
            self._fired.clear()
            self.injected.clear()


FaultInjector = FaultPlan  # the first version's name


def closed_port(host: str = "127.0.0.1") -> int:
    """A loopback port nothing listens on (connecting is refused): bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
