"""Article metadata from the strings a page shows: times, bylines, editors, sources, columns.

Pure functions. Each takes the raw string as the page states it and returns the
normalised value, or an empty value when the string does not carry the field
(a field that is absent stays empty; nothing is guessed from neighbouring text).
"""

from __future__ import annotations

import re
from typing import Any, cast
from datetime import datetime

from cleaning.surnames import SURNAMES
from domain.record import SHANGHAI

# Known channels (nodeInfo.parentId → name). Extend freely.
CHANNELS: dict[int, str] = {
    119908: "科技",
    25951: "财经",
    25950: "时事",
    25952: "思想",
    25953: "生活",
}

# Columns whose channel is known even when nodeInfo carries no parentId.
NODE_CHANNELS: dict[int, int] = {
    27234: 119908,
    119445: 119908,
    119446: 119908,
    119447: 119908,
    119448: 119908,
    119449: 119908,
    25434: 25951,
}

_TIME_RES = (
    re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})[ T\u3000]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})年(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{2})(?::(\d{2}))?"),
    re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)"),
)
_EPOCH_MS = re.compile(r"^\s*(\d{12,13})\s*$")


def parse_time(value: object) -> datetime | None:
    """Aware Asia/Shanghai time from epoch ms (int or digit string; cut to the minute) or a
    ``YYYY-MM-DD HH:MM[:SS]`` / ``YYYY年M月D日 HH:MM`` string found in ``value``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_ms(value)
    text = str(value)
    m = _EPOCH_MS.match(text)
    if m:
        return _from_ms(int(m.group(1)))
    for rx in _TIME_RES:
        m = rx.search(text)
        if m:
            y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
            s = int(m.group(6) or 0)
            try:
                return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)
            except ValueError:
                continue
    return None


def _from_ms(ms: float) -> datetime | None:
    try:
        ms = float(ms)
        if not 9.4e11 < ms < 4.1e12:  # 2000 .. 2099
            return None
        # minute precision, like the pubTime the pages show, so page and list agree
        return datetime.fromtimestamp(ms // 60_000 * 60, SHANGHAI)
    except (ValueError, OverflowError, OSError):
        return None


TIME_LINE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?\s*$")

# Role words in a byline: a token made only of these (optionally after an outlet
# name such as 澎湃新闻) is a role, not a name.
_ROLE = (
    r"(?:首席|资深|特约|见习|驻\S{1,4})?(?:记者|实习生|通讯员|撰稿人?|编译|整理|摄影|"
    r"编辑|作者|主笔|评论员|研究员|视频|图|文)"
)
_ROLE_TOKEN = re.compile(rf"^(?:澎湃新闻|澎湃|The Paper)?(?:{_ROLE})+$")
# An outlet's role word: ``光明日报记者``, ``新华日报·交汇点记者`` (a name never ends in these).
_OUTLET_ROLE = re.compile(r"^\S{1,16}?(?:记者|記者|实习生|實習生|通讯员|通訊員|评论员|評論員|撰稿人|主笔|主筆)$")
_OUTLET_PREFIX = re.compile(r"^(?:澎湃新闻|澎湃)(?=\S)")
_ROLE_SUFFIX = re.compile(rf"/(?:{_ROLE})$")
_OUTLET_ROLE_NAME = re.compile(r"^\S{1,16}?(?:记者|記者|通讯员|通訊員)(?=[\u3400-\u9fff]{2,4}$)")
#: Where the byline says where the reporter wrote from: ``发自北京``, `` 山东冠县报道`` (not names).
_DATELINE = re.compile(r"(?:发自|發自)\S{1,8}$|\s\S{2,6}(?:报道|報道)$")
_NAME_TOKEN = re.compile(r"^[\u3400-\u9fff·A-Za-z][\u3400-\u9fff·A-Za-z .'-]{0,24}$")
_ROLE_LEAD = re.compile(rf"^(?:{_ROLE})+(?=[\u3400-\u9fff]{{2,}}$)")
_COLON = re.compile(r"[：:]")


def parse_author(raw: str | None) -> tuple[str, str]:
    """``(author, outlet)`` from a byline string.

    ``澎湃新闻记者 朱轩`` → (``朱轩``, ""); ``澎湃新闻实习生 王某 记者 李某`` → (``王某 李某``, "");
    ``魏哲哲/@人民日报`` → (``魏哲哲``, ``人民日报``). A ``/整理``-style suffix is a role,
    not part of the name: ``杨卓君/整理`` → ``杨卓君``.
    """
    text = " ".join((raw or "").replace("\u3000", " ").split())
    if not text:
        return "", ""
    outlet = ""
    if "/@" in text or "／@" in text:
        text, outlet = re.split(r"[/／]@", text, maxsplit=1)
        outlet = outlet.strip()
    text = _ROLE_SUFFIX.sub("", _DATELINE.sub("", text.strip()))
    text = _COLON.sub(" ", text)
    names: list[str] = []
    for tok in text.split():
        if _ROLE_TOKEN.match(tok) or _OUTLET_ROLE.match(tok):
            continue
        tok = _OUTLET_PREFIX.sub("", tok)
        m = _ROLE_LEAD.match(tok)
        if m and not names and len(tok) - m.end() <= 4:
            tok = tok[m.end() :]
            if tok[0] not in SURNAMES:  # a role word touching a word, not a name: 记者调查
                break
        m = _OUTLET_ROLE_NAME.match(tok)
        if m and not names:  # 本报记者罗科苏盈: the outlet's reporter touching the name
            tok = tok[m.end() :]
        if _NAME_TOKEN.match(tok):
            names.append(tok)
    return " ".join(names), outlet


_PPH_BYLINE = re.compile(r"^\s*原创\s+(.+?)\s*$")


def parse_pph_byline(line: str | None) -> str:
    """The writer in a 澎湃号 byline ``原创 <writer> <account>``; "" when only the account shows."""
    m = _PPH_BYLINE.match(line or "")
    if not m:
        return ""
    parts = m.group(1).split()
    if len(parts) >= 2:
        return " ".join(parts[:-1])
    return ""


def parse_pph_account(line: str | None) -> str:
    """The account in a 澎湃号 byline ``原创 [<writer>] <account>`` (its last word)."""
    m = _PPH_BYLINE.match(line or "")
    return m.group(1).split()[-1] if m else ""


_EDITOR_RES = (
    re.compile(r"(?:责任编辑|責任編輯)\s*[：:]\s*([^\s，,。;；|｜]{1,20}(?:[、，,][^\s，,。;；|｜]{1,20})*)"),
    re.compile(r"^\s*(?:编辑|編輯)\s*[|｜丨:：]\s*(\S{1,20})\s*$"),
)


def parse_editor(text: str | None) -> str:
    """The editor from ``责任编辑：X`` (anywhere) or a credit line ``编辑|X``."""
    for rx in _EDITOR_RES:
        m = rx.search(text or "")
        if m:
            return m.group(1).strip()
    return ""


_SOURCE = re.compile(r"(?:来源|來源)\s*[：:]\s*(\S+)")


def parse_source(text: str | None) -> str:
    """``澎湃新闻`` from ``来源：澎湃新闻``; "" when the text has no 来源 label."""
    m = _SOURCE.search(text or "")
    return m.group(1).strip() if m else ""


_PAGE_TITLE = re.compile(r"^(?P<name>.+?)_(?P<column>[^_]+)_澎湃新闻-The Paper\s*$")


def split_page_title(title: str | None) -> tuple[str, str]:
    """``(name, column)`` from ``<name>_<column>_澎湃新闻-The Paper``; ``(title, "")`` otherwise."""
    t = (title or "").strip()
    m = _PAGE_TITLE.match(t)
    if m:
        return m.group("name").strip(), m.group("column").strip()
    return t, ""


def channel_for(node_id: int | None, parent_id: int | None = None) -> tuple[int | None, str]:
    """``(channel_id, channel_name)`` from a column's parentId or the known-column table."""
    cid = _as_int(parent_id)
    if cid is None or cid == 0:
        cid = NODE_CHANNELS.get(_as_int(node_id) or -1)
    if cid is None:
        return None, ""
    return cid, CHANNELS.get(cid, "")


#: The ids and codes of the site's JSON are counts from 0; the archive stores them as 64-bit integers.
_INT_LIMIT = 2**63


def _as_int(value: object) -> int | None:
    """An id or a code of the site's JSON (a number or a string of digits), or None: not one, or
    out of the range an id can take (negative, or beyond a 64-bit integer: no column holds it)."""
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            return None
    return value if 0 <= value < _INT_LIMIT else None


as_int = _as_int


def as_epoch_ms(value: object) -> int | None:
    """A time or cursor of the list API in epoch milliseconds (a number, cut to an integer, or a
    string of digits), or None: not one, or out of what a 64-bit column holds (0 to 2^63 - 1)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        ms = int(value.strip()) if isinstance(value, str) else int(cast(Any, value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        return None
    return ms if 0 <= ms < _INT_LIMIT else None


def as_text(value: object) -> str:
    """A text field of the site's JSON: a string as it is, an integer as its digits; anything else
    (a list, an object, true/false, null) is no text, never its Python rendering. Nor is a
    fraction: Python writes ``1e16`` back as ``1e+16`` and ``1.50`` as ``1.5``, characters the
    page did not have."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def as_list(value: object) -> list[Any]:
    """``value`` when the JSON gave a list, else an empty one (a number, a string or an object
    where a list belongs is no list of items)."""
    return value if isinstance(value, list) else []
