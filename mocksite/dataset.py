"""The mock site's data: a deterministic, lazily generated set of articles.

``generate_dataset(n, seed)`` returns a :class:`Dataset`. Article ``i`` (0 = oldest)
is built only when asked for, from ``(seed, i)``; ids, publication times, kinds,
layouts and columns come from a cheap hash so list paging never builds bodies.

Index space: the first ``n_old`` (12 %) indices are the "old era" (2015-2021,
layouts ``desktop_old`` / ``mobile_2017``, ids from 1.3M, some ``gone_offline``);
the rest are the "modern era" (Next.js pages, ids from 32,000,000), spread over the
:data:`MODERN_SPAN` before ``now``: the newest article is three hours older than
``now`` (default: the start of the current day in Asia/Shanghai, so that one seed gives
the same data set all day; :func:`day_start`). New articles from
:meth:`Dataset.add_articles` continue the modern era, newest at the top.

Conventions (the contract the end-to-end tests compare against):
- ``author``: the reporter name(s) from ``author_raw``; for 澎湃号 posts the
  writer named in ``原创 <writer> <account>`` ("" when only the account shows).
- ``editor``: ``责任编辑：XX`` on news-like pages; on 澎湃号 posts the name of an
  in-body ``编辑|XX`` credit line (those credit lines are ordinary paragraphs).
- ``live``: ``blocks`` are the live messages (one :class:`Paragraph` each).
- video pages have ``contType`` 1, live 8, everything else 0.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

from .build import _robots_bit, build_article
from .catalogue import (  # noqa: F401 - GONE_KINDS, KINDS, NODES, PPH_NODE, TECH_CHANNEL, day_start: importable from here
    _FORCED,
    _KIND_WEIGHTS,
    _MINUTE_MS,
    _MODERN_NODES,
    _NEW_GAP,
    _NEW_ID0,
    _NEWEST_BEFORE_NOW,
    _OLD_ID0,
    _OLD_NODES,
    _OLD_T0,
    _OLD_T1,
    CHANNELS,
    GONE_KINDS,
    KINDS,
    MODERN_SPAN,
    NODES,
    PPH_NODE,
    SHANGHAI,
    TECH_CHANNEL,
    _mix,
    _ms,
    day_start,
)
from .mockarticle import Figure, MockArticle, Paragraph, Plan, tag_id  # noqa: F401 - importable from here


def relative_time(pub_ms: int, now_ms: int) -> str:
    """The list API's ``pubTime``: ``5分钟前``, ``20小时前``, ``3天前`` or a date."""
    minutes = max(0, (now_ms - pub_ms) // _MINUTE_MS)
    if minutes < 60:
        return f"{max(1, minutes)}分钟前"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时前"
    if minutes < 7 * 24 * 60:
        return f"{minutes // (24 * 60)}天前"
    return datetime.fromtimestamp(pub_ms / 1000, SHANGHAI).strftime("%Y-%m-%d")


class Dataset:
    """Lazily built articles plus the mutations the incremental-crawl tests need.

    Thread safe: the server reads while tests call :meth:`add_articles`/:meth:`edit`.
    """

    def __init__(self, n: int = 300, seed: int = 1, *, cache_size: int = 4096, now: datetime | None = None):
        if n < 1:
            raise ValueError("a data set needs at least one article")
        if now is not None and now.tzinfo is None:
            raise ValueError("the data set's now must be an aware datetime")
        self.seed = seed
        #: The data set's "now": its newest article is three hours older.
        self.now = (now or day_start()).astimezone(SHANGHAI)
        self._new_t1 = self.now - _NEWEST_BEFORE_NOW
        self._new_t0 = self._new_t1 - MODERN_SPAN
        if self._new_t0 <= _OLD_T1:
            raise ValueError(
                f"now must be after {(_OLD_T1 + MODERN_SPAN + _NEWEST_BEFORE_NOW):%Y-%m-%d}: "
                "the modern era follows the old one"
            )
        self.nodes = NODES
        self.channels = CHANNELS
        self._n = n
        self._n_old = max(4, n * 12 // 100) if n >= 20 else max(0, min(4, n - len(_FORCED)))
        n_new0 = max(1, n - self._n_old)
        self._old_step = (_ms(_OLD_T1) - _ms(_OLD_T0)) // max(1, self._n_old)
        self._old_gap = max(7, 11_000_000 // max(1, self._n_old))
        self._new_step = max(2_000, (_ms(self._new_t1) - _ms(self._new_t0)) // n_new0)
        self._n_new0 = n_new0
        self._lock = threading.RLock()
        self._cache: OrderedDict[int, MockArticle] = OrderedDict()
        self._cache_size = cache_size
        self._edits: dict[int, dict] = {}
        self._versions: dict[int, int] = {}
        #: a column's or channel's (indices, pub_ms), and a channel's pinned indices, until articles are added
        self._lists: dict[tuple[str, int | None], tuple[list[int], list[int]]] = {}
        self._pinned: dict[int, list[int]] = {}
        self.built = 0  # how many articles were generated (for laziness checks)

    # ------------------------------------------------------------------ plans
    def __len__(self) -> int:
        return self._n

    @property
    def n(self) -> int:
        return self._n

    def plan(self, i: int) -> Plan:
        if not 0 <= i < self._n:
            raise IndexError(i)
        h = _mix(self.seed, i, 1)
        if i < self._n_old:
            pub_ms = _ms(_OLD_T0) + i * self._old_step + h % max(1, self._old_step // 2)
            cont_id = _OLD_ID0 + i * self._old_gap + (h >> 20) % (self._old_gap // 2)
            if i in (2, 3) or (i > 3 and h % 100 < 12):
                kind, layout = "gone_offline", "desktop_old"
            else:
                kind = "news"
                layout = ("desktop_old", "mobile_2017")[i % 2 if i < 2 else (h >> 8) % 2]
            node_id = _OLD_NODES[(h >> 12) % len(_OLD_NODES)]
        else:
            j = i - self._n_old
            # Counted back from the newest, which lies within the hour before the era's end.
            jitter = h % max(1, min(self._new_step // 2, 3_600_000))
            pub_ms = _ms(self._new_t1) - (self._n_new0 - 1 - j) * self._new_step - jitter
            cont_id = _NEW_ID0 + j * _NEW_GAP + (h >> 20) % (_NEW_GAP // 2)
            if j < len(_FORCED):
                kind = _FORCED[j]
            else:
                r, kind = h % 100, "news"
                for k, w in _KIND_WEIGHTS:
                    if r < w:
                        kind = k
                        break
                    r -= w
            layout = "nextjs"
            node_id = PPH_NODE if kind == "pph" else _MODERN_NODES[(h >> 12) % len(_MODERN_NODES)]
        return Plan(i, cont_id, pub_ms, kind, layout, node_id)

    def index_of(self, cont_id: int) -> int | None:
        """The index of ``cont_id``, or None when no article has that id."""
        if cont_id >= _NEW_ID0:
            i = self._n_old + (cont_id - _NEW_ID0) // _NEW_GAP
        elif cont_id >= _OLD_ID0 and self._n_old:
            i = (cont_id - _OLD_ID0) // self._old_gap
            if i >= self._n_old:
                return None
        else:
            return None
        if 0 <= i < self._n and self.plan(i).cont_id == cont_id:
            return i
        return None

    @property
    def now_ms(self) -> int:
        """The mock's virtual clock: three hours after the newest article."""
        return self.plan(self._n - 1).pub_ms + 3 * 3_600_000

    # --------------------------------------------------------------- articles
    def article(self, i: int) -> MockArticle:
        with self._lock:
            art = self._cache.get(i)
            if art is not None:
                self._cache.move_to_end(i)
                return art
        art = self._build(self.plan(i))
        with self._lock:
            self.built += 1
            edit = self._edits.get(art.cont_id)
            if edit:
                art = _apply_edit(art, edit, self._versions[art.cont_id])
            self._cache[i] = art
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return art

    def by_id(self, cont_id: int) -> MockArticle | None:
        i = self.index_of(cont_id)
        return None if i is None else self.article(i)

    def articles(self) -> list[MockArticle]:
        """Every article, oldest first (builds them all: fine for small sets)."""
        return [self.article(i) for i in range(self._n)]

    def version(self, cont_id: int) -> int:
        return self._versions.get(cont_id, 1)

    # -------------------------------------------------------------- mutations
    def add_articles(self, k: int) -> list[MockArticle]:
        """Publish ``k`` new articles (newer than all others, top of the lists)."""
        with self._lock:
            start = self._n
            self._n += k
            self._lists.clear()
            self._pinned.clear()
        return [self.article(i) for i in range(start, start + k)]

    def edit(self, cont_id: int, title: str | None = None, paragraphs: list[str] | None = None) -> MockArticle:
        """Change an article's title and/or body; its page serves the new text from now on."""
        i = self.index_of(cont_id)
        if i is None:
            raise KeyError(cont_id)
        with self._lock:
            e = self._edits.setdefault(cont_id, {})
            if title is not None:
                e["title"] = title
            if paragraphs is not None:
                e["paragraphs"] = list(paragraphs)
            self._versions[cont_id] = self._versions.get(cont_id, 1) + 1
            self._cache.pop(i, None)
        return self.article(i)

    # ------------------------------------------------------------------ lists
    def list_indices(self, *, node_id: int | None = None, channel_id: int | None = None) -> list[int]:
        """Indices (ascending = oldest first) of a column's or channel's articles."""
        return self._list(node_id, channel_id)[0]

    def list_times(self, *, node_id: int | None = None, channel_id: int | None = None) -> list[int]:
        """``pub_ms`` of :meth:`list_indices`, same order (ascending)."""
        return self._list(node_id, channel_id)[1]

    def _list(self, node_id, channel_id) -> tuple[list[int], list[int]]:
        key = ("node", node_id) if node_id is not None else ("channel", channel_id)
        with self._lock:
            cached = self._lists.get(key)
            n = self._n
        if cached is not None:
            return cached
        plans = [self.plan(i) for i in range(n)]
        if node_id is not None:
            plans = [p for p in plans if p.node_id == node_id]
        else:
            plans = [p for p in plans if p.node_id in self.nodes and self.nodes[p.node_id].channel_id == channel_id]
        out = ([p.index for p in plans], [p.pub_ms for p in plans])
        with self._lock:
            if self._n == n:
                self._lists[key] = out
        return out

    def robots_disallowed_ids(self) -> list[int]:
        """Ids of the withdrawn articles robots.txt names (no article is built)."""
        out = []
        for i in range(min(self._n_old, self._n)):
            p = self.plan(i)
            if p.kind == "gone_offline" and _robots_bit(self.seed, i):
                out.append(p.cont_id)
        return out  # old-era only: add_articles never changes it

    def pinned(self, channel_id: int) -> list[int]:
        """Editor-pinned indices of a channel: 2-3 older news articles."""
        with self._lock:
            cached = self._pinned.get(channel_id)
            n = self._n
        if cached is not None:
            return list(cached)
        idx = [i for i in self.list_indices(channel_id=channel_id) if self.plan(i).kind == "news"]
        picks: list[int] = []
        if len(idx) >= 6:
            count = 2 + _mix(self.seed, channel_id, 7) % 2
            picks = [idx[len(idx) * k // 6] for k in (3, 2, 4)[:count]]
        with self._lock:
            if self._n == n:
                self._pinned[channel_id] = picks
        return list(picks)

    # ------------------------------------------------------------------ build
    def _build(self, p: Plan) -> MockArticle:
        return build_article(self.seed, self.nodes, p)


def _apply_edit(art: MockArticle, edit: dict, version: int) -> MockArticle:
    changes: dict = {"version": version}
    if "title" in edit:
        changes["title"] = edit["title"]
    if "paragraphs" in edit:
        paras = [Paragraph(t) for t in edit["paragraphs"]]
        changes["blocks"] = paras
        if art.kind == "live":
            changes["live_times"] = [art.pub_time.strftime("%Y-%m-%d %H:%M")] * len(paras)
    return replace(art, **changes)


def generate_dataset(n: int = 300, seed: int = 1, now: datetime | None = None) -> Dataset:
    """A deterministic data set of ``n`` articles (built lazily) for ``seed`` and ``now``."""
    return Dataset(n, seed, now=now)
