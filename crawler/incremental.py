"""Incremental crawling: how far to page through a list, and which listed articles to fetch.

Pure functions. The state they work from lives in the database: one cursor per
channel/column (``list_cursors``: the newest publication time seen by the last
run that walked the list to its end) and the stored articles themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from cleaning.jsontext import drop_lone_surrogates
from cleaning.metadata import as_epoch_ms, as_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Known:
    """What the archive already holds for a listed article."""

    title: str
    content_type: str


@dataclass
class ListWalk:
    """The walk of one channel or column list during a run."""

    kind: str  # "channel" | "node"
    source_id: int
    stop_below_ms: int | None  # stop paging once the cursor passes below this (None: walk to the end)
    newest_ms: int = 0  # newest pubTimeLong seen on this walk
    completed: bool = False  # walked to the stop point or to the end without a failed page

    def see(self, item: dict) -> None:
        ms = item_time_ms(item)
        if ms is not None and ms > self.newest_ms:
            self.newest_ms = ms


def stop_below(*, cursor_ms: int | None, overlap_s: float, since_ms: int | None, full: bool) -> int | None:
    """The publication time (ms) under which a run stops paging a list.

    ``--full`` walks everything; ``--since`` walks back to that date whatever the
    cursor says; otherwise a list is walked back to its cursor minus the overlap
    window (late edits of recent articles are seen), or to its end on a first run.
    """
    if full:
        return None
    if since_ms is not None:
        return since_ms
    if cursor_ms is None:
        return None
    return int(cursor_ms - overlap_s * 1000)


def keep_paging(next_start_ms: int | None, stop_ms: int | None) -> bool:
    """Whether the page after this one can still hold articles the run wants."""
    if stop_ms is None:
        return True
    return next_start_ms is not None and next_start_ms >= stop_ms


def item_time_ms(item: dict) -> int | None:
    return as_epoch_ms(item.get("pubTimeLong"))


def _norm_title(value: object) -> str:
    # read as the record reads a listed title (cleaning.listitem): its text, without lone surrogates
    return "".join(drop_lone_surrogates(as_text(value))[0].split())


def needs_fetch(item: dict, known: Known | None, *, refetch: bool = False) -> bool:
    """Fetch a listed article when it is new, or when the list shows it changed.

    A stored article whose title still matches the list is unchanged: a scheduled
    run fetches no page for it. Gone articles are not fetched again.
    """
    if known is None or refetch:
        return True
    if known.content_type == "gone":
        return False
    return _norm_title(item.get("name")) != _norm_title(known.title)


def parse_since(value: str) -> int:
    """``YYYY-MM-DD`` (Beijing time, start of day) or an ISO datetime → epoch ms."""
    value = value.strip()
    try:
        if len(value) == 10:
            dt = datetime.combine(date.fromisoformat(value), time(0, 0), SHANGHAI)
        else:
            dt = datetime.fromisoformat(value)
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=SHANGHAI)
    except ValueError:
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD or an ISO 8601 datetime)") from None
    return int((dt - _EPOCH).total_seconds() * 1000)  # any year, unlike timestamp()


def listed_before(item: dict, since_ms: int | None) -> bool:
    """A listed article published before ``--since``: the list page reaches past the date (a page
    holds 20 articles), the article is not wanted. An item without a time is kept."""
    ms = item_time_ms(item)
    return since_ms is not None and ms is not None and ms < since_ms
