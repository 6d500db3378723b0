"""Head fields of a page no layout claims, from the page's own evidence, chosen by agreement.

* time: labelled visible times (``发布时间：…``, ``更新时间 …``, ``发表于 …``), the publication
  meta tags (``article:published_time``, ``publishdate``, ``pubdate``, itemprop/JSON-LD
  ``datePublished``), the first full date-time of the visible text under the title, the date in
  the URL, and htmldate's reading of the page. Each says a day; the day with the most weight wins,
  and of its candidates the most precise (a minute beats a bare day).
* byline: ``作者：X``, ``记者 X``, ``文/X``, ``X/<outlet>``, ``X／台北報導`` lines (:func:`byline_in`); an agency
  alone (新华社, 中新网) is a source, not an author (:func:`settle_byline`).
* title: the page's ``<h1>``, ``og:title``, the ``<title>``'s first part and the title our reading
  by shapes found: a candidate two sources agree on wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from lxml.html import HtmlElement

from cleaning.extract import html as h
from cleaning.extract import headmeta as hm
from cleaning.metadata import parse_author
from cleaning.surnames import SURNAMES
from cleaning.extract.textdump import is_site_name
from cleaning.extract.base import Extracted
from domain.record import SHANGHAI
from cleaning.lazyre import lazy

_DATE = (
    r"((?:19|20)\d\d)\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T\s]?\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?::\d{2})?)?"
)
_DATE_RE = lazy(r"(?<!\d)" + _DATE + r"(?!\d)")
_LABEL = lazy(
    r"(?:发布时间|發佈時間|发表时间|發表時間|更新时间|更新時間|发布日期|發佈日期|发稿时间|"
    r"时间|時間|日期|发表于|發表於|发布于|發佈於|发表|發表|发布|發佈)\s*[:：]?\s*" + _DATE
)
_URL_DATE = lazy(r"/((?:19|20)\d\d)[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?:/|_|\d|\.)")
_META_TIME = (
    "article:published_time",
    "publishdate",
    "PublishDate",
    "pubdate",
    "PubDate",
    "publish_time",
    "og:release_date",
    "datePublished",
    "date",
    "dc.date",
    "DC.date.issued",
    "sailthru.date",
)
HEAD_LINES = 40

# weights of the sources of a time (module doc)
_W_LABEL, _W_META, _W_JSONLD, _W_VISIBLE, _W_URL, _W_DAY, _W_HTMLDATE = 3, 3, 3, 2, 2, 1, 1
_DAY_LINES = 4


def _when(groups: Sequence[str | Any]) -> tuple[datetime, bool] | None:
    """``(time, has_minutes)`` from regex groups (year, month, day[, hour, minute])."""
    y, mo, d = (int(g) for g in groups[:3])
    hh, mm = (groups[3], groups[4]) if len(groups) > 4 else (None, None)
    try:
        if hh is not None and mm is not None:
            return datetime(y, mo, d, int(hh), int(mm), tzinfo=SHANGHAI), True
        return datetime(y, mo, d, tzinfo=SHANGHAI), False
    except ValueError:
        return None


def parse_any_time(text: str) -> tuple[datetime, bool] | None:
    m = _DATE_RE.search(text or "")
    return _when(m.groups()) if m else None


def _jsonld_dates(doc: HtmlElement) -> list[str]:
    return [item["datePublished"] for item in hm.jsonld_items(doc) if isinstance(item.get("datePublished"), str)]


def time_candidates(
    doc: HtmlElement, lines: list[str], *, title: str = "", url: str | None = None, html_text: str = ""
) -> list[tuple[datetime, bool, int]]:
    """Every time the page states, with its weight: ``(time, has_minutes, weight)``."""
    out: list[tuple[datetime, bool, int]] = []

    def add(found: tuple[datetime, bool] | None, weight: int) -> None:
        if found is not None:
            out.append((*found, weight))

    start = lines.index(title) if title in lines else 0
    # a labelled time under the title; else the page's first (a blog's 发表于 under its post)
    for ln in [*lines[start : start + HEAD_LINES], *lines[:start], *lines[start + HEAD_LINES :]]:
        m = _LABEL.search(ln)
        if m:
            add(_when(m.groups()), _W_LABEL)
            break
    for name in _META_TIME:
        el = h.first(doc, f'//meta[@name="{name}" or @property="{name}" or @itemprop="{name}"]')
        if el is not None:
            add(parse_any_time(el.get("content") or ""), _W_META)
            break
    for value in _jsonld_dates(doc)[:1]:
        add(parse_any_time(value), _W_JSONLD)
    for ln in lines[start : start + HEAD_LINES]:
        m = _DATE_RE.search(ln)
        if m and m.group(4) is not None:
            add(_when(m.groups()), _W_VISIBLE)
            break
    # a bare day on a short line right under the title (``2005年08月16日 来源：新华网``)
    for ln in lines[start + 1 : start + 1 + _DAY_LINES]:
        m = _DATE_RE.search(ln)
        if m and len(ln) <= 60:
            add(_when(m.groups()), _W_DAY)
            break
    m = _URL_DATE.search(url or "")
    if m:
        add(_when(m.groups()), _W_URL)
    if html_text and not out:
        add(_htmldate(html_text), _W_HTMLDATE)
    return out


def _htmldate(text: str) -> tuple[datetime, bool] | None:
    from htmldate import find_date

    try:
        found = find_date(text, extensive_search=False, original_date=True, outputformat="%Y-%m-%d %H:%M")
    except Exception:  # noqa: BLE001 - htmldate failing on a page is a page without its reading
        return None
    parsed = parse_any_time(found or "")
    # htmldate writes 00:00 for a day it knows without a time
    return (parsed[0], False) if parsed and (found or "").endswith("00:00") else parsed


def choose_time(cands: list[tuple[datetime, bool, int]]) -> datetime | None:
    """The day with the most weight; of its candidates, one with minutes before a bare day."""
    if not cands:
        return None
    weight: dict[date, int] = {}
    for when, _exact, w in cands:
        weight[when.date()] = weight.get(when.date(), 0) + w
    day = max(weight, key=lambda d: (weight[d], -[c[0].date() for c in cands].index(d)))
    same = [c for c in cands if c[0].date() == day]
    return max(same, key=lambda c: (c[1], c[2]))[0]


# ------------------------------------------------------------------ bylines
_NAME = r"[\u4e00-\u9fff·]{2,5}|[A-Za-z][A-Za-z0-9_.-]{1,24}"
#: Where and how a report was filed, after the names and a slash: 台北報導, 华盛顿4日电, 特稿.
DATELINE = r"(?:[\u4e00-\u9fff]{0,10}(?:报道|報導|報道|特稿)|[\u4e00-\u9fff]{0,8}[0-9０-９]{1,2}日(?:电|電))"
_NAMES = rf"((?:{_NAME})(?:[ 、，,]+(?:{_NAME}))*)"
_SEP = r"\s*[:：/／]\s*|\s+"
_BYLINES = (
    # 记者 X / 作者：X / 撰文 X: the role word, a separator (记者 may touch the name), the names
    lazy(rf"(?:作者|作\s者|撰文|主笔|發佈者|发布者|发帖人|楼主)(?:{_SEP}){_NAMES}"),
    # 记者 may touch the name only when it opens with a surname (a menu's 记者调查 is no byline)
    lazy(rf"(?:记者|記者)(?:(?:{_SEP}){_NAMES}|(?=[{''.join(sorted(SURNAMES))}]){_NAMES})"),
    # 文/X: 文 alone before the slash or colon (not the end of a word: 中文/英文)
    lazy(rf"(?:^|[\s（(【\[])文\s*[/／:：]\s*{_NAMES}"),
    # a forum's 由X于<date>发表
    lazy(rf"由\s*({_NAME})\s*于\s*(?:19|20)\d\d"),
    # a dateline byline alone on its line: 朱真楷／台北報導, 刘屏／华盛顿4日电
    # (opening with a common surname: a breadcrumb 首页／新闻报道 is no byline)
    lazy(rf"^(?=[{''.join(sorted(SURNAMES))}]){_NAMES}\s*[/／╱]\s*{DATELINE}$"),
)
_OUTLET_END = "|".join(("网", "網", "報", "报", "社", "台", "新闻", "新聞", "客户端"))
_SLASH_OUTLET = lazy(rf"^({_NAME})\s*[/／]\s*([\u4e00-\u9fffA-Za-z]{{1,12}}(?:{_OUTLET_END}))$")
#: An outlet or agency name: a byline of only this is the source, not the author.
AGENCY = lazy(
    r"^[\u4e00-\u9fffA-Za-z·]{0,16}(?:通讯社|通訊社|新华社|新華社|社|网|網|日报|日報|晚报|晚報|报|報|"
    r"电视台|電視台|广播电台|台|新闻|新聞|客户端|杂志|雜誌|周刊|週刊|在线|在線)$"
)


_FIELD_WORD = lazy(
    r"^(?:责任编辑|責任編輯|出自|出處|时间|時間|日期|来源|來源|发表|發表|发布|發佈|阅读|閱讀|评论|評論|编辑|編輯|点击|點擊|浏览|瀏覽|字号|字號)"
)
_PROSE_MARK = lazy(r"[。！？；;]")
_DATELINE = lazy(r"(?:发自|發自)[\u4e00-\u9fff]{1,6}(?:报道|報道)?|\s[\u4e00-\u9fff]{2,6}(?:报道|報道)$")


def byline_in(lines: list[str]) -> str:
    """The first byline among ``lines`` (module doc), as the author part the metadata parser
    reads: ``作者：X`` / ``记者 X`` / ``文/X`` -> ``X``; ``X/<outlet>`` -> ``X/@<outlet>``."""
    for ln in lines:
        if len(ln) > 80 or _PROSE_MARK.search(ln) or (len(ln) > 30 and re.search(r"[，,]", ln)):
            continue  # a sentence, not a byline: 记者问他… is prose
        ln = _DATELINE.sub(" ", ln)  # 记者X发自北京: the place is not the name
        m = _SLASH_OUTLET.match(ln.strip())
        if m:
            return f"{m.group(1)}/@{m.group(2)}"
        for rx in _BYLINES:
            m = rx.search(ln)
            if m:
                names = []
                for n in re.split(r"[ 、，,]+", next(g for g in m.groups() if g)):
                    if _FIELD_WORD.match(n):  # ``作者：X 时间：…``: the next field starts
                        break
                    if n and not AGENCY.match(n):
                        names.append(n)
                if names:
                    return " ".join(names)
    return ""


_NAME_BY_TIME = lazy(rf"^({_NAME})\s*{_DATE}")


def name_by_time(lines: list[str]) -> str:
    """A name that opens the time line under the title, with no role word (``谢若含2017-03-01
    14:27``): a Han name only when it opens with a common surname."""
    for ln in lines:
        m = _NAME_BY_TIME.match(ln.strip())
        if m:
            name = m.group(1)
            ok = name[0] in SURNAMES and len(name) <= 4 if _HAN_START.match(name) else True
            return name if ok and not AGENCY.match(name) else ""
    return ""


_HAN_START = lazy(r"[\u4e00-\u9fff]")


def meta_author(doc: HtmlElement) -> str:
    """``<meta name="author">`` when it names a person (not a site, an outlet or a list)."""
    value = hm.meta(doc, "author")
    if not value or len(value) > 24 or re.search(r"[,，;；|.]|www", value) or AGENCY.match(value):
        return ""
    return value if re.fullmatch(rf"(?:{_NAME})(?:[ 、]+(?:{_NAME}))*", value) else ""


def settle_byline(ex: Extracted) -> None:
    """An agency or outlet alone in the byline (新华社, 中新网) is the source, not an author."""
    raw = (ex.author_raw or "").strip()
    if raw and AGENCY.match(raw):
        ex.source = ex.source or raw
        ex.author_raw = ""


# ------------------------------------------------------------------ title
_TITLE_SPLIT = lazy(r"\s*(?:_|\s[-|–—]\s|｜|\||--)\s*")


_SITE_TAIL = lazy(r"^(.+?)\s*[-—_|｜]\s*([^-—_|｜]{1,20})$")
_SPACES = lazy(r"[\s\u3000]+")
_MIN_PRINTED = 6  # shorter lines (menu items, a site's name) say nothing of a headline


def choose_title(doc: HtmlElement, shaped: str, lines: Sequence[str] = ()) -> str:
    """The first of og:title, the single ``<h1>``, the ``<title>``'s first part (its last one
    when the page prints that as a line of its own: ``站名 - 标题``) and ``shaped`` that another
    source agrees with (the same text, or one holding it; a visible line of the page, ``lines``,
    saying it); else ``shaped``."""
    h1s = [t for t in (h.text_of(el) for el in doc.xpath("//body//h1")) if t]
    page = h.text_of(h.first(doc, "//title"))
    parts = [p for p in _TITLE_SPLIT.split(page) if p]
    m = _SITE_TAIL.match(page)
    if m and is_site_name(m.group(2)):  # ``标题-新华网``: the site's name after a bare dash
        parts = [*[p for p in _TITLE_SPLIT.split(m.group(1)) if p][:1], *parts]
    printed = {_SPACES.sub("", ln) for ln in lines if len(ln) >= _MIN_PRINTED}

    def on_page(c: str) -> bool:  # a headline the page prints as a line of its own
        return len(c) >= _MIN_PRINTED and _SPACES.sub("", c) in printed

    # the site's name (the ``<title>``'s last part unless the page prints that part as a line:
    # ``站名 - 标题``; og:site_name) is no article's title, even as the page's one ``<h1>`` (a logo)
    last = parts[-1] if len(parts) > 1 else ""
    printed_last = last if on_page(last) else ""
    site = {"" if printed_last else last, hm.meta(doc, "og:site_name")} - {""}
    cands = [
        c
        for c in (
            hm.meta(doc, "og:title"),
            h1s[0] if len(h1s) == 1 else "",
            parts[0] if parts else "",
            printed_last,
            shaped,
        )
        if c and len(c) <= 120 and c not in site
    ]
    sources = [*cands, page]

    def support(i: int, c: str) -> int:
        held = sum(1 for j, o in enumerate(sources) if j != i and (o == c or (len(c) >= 6 and c in o)))
        return held + on_page(c)

    # the core the most sources hold (``标题`` in ``标题-站名``), the first of equals
    best = max(range(len(cands)), key=lambda i: (support(i, cands[i]), -i), default=None)
    if best is not None and support(best, cands[best]):
        return cands[best]
    return shaped or (cands[0] if cands else "")


_SENTENCE_END = lazy(r"[。！？!?]")
_HEAD_FIELD_LINES = 6


def is_head_field(line: str) -> bool:
    """A head line that is a field, not body: a time line (a date with at most a label, a
    来源 or a byline beside it), a byline, a 来源 line."""
    if len(line) > 60 or _SENTENCE_END.search(line):
        return False
    m = _DATE_RE.search(line)
    if m:
        rest = (line[: m.start()] + line[m.end() :]).strip()
        rest = re.sub(
            r"(?:来源|來源|作者|编辑|編輯|责任编辑|責任編輯|发布时间|更新时间|时间|日期)\s*[:：]\s*\S*", "", rest
        )
        return len(rest.strip()) <= 20
    return (
        bool(re.match(r"^(?:来源|來源)\s*[:：]", line))
        or (len(line) <= 40 and bool(byline_in([line])))
        or (len(line) <= 10 and AGENCY.match(line) is not None)
    )


def strip_head_fields(ex: Extracted) -> None:
    """Time, byline and 来源 lines left at the head of the body: fields, not body (counted)."""
    i = 0
    while i < min(_HEAD_FIELD_LINES, len(ex.paragraphs)):
        if is_head_field(ex.paragraphs[i]):
            ex.paragraphs.pop(i)
            ex.count("byline")
        elif len(ex.paragraphs[i]) >= 40:
            break
        else:
            i += 1


def page_names(doc: HtmlElement) -> str:
    """The page's own name strings (``<title>``, og:site_name): a line saying them is the site's
    name, not a source."""
    return h.text_of(h.first(doc, "//title")) + " " + hm.meta(doc, "og:site_name")


def apply_evidence(ex: Extracted, doc: HtmlElement, lines: list[str], html_text: str, url: str | None = None) -> None:
    """Fill ``ex``'s title, time and byline from the page's evidence (module doc)."""
    ex.title = choose_title(doc, ex.title, lines)
    cands = time_candidates(doc, lines, title=ex.title, url=url, html_text=html_text)
    if ex.published_at is not None:
        cands.append((ex.published_at, True, _W_VISIBLE))
    ex.published_at = choose_time(cands)
    start = lines.index(ex.title) if ex.title in lines else 0
    if not parse_author(ex.author_raw)[0]:  # no byline, or one that names nobody
        ex.author_raw = (
            byline_in(lines[start : start + HEAD_LINES])
            or name_by_time(lines[start + 1 : start + 1 + _DAY_LINES])
            or meta_author(doc)
            or byline_in(lines)
        )
    settle_byline(ex)
    if not ex.source:  # an agency alone on a line under the title: 新华社
        ex.source = next(
            (
                ln
                for ln in lines[start + 1 : start + _HEAD_FIELD_LINES + 1]
                if len(ln) <= 10 and AGENCY.match(ln) and ln not in page_names(doc)
            ),
            "",
        )
