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

import random
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import corpus

SHANGHAI = ZoneInfo("Asia/Shanghai")

KINDS = ("news", "pph", "video", "live", "external", "paywalled", "gone_404", "gone_null", "gone_offline")
GONE_KINDS = ("gone_404", "gone_null", "gone_offline")
LAYOUTS = ("nextjs", "desktop_old", "mobile_2017")

TECH_CHANNEL = 119908
FINANCE_CHANNEL = 25951
PPH_NODE = 36079


@dataclass(frozen=True)
class Node:
    node_id: int
    name: str
    channel_id: int
    channel_name: str
    desc: str = ""


NODES: dict[int, Node] = {
    n.node_id: n
    for n in (
        Node(27234, "科学湃", TECH_CHANNEL, "科技", "科学新闻与科普"),
        Node(119445, "生命科学", TECH_CHANNEL, "科技", "生命科学前沿"),
        Node(119447, "未来2%", TECH_CHANNEL, "科技", "关注改变未来的2%"),
        Node(119448, "科创101", TECH_CHANNEL, "科技", "科创企业观察"),
        Node(119449, "科学城邦", TECH_CHANNEL, "科技", "科学共同体的故事"),
        Node(119446, "元宇宙观察", TECH_CHANNEL, "科技", "元宇宙产业观察"),
        Node(25434, "10%公司", FINANCE_CHANNEL, "财经", "公司新闻与深度"),
        Node(PPH_NODE, "湃客", TECH_CHANNEL, "科技", "澎湃号·湃客"),
    )
}
CHANNELS = {TECH_CHANNEL: "科技", FINANCE_CHANNEL: "财经"}

_NODE_TOPICS = {
    27234: ("quantum", "space", "bio"),
    119445: ("bio",),
    119447: ("ai", "ev"),
    119448: ("chips", "company"),
    119449: ("space", "quantum"),
    119446: ("ai",),
    25434: ("company", "ev", "chips"),
    PPH_NODE: corpus.TOPICS,
}
_MODERN_NODES = (27234, 27234, 119445, 119447, 119447, 119448, 119448, 119449, 25434, 25434)
_OLD_NODES = (27234, 27234, 25434, 25434, 119446)
# Modern-era kind weights (percent); the first len(_FORCED) modern articles take one each.
_KIND_WEIGHTS = (
    ("news", 55),
    ("pph", 20),
    ("video", 6),
    ("live", 4),
    ("external", 4),
    ("paywalled", 5),
    ("gone_404", 3),
    ("gone_null", 3),
)
_FORCED = ("news", "pph", "video", "live", "external", "paywalled", "gone_404", "gone_null")

_OLD_T0 = datetime(2015, 3, 1, 8, 0, tzinfo=SHANGHAI)
_OLD_T1 = datetime(2021, 6, 30, 20, 0, tzinfo=SHANGHAI)
#: How long the modern era lasts, up to three hours before the data set's ``now``.
MODERN_SPAN = timedelta(days=378, hours=12)
_NEWEST_BEFORE_NOW = timedelta(hours=3)


def day_start(moment: datetime | None = None) -> datetime:
    """The start of ``moment``'s day (default: today) in Asia/Shanghai: the default ``now``."""
    moment = (moment or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


_OLD_ID0 = 1_300_000
_NEW_ID0 = 32_000_000
_NEW_GAP = 29
_MINUTE_MS = 60_000


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Figure:
    src: str
    caption: str = ""


def tag_id(tag: str) -> int:
    """Stable id of a tag name."""
    return 20_000 + zlib.crc32(tag.encode("utf-8")) % 7_000_000


@dataclass
class MockArticle:
    cont_id: int
    kind: str
    layout: str
    title: str
    summary: str
    pub_time: datetime
    author_raw: str
    author: str
    author_outlet: str
    editor: str
    source: str
    node_id: int
    node_name: str
    channel_id: int
    channel_name: str
    tags: list[str]
    blocks: list
    external_url: str = ""
    video_url: str = ""
    robots_disallowed: bool = False
    # Rendering details (not part of the extraction contract).
    index: int = 0
    pub_ms: int = 0
    version: int = 1
    pph_account: str = ""
    pic: str = ""
    interaction_num: str = "0"
    praise_times: str = "0"
    build: int = 0
    live_times: list[str] = field(default_factory=list)

    @property
    def tag_ids(self) -> list[int]:
        return [tag_id(t) for t in self.tags]

    @property
    def served_blocks(self) -> list:
        """The blocks the article page actually carries."""
        if self.kind in GONE_KINDS or self.kind == "external":
            return []
        if self.kind == "paywalled":
            return self.blocks[:2]
        return list(self.blocks)

    @property
    def expected_paragraphs(self) -> list[str]:
        out = []
        for b in self.served_blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            elif b.caption:
                out.append(b.caption)
        return out

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.served_blocks if isinstance(b, Figure)]


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: a fast, well-spread deterministic hash."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & 0xFFFFFFFFFFFFFFFF)) + 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


@dataclass(frozen=True)
class Plan:
    """What is known about article ``index`` without building it."""

    index: int
    cont_id: int
    pub_ms: int
    kind: str
    layout: str
    node_id: int


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
        self._lists: dict[tuple, list[int]] = {}
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
        key = ("pinned", channel_id)
        with self._lock:
            cached = self._lists.get(key)
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
                self._lists[key] = picks
        return list(picks)

    # ------------------------------------------------------------------ build
    def _build(self, p: Plan) -> MockArticle:
        rng = random.Random(f"thepaper-mock:{self.seed}:{p.index}")
        node = self.nodes[p.node_id]
        topic = rng.choice(_NODE_TOPICS[p.node_id])
        pub = datetime.fromtimestamp(p.pub_ms // _MINUTE_MS * 60, SHANGHAI)
        year = pub.year
        title = corpus.fill(rng.choice(corpus.TITLES[topic]), rng, topic, year=year)
        if p.index % 3 == 1:  # the site prints both column-prefix forms: 特稿｜… and 数据 | …
            title = title.replace("｜", " | ", 1)
        summary = corpus.fill(rng.choice(corpus.SUMMARIES), rng, topic, year=year)
        author_raw, author, outlet = _byline(rng, p.kind)
        editor = corpus.person_name(rng) if p.kind != "pph" and rng.random() < 0.9 else ""
        account = rng.choice(corpus.PPH_ACCOUNTS) if p.kind == "pph" else ""
        source = "澎湃新闻"
        if p.kind == "pph":
            source = "澎湃新闻·澎湃号·" + ("湃客" if rng.random() < 0.8 else "媒体")
        tags = rng.sample(corpus.TAGS[topic], rng.randint(1, min(3, len(corpus.TAGS[topic]))))
        img_base = f"https://imgpai.thepaper.cn/newpai/image/{p.pub_ms}_{rng.getrandbits(24):06x}"
        blocks: list = []
        live_times: list[str] = []
        if p.kind in ("news", "pph", "paywalled", "video"):
            count = rng.randint(1, 2) if p.kind == "video" else rng.randint(3, 9)
            blocks = [Paragraph(t) for t in corpus.paragraphs(rng, topic, count, year=year)]
            if p.kind != "video":
                for k in range(rng.choice((0, 1, 1, 2))):
                    cap = corpus.fill(rng.choice(corpus.CAPTIONS), rng, topic, year=year) if rng.random() < 0.75 else ""
                    if any(isinstance(x, Figure) and x.caption == cap for x in blocks):
                        cap = ""  # no repeated caption within one article
                    pos = rng.randint(1, len(blocks))
                    blocks.insert(pos, Figure(f"{img_base}_{k}.jpg", cap))
            if p.kind == "pph" and rng.random() < 0.6:
                credit_editor = rng.choice(corpus.PPH_CREDIT_NAMES)
                credits = [
                    Paragraph(f"作者|{rng.choice(corpus.PPH_CREDIT_NAMES)}"),
                    Paragraph(f"编辑|{credit_editor}"),
                    Paragraph(f"出品|{account}"),
                ]
                pos = min(len(blocks), rng.randint(1, 2))
                blocks[pos:pos] = credits
                editor = credit_editor
        elif p.kind == "live":
            picks = sorted(rng.sample(range(len(corpus.LIVE_MESSAGES)), rng.randint(3, len(corpus.LIVE_MESSAGES))))
            for template in (corpus.LIVE_MESSAGES[k] for k in picks):
                t = pub + timedelta(minutes=rng.randint(1, 15) + (len(live_times) * 20))
                live_times.append(t.strftime("%Y-%m-%d %H:%M"))
                msg = corpus.fill(template, rng, topic, year=year)
                blocks.append(Paragraph(msg[msg.index("，") + 1 :]))
        interaction = rng.choice(("0", "3", "75", "412", "1.2万", "2.6万"))
        return MockArticle(
            cont_id=p.cont_id,
            kind=p.kind,
            layout=p.layout,
            title=title,
            summary=summary,
            pub_time=pub,
            author_raw=author_raw,
            author=author,
            author_outlet=outlet or account,  # a 澎湃号 post: its account
            editor=editor if p.kind not in GONE_KINDS + ("external",) else "",
            source=source,
            node_id=node.node_id,
            node_name=node.name,
            channel_id=node.channel_id,
            channel_name=node.channel_name,
            tags=tags,
            blocks=blocks,
            external_url=f"https://www.example-partner.cn/article/{p.cont_id}" if p.kind == "external" else "",
            video_url=(
                f"https://cloudvideo.thepaper.cn/clt/{pub:%Y/%m/%d}/{rng.getrandbits(64):016x}.mp4"
                if p.kind == "video"
                else ""
            ),
            robots_disallowed=p.kind == "gone_offline" and _robots_bit(self.seed, p.index),
            index=p.index,
            pub_ms=p.pub_ms,
            version=1,
            pph_account=account,
            pic=f"{img_base}_cover.jpg",
            interaction_num=interaction,
            praise_times=rng.choice(("0", "12", "521", "1.2万")),
            build=_mix(self.seed, p.cont_id, 5) % 3,
            live_times=live_times,
        )


def _robots_bit(seed: int, index: int) -> bool:
    return index == 2 or _mix(seed, index, 3) % 2 == 0


def _byline(rng: random.Random, kind: str) -> tuple[str, str, str]:
    """(author_raw, author, author_outlet) as shown on the page and as expected."""
    if kind == "pph":
        if rng.random() < 0.3:
            name = corpus.person_name(rng)
            return name, name, ""
        return "", "", ""
    r = rng.random()
    a, b = corpus.person_name(rng), corpus.person_name(rng)
    if r < 0.68:
        return f"澎湃新闻记者 {a}", a, ""
    if r < 0.78:
        return f"澎湃新闻实习生 {a} 记者 {b}", f"{a} {b}", ""
    if r < 0.9:
        outlet = rng.choice(corpus.OUTLETS)
        return f"{a}/@{outlet}", a, outlet
    return "", "", ""


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
