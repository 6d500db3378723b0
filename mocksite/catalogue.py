"""The mock site's fixed shape: its channels and columns (nodes) and their topics, the kinds and
layouts of articles and their weights, the two eras and their id spaces (see :mod:`.dataset`);
and the hash that places each article in it."""

from __future__ import annotations

from dataclasses import dataclass
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
