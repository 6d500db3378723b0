"""Boilerplate, widgets, notices and SEO spam: recognised by shape, stripped and counted.

All line patterns live in :data:`RULES`, one ``(kind, regex, scope)`` row each:

* scope ``"any"``: a paragraph that is wholly this is stripped wherever it stands
  (licence numbers, copyright lines, disclaimers, reprint notices);
* scope ``"edge"``: weak shapes (``+1``, ``收藏``, a bare number, ``直击现场 >``) that are
  chrome only in the leading or trailing run of the text, never in the middle of it.

Patterns accept the Traditional and mirror-damaged forms too (``滬ICP備``, ``? 2014-2026``)
so stripping works before or after text repair. SEO spam headers (``|``-separated keyword
lines, repeated unrelated headlines glued onto the first paragraph) are found by shape in
:func:`strip_head_spam`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from cleaning.lazyre import LazyPattern, lazy

_T = lazy  # shorthand for the table: a rule is compiled when a paragraph first matches its union

_SEP_CHARS = "|｜丨"
_SEP = f"[{_SEP_CHARS}]"
_SEP_RE = lazy(_SEP)
_SENTENCE_PUNCT = lazy(r"[，。！？；、,.!?;：:“”\"（）()《》]")

RULES: list[tuple[str, LazyPattern, str]] = [
    # Licence and registration notices (any ICP number, 公网安备, licence numbers, copyright).
    ("licence", _T(r"^.{0,40}ICP\s*[备備证證案][^，。]{0,6}\d[\w-]*号?(?:\s*[-|｜]\s*.{0,40})?$", re.I), "any"),
    ("licence", _T(r"^.{0,12}公[网網]安[备備][^，。]{0,6}\d{6,}号?.{0,20}$"), "any"),
    (
        "licence",
        _T(
            r"^.{0,30}(?:许可证|許可證|经营许可|經營許可|备案号|備案號)(?:编号|編號)?\s*[:：]?\s*[A-Za-z\u4e00-\u9fff]{0,3}[A-Z0-9]*\d[\w-]{3,}号?\s*$"
        ),
        "any",
    ),
    (
        "licence",
        _T(
            r"^(?:©|\?|�|\(c\)|（c）|copyright|版权所有|版權所有)\s*(?:©\s*)?(?:\d{4}\s*(?:[-~–—至]\s*\d{4})?)\s*.{0,60}$",
            re.I,
        ),
        "any",
    ),
    (
        "licence",
        _T(r"^(?:copyright\s*)?©.{0,60}(?:all rights reserved|版权所有|版權所有|有限公司).{0,20}$", re.I),
        "any",
    ),
    # Disclaimers and reprint notices.
    ("disclaimer", _T(r"^本文[为為].{0,30}(?:观点|觀點).{0,200}$"), "any"),
    (
        "disclaimer",
        _T(r"^.{0,30}(?:未经授权不得转载|未經授權不得轉載|未经许可不得转载|未經許可不得轉載).{0,40}$"),
        "any",
    ),
    ("disclaimer", _T(r"^(?:新闻报料|新聞報料)\s*[:：].{0,40}$"), "any"),
    ("disclaimer", _T(r"^(?:申请澎湃号|申請澎湃號).{0,60}$"), "any"),
    (
        "widget",
        _T(
            r"^(?:扫码|掃碼|扫一扫|掃一掃|扫描二维码|掃描二維碼)"
            r"(?:下载|下載|关注|關注|打开|打開|阅读|閱讀|在手机|在手機).{0,16}$"
        ),
        "any",
    ),
    # An app promotion closing an article: ``本文来自<outlet>，更多原创资讯请下载“<outlet>”APP``.
    (
        "app_promo",
        _T(
            r"^[（(]?本文来自.{1,20}[，,]\s*更多.{0,12}(?:请|請)(?:下载|下載)\s*[“\"「]?.{1,20}[”\"」]?\s*(?:APP|App|app|客户端|客戶端)[。.]?[）)]?$"
        ),
        "any",
    ),
    (
        "app_promo",
        _T(r"^.{0,12}(?:下载|下載).{1,20}(?:APP|App|app|客户端|客戶端).{0,6}(?:阅读|閱讀|查看)(?:更多|全文).{0,12}$"),
        "edge",
    ),
    # Reprint and copyright notices of a site, numbered points of its disclaimer.
    (
        "disclaimer",
        _T(
            r"^.{0,20}(?:版权与免责声明|版權與免責聲明|免责声明|免責聲明|版权声明|版權聲明|反侵权公告|反侵權公告)\s*[:：].{0,300}$"
        ),
        "any",
    ),
    ("disclaimer", _T(r"^[①②③④⑤⑥\d、.\s]*凡(?:本网|本網|本站|本报|本報)注明.{0,300}$"), "any"),
    # A "related" headline with its date: ``·<headline>（2005-04-03 17:19）``.
    ("related", _T(r"^[·•]\s*.{4,80}[（(]\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}.{0,14}[)）]?$"), "any"),
    # A pager.
    (
        "pager",
        _T(
            r"^(?:第\s*\d+\s*页\s*/?\s*共\s*\d+\s*页|[<《«]*\s*上一页\s*[|｜]?\s*下一页\s*[>》»]*|"
            r"(?:上一页|下一页|上一篇|下一篇)\s*[:：].{0,60})$"
        ),
        "edge",
    ),
    # Page chrome and widgets (only at the edges of the text).
    # The praise widget; its bullet may have become "?" in a GBK mirror (• is not in GBK).
    ("widget", _T(r"^[-–•·*+?\s]*\+\s*1$"), "edge"),
    (
        "widget",
        _T(
            r"^(?:澎湃Logo|字号|字號|收藏|已收藏|取消收藏|我要(?:举报|舉報)|举报|舉報|查看更多|更多|加载更多|"
            r"下载客户端|下載客戶端|下载APP|下載APP|下载澎湃APP|登录|登錄|注册|註冊|注册\s*/\s*登录|分享|分享到|"
            r"点赞|點讚|评论|評論|写评论|發表評論|暂无评论|暫無評論|热门评论|熱門評論|相关推荐|相關推薦|"
            r"热门推荐|熱門推薦|相关阅读|相關閱讀|推荐阅读|推薦閱讀|点击查看全文|點擊查看全文|返回顶部|返回首页|"
            r"订阅后阅读全文|立即订阅|关注|關注|原创|原創)"
            r"\s*(?:[（(]\d+[)）])?$"
        ),
        "edge",
    ),
    ("widget", _T(r"^打开澎湃新闻(?:APP|客户端).{0,12}$|^打開澎湃新聞.{0,14}$"), "edge"),
    ("widget", _T(r"^(?:关键词|關鍵詞)\s*>>.*$"), "edge"),
    ("breadcrumb", _T(r"^(?:首页|首頁|澎湃新闻|澎湃新聞)(?:\s*[>›»/|]\s*[^\s>›»/|，。]{1,12}){1,4}\s*$"), "edge"),
    ("breadcrumb", _T(r"^(?:首页|首頁)(?:\s+[^\s，。]{1,8}){0,3}\s+正文$"), "edge"),
    ("column_link", _T(r"^[^\s，。！？>›»]{1,12}\s*[>›»]$"), "edge"),
    ("counter", _T(r"^\d+(?:\.\d+)?\s*[万萬wWkK]?\+?$"), "edge"),
    ("byline", _T(r"^\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?$"), "edge"),
    ("byline", _T(r"^(?:来源|來源)\s*[:：]\s*\S{1,30}$"), "edge"),
    (
        "byline",
        _T(
            r"^(?:澎湃新闻|澎湃新聞)?(?:首席|资深|特约|見習|见习)?(?:记者|記者|实习生|實習生|通讯员|通訊員)\s*"
            r"[\u4e00-\u9fff·]{2,5}(?:\s+(?:(?:记者|記者|实习生|實習生)\s*)?[\u4e00-\u9fff·]{2,5}){0,4}$"
        ),
        "edge",
    ),
    ("byline", _T(r"^(?:原创|原創)\s+\S{1,16}(?:\s+\S{1,16})?$"), "edge"),
    ("editor", _T(r"^(?:责任编辑|責任編輯)\s*[:：]\s*\S{1,20}$"), "edge"),
    # A column name with the page's counters (``科学湃正文 15 0``, ``湃客 1.2万 36``).
    ("counter", _T(r"^[^\s，。！？]{1,12}?(?:正文)?(?:\s+\d+(?:\.\d+)?[万萬wWkK]?\+?){1,3}$"), "edge"),
    ("licence", _T(r"^[\u4e00-\u9fff]{2,20}(?:有限公司|有限責任公司|有限责任公司)$"), "edge"),
]

# Pinyin annotations a mirror inserts (``產(chǎn)``): ignored when matching, so the rules
# also recognise not-yet-repaired lines. The text itself is left alone.
_PINYIN = lazy(r"\((?:[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*|[a-zü]{2,12})\)")

_ANY = [(k, rx) for k, rx, scope in RULES if scope == "any"]
_ALL = [(k, rx) for k, rx, _scope in RULES]


def _one_of(rules: list[tuple[str, LazyPattern]]) -> LazyPattern:
    """One regex that matches where any of ``rules`` matches (each with its own flags): most
    paragraphs match none, and are told so by one scan instead of one per rule. A rule's flags
    are those it was given: a global flag of its own, ``(?i)``, would be an error inside the
    union's group (Python 3.11), so there is none."""
    return lazy("|".join(f"(?i:{rx.pattern})" if rx.given_flags & re.I else f"(?:{rx.pattern})" for _, rx in rules))


def _windowed(rx: LazyPattern) -> bool:
    """A rule whose words may start anywhere in the paragraph's head (``^.{0,40}ICP…``)."""
    return rx.pattern.startswith("^.{0,")


#: Where a windowed rule's words start, each of them: ``ICP`` (any case, as ``re.I`` reads it:
#: ``İ`` and ``ı`` too) from 40 characters in at most, the others from 30, so each lies in the
#: paragraph's first :data:`_HEAD` characters. A superset: the first characters and the next
#: two (one for 下载) of every word of those rules.
_WINDOWED_WORDS = lazy(
    "[Iiİı公许許经經备備未版免反下](?:[Cc][Pp]|[网網]安|可[证證]|营许|營許|案[号號]|[经經][授许許]"
    "|[权權][与與声聲]|[责責][声聲]|侵[权權]|[载載])"
)
_HEAD = 43

#: The ends of the edge rules that try their tail at each of a run's positions (a column link
#: ``…>``, a column's counters ``… 15 0``, a company name ``…有限公司``): each can end only in
#: one of :data:`_TAILED_END`'s characters (before ``$``, which a final line break also ends).
_TAILED_ENDS = ("[>›»]$", "[万萬wWkK]?\\+?){1,3}$", "(?:有限公司|有限責任公司|有限责任公司)$")
_TAILED_END = lazy(r"[\d万萬wWkK+>›»司]$")


def _tailed(rx: LazyPattern) -> bool:
    return rx.pattern.endswith(_TAILED_ENDS)


def _unions() -> dict[tuple[bool, bool, bool], LazyPattern]:
    """``(edge, windowed, tailed)`` -> the union of the scope's rules, the windowed ones only when
    ``windowed`` and the tailed ones only when ``tailed``: where :data:`_WINDOWED_WORDS` (or
    :data:`_TAILED_END`) finds nothing none of those rules can match, and the rest's union
    matches where the whole one does. sre tries a windowed or tailed rule at each of the head's
    positions (most of a union's cost), the others fail at their first characters."""
    out: dict[tuple[bool, bool, bool], LazyPattern] = {}
    made: dict[tuple[str, ...], LazyPattern] = {}
    for edge, windowed, tailed in itertools.product((True, False), repeat=3):
        rules = [
            (k, rx)
            for k, rx in (_ALL if edge else _ANY)
            if (windowed or not _windowed(rx)) and (tailed or not _tailed(rx))
        ]
        key = tuple(rx.pattern for _, rx in rules)
        out[edge, windowed, tailed] = made.get(key) or made.setdefault(key, _one_of(rules))
    return out


_UNIONS = _unions()


def classify(paragraph: str, *, edge: bool = True) -> str | None:
    """The boilerplate kind of a whole paragraph, or None for article text.
    With ``edge=False`` only the rules valid in the middle of a text apply."""
    p = _PINYIN.sub("", paragraph.strip()) if "(" in paragraph else paragraph.strip()
    if not p or len(p) > 260:
        return None
    windowed = _WINDOWED_WORDS.search(p, 0, _HEAD) is not None
    tailed = edge and _TAILED_END.search(p, max(len(p) - 2, 0)) is not None
    if _UNIONS[edge, windowed, tailed].match(p):
        for kind, rx in _ALL if edge else _ANY:
            if rx.match(p):
                return kind
    if edge and is_nav_line(p):
        return "widget"
    if edge and is_joined_widgets(p):
        return "widget"
    if edge and is_dateline(p):
        return "dateline"
    return None


def is_joined_widgets(line: str) -> bool:
    """Widgets whose texts a page joined into one line (``+1 字号``, ``收藏 分享 +1``): every
    space-separated piece is a widget or a counter on its own."""
    pieces = line.split()
    if len(pieces) < 2 or len(pieces) > 8:
        return False
    return all(classify(x, edge=True) in ("widget", "counter") or x in ("+1", "-", "•", "·") for x in pieces)


_DATELINE = lazy(r"^([\u4e00-\u9fff]{2,6}?)(?:[讯訊电電]|报道|報道|消息)?$")


def is_dateline(line: str) -> bool:
    """A bare dateline before the body: a place name alone (``上海``, ``北京讯``), as jieba's
    dictionary tags place names."""
    m = _DATELINE.match(line.strip())
    if not m:
        return False
    from cleaning.repair.wordmodel import is_place

    return is_place(m.group(1))


_NAV_ITEMS = lazy(rf"\s*{_SEP}\s*|\s+")


def is_nav_line(line: str) -> bool:
    """A navigation bar flattened to one line: many 1-6 character items, no prose."""
    if _SENTENCE_PUNCT.search(line):  # prose: told first, by one scan
        return False
    items = _NAV_ITEMS.split(line.strip())
    return len(items) >= 5 and all(1 <= len(i) <= 6 for i in items)


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\w]", "", text.lower())
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def is_keyword_spam(line: str) -> bool:
    """A ``|``-separated keyword line: many short segments, no sentence punctuation,
    and the segments repeat each other's words (keyword stuffing)."""
    if sum(map(line.count, _SEP_CHARS)) < 3:  # at most three segments
        return False
    segs = [s.strip() for s in _SEP_RE.split(line) if s.strip()]
    if len(segs) < 4:
        return False
    if _SENTENCE_PUNCT.search(line) or sum(map(len, segs)) / len(segs) > 20:
        return False
    grams = [_bigrams(s) for s in segs]
    shared = 0
    for i, g in enumerate(grams):
        others = set().union(*(grams[:i] + grams[i + 1 :]))
        if g & others:
            shared += 1
    return shared / len(segs) >= 0.5 or len(segs) >= 8


def belongs_to(title: str, body: str, *, threshold: float = 0.2) -> bool:
    """Whether ``title`` plausibly heads ``body``: share of the title's character bigrams
    found in the body (Latin/CJK alike). Short bodies give the benefit of the doubt."""
    tg = _bigrams(title)
    if not tg or len(body) < 120:
        return True
    bg = _bigrams(body)
    return len(tg & bg) / len(tg) >= threshold


#: A heading that opens a page's tail section (related lists, comments, the site's notices):
#: in the second half of the body, it and everything after it are chrome.
TAIL_SECTION = _T(
    r"^[【\[〖]?\s*(?:相关阅读|相關閱讀|相关新闻|相關新聞|相关链接|相關鏈接|相关文章|相關文章|延伸阅读|延伸閱讀|"
    r"热点推荐|熱點推薦|推荐阅读|推薦閱讀|网友评论|網友評論|发表评论|發表評論|我要评论|我要評論|"
    r"更多精彩|猜你喜欢|猜你喜歡|热门文章|熱門文章|版权与免责声明|版權與免責聲明|反侵权公告|反侵權公告)"
    r"\s*[】\]〗]?\s*[:：>»]*\s*(?:\S{0,10})$"
)


def tail_section_start(paras: list[str]) -> int | None:
    """Where the page's tail section starts (:data:`TAIL_SECTION`), or None."""
    for i in range(len(paras) // 2, len(paras)):
        if TAIL_SECTION.match(paras[i].strip()):
            return i
    return None


@dataclass
class StripResult:
    paragraphs: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)

    def add(self, kind: str, text: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.removed.append((kind, text))


def _repeat_prefix(p: str) -> tuple[str, int]:
    """``(unit, k)`` when ``p`` starts with the same 6-80 character unit k ≥ 2 times."""
    # the n to try are those where the first six characters come again (found by str.find)
    head, last = p[:6], min(80, len(p) // 2)
    n = p.find(head, 6, last + 6)
    while n != -1:
        unit = p[:n]
        if p.startswith(unit, n):
            end = 2 * n  # counted by stepping along p: linear in its length, however many times it repeats
            while p.startswith(unit, end):
                end += n
            return unit, end // n
        n = p.find(head, n + 1, last + 6)
    return "", 0


def strip_head_spam(paras: list[str], res: StripResult, *, title: str = "") -> list[str]:
    """Remove SEO spam at the top: keyword lines, an unrelated headline repeated (on its
    own lines and/or glued several times onto the first paragraph)."""
    out = list(paras)
    # keyword-stuffed lines among the first few paragraphs
    i = 0
    while i < min(3, len(out)):
        if is_keyword_spam(out[i]):
            res.add("spam_header", out.pop(i))
        else:
            i += 1
    if not out:
        return out
    # the same headline repeated as separate paragraphs, possibly glued onto the next one
    head = out[0]
    n = 1
    while n < len(out) and out[n] == head:
        n += 1
    glued = n < len(out) and out[n].startswith(head) and len(out[n]) > len(head)
    if len(head) <= 80 and head != title and (n >= 2 or glued) and not _SENTENCE_END.search(head[-1:]):
        for p in out[:n]:
            res.add("repeated_headline", p)
        del out[:n]  # at once: popping the head n times moved the rest n times
        if glued:
            end = len(head)
            while out[0].startswith(head, end):
                end += len(head)
            res.add("repeated_headline", head)
            out[0] = out[0][end:].strip()
    elif out:
        unit, k = _repeat_prefix(out[0])
        if k >= 2 and unit != title:
            rest = out[0][len(unit) * k :].strip()
            res.add("repeated_headline", unit * k)
            if rest:
                out[0] = rest
            else:
                out.pop(0)
    return [p for p in out if p]


_SENTENCE_END = lazy(r"[。！？!?]")


def strip_paragraphs(paras: list[str], *, title: str = "", head_spam: bool = True) -> StripResult:
    """Strip boilerplate from an article's paragraphs: leading/trailing runs of any rule,
    ``any``-scope rules everywhere, spam headers at the top, lines repeating the title at the top."""
    res = StripResult([])
    out = [p for p in paras if p and p.strip()]
    cut = tail_section_start(out)
    if cut is not None:
        for p in out[cut:]:
            res.add("tail_section", p)
        out = out[:cut]
    changed = True
    while changed:
        changed = False
        while out:
            kind = classify(out[0]) or ("repeated_headline" if title and out[0] == title else None)
            if kind is None and head_spam and is_keyword_spam(out[0]):
                kind = "spam_header"
            if kind is None:
                break
            res.add(kind, out.pop(0))
            changed = True
        while out:
            kind = classify(out[-1])
            if kind is None:
                break
            res.add(kind, out.pop())
            changed = True
        if head_spam and out:
            before = len(res.removed)
            out = strip_head_spam(out, res, title=title)
            changed = changed or len(res.removed) != before
    # The two ends were last classified with the edge rules, which hold every any-scope rule:
    # they are article text for these too (strip_head_spam, which could change the first, did not).
    kept = []
    last = len(out) - 1
    for i, p in enumerate(out):
        kind = None if i == 0 or i == last else classify(p, edge=False)
        if kind:
            res.add(kind, p)
        else:
            kept.append(p)
    res.paragraphs = kept
    return res
