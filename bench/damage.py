"""Damaged mirror copies of mock articles, by the mechanisms of the spam mirrors
(docs/site-notes.md §6): a text dump with an SEO spam header and the praise widget,
converted to Traditional, pinyin in parentheses after some converted characters,
and the byte-level GBK punctuation swap that tears characters whose trail byte is A3.
"""

from __future__ import annotations

from functools import lru_cache

SPAM_HEADER = "免费在线观看|高清影视大全|彩票计划网|在线娱乐平台|最新影视资源|手机看片|不卡在线视频"

#: A few common characters and their pinyin (tone marks on most, some toneless).
PINYIN = {
    "产": "chǎn",
    "业": "yè",
    "链": "liàn",
    "应": "yìng",
    "的": "de",
    "术": "shù",
    "发": "fā",
    "经": "jīng",
    "计": "jì",
    "数": "shù",
    "据": "jù",
    "进": "jìn",
    "开": "kāi",
    "场": "chǎng",
    "科": "ke",
    "技": "ji",
    "网": "wǎng",
    "络": "luò",
    "电": "diàn",
    "国": "guó",
}


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def add_pinyin(simplified: str, traditional: str, *, every: int = 3) -> str:
    """Pinyin in parentheses after every ``every``-th character of the table (when the
    conversion kept the length, so that the two texts line up character by character)."""
    if len(simplified) != len(traditional):
        return traditional
    out, seen = [], 0
    for s, t in zip(simplified, traditional):
        out.append(t)
        if s in PINYIN:
            seen += 1
            if seen % every == 0:
                out.append(f"({PINYIN[s]})")
    return "".join(out)


def swap_a3(data: bytes) -> bytes:
    """Replace every byte pair A3 xx (xx in A1..FE) by the ASCII byte xx-0x80, ignoring
    character boundaries (the mirror's flattening of full-width forms)."""
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == 0xA3 and i + 1 < len(data) and 0xA1 <= data[i + 1] <= 0xFE:
            out.append(data[i + 1] - 0x80)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def mirror_decode(data: bytes) -> str:
    """GBK decoding as the mirror did it (it reproduces the real sample's tears): an
    undecodable lead byte becomes ``?``, and a lead byte followed by a digit swallows the
    digit (a GB18030 four-byte attempt: ``?8C`` for ``18C``)."""
    out = []
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        if i + 1 < len(data):
            t = data[i + 1]
            if 0x30 <= t <= 0x39:
                out.append("?")
                i += 2
                continue
            try:
                out.append(bytes((b, t)).decode("gb18030"))
                i += 2
                continue
            except UnicodeDecodeError:
                pass
        out.append("?")
        i += 1
    return "".join(out)


def gbk_punct_swap(text: str) -> str:
    """Encode to GBK (unencodable characters as ``?``), flatten the ``A3 xx`` pairs without
    regard to character boundaries (:func:`swap_a3`), decode as the mirror did
    (:func:`mirror_decode`)."""
    return mirror_decode(swap_a3(text.encode("gbk", errors="replace")))


#: Mechanisms applied together, in turn over the articles ("alone or together", §6).
VARIANTS = (("traditional", "pinyin"), ("gbk_swap",), ("traditional", "pinyin", "gbk_swap"), ("traditional",))


def mirror_dump(
    title: str, when: str, source: str, paragraphs: list[str], damage=("traditional", "pinyin", "gbk_swap")
) -> str:
    """The mirror's text dump of one article (spam header, praise widget, no byline
    block), damaged by the mechanisms named in ``damage``."""
    lines = [SPAM_HEADER, "", "  • +1", "", title, "", when, f"来源:{source or '澎湃新闻'}", "字号", ""]
    lines += [p for para in paragraphs for p in (para, "")]
    text = "\n".join(lines)
    if "traditional" in damage:
        text = "\n".join(
            add_pinyin(line, to_traditional(line), every=3 if "pinyin" in damage else 10**9)
            for line in text.split("\n")
        )
    if "gbk_swap" in damage:
        text = gbk_punct_swap(text)
    return text


def damaged_pages(articles) -> list[tuple[str, bytes, tuple]]:
    """``(mirror URL, UTF-8 text dump, mechanisms)`` for each mock article that has body
    text, the mechanisms taken in turn from :data:`VARIANTS`."""
    out = []
    for art in articles:
        paragraphs = art.expected_paragraphs
        if not paragraphs:
            continue
        when = art.pub_time.strftime("%Y-%m-%d %H:%M")
        damage = VARIANTS[len(out) % len(VARIANTS)]
        text = mirror_dump(art.title, when, art.source, paragraphs, damage)
        out.append((f"http://www.mirror-example.com.cn/newsDetail_forward_{art.cont_id}", text.encode("utf-8"), damage))
    return out


# ---------------------------------------------------------------- single-byte misreadings
#: cp1252's five undefined bytes.
CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
SINGLE_BYTE_READS = ("latin-1", "whatwg-1252", "1252-dropped")


def utf8_read_as(text: str, how: str = "whatwg-1252", *, nbsp_to_space: bool = False) -> str:
    """``text`` as UTF-8 bytes read with a single-byte codec: ``latin-1`` (0x80-0x9F become C1
    controls), ``whatwg-1252`` (a browser's windows-1252: the undefined bytes become C1
    controls) or ``1252-dropped`` (a decoder that drops the undefined bytes); optionally every
    U+00A0 that results turned into a plain space (what an HTML cleaner does to NBSP)."""
    data = text.encode("utf-8")
    if how == "latin-1":
        out = data.decode("latin-1")
    else:
        keep = how == "whatwg-1252"
        out = "".join((chr(b) if keep else "") if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in data)
    return out.replace("\u00a0", " ") if nbsp_to_space else out
