"""Remove pinyin annotations that mirrors insert after Chinese characters.

``產(chǎn)業(yè)鏈`` -> ``產業鏈``; ``的(de)(de)(de)`` -> ``的``; ``地质学家(dìzhìxuéjiā)`` -> ``地质学家``.
An annotation is removed only when (a) its text splits into real Mandarin syllables (tone
marks optional, lower case), and (b) it directly follows a CJK character, a damaged
character (``?``, U+FFFD, private use) or another annotation.  Toneless annotations are
removed only when the text shows the mirror's habit (a tone-marked annotation somewhere, or
at least three toneless ones), so ``条款(a)`` in clean prose stays.  ``(AI)``, ``(Nature)``,
``(2025)`` never match (upper case / digits).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import cast

from cleaning.lazyre import lazy

_SYLLABLES_TEXT = """
a ai an ang ao e ei en eng er o ou yi ya yao ye you yan yin yang ying yong yu yue yuan yun yo
wu wa wo wai wei wan wen wang weng
ba bo bai bei bao ban ben bang beng bi bie biao bian bin bing bu
pa po pai pei pao pou pan pen pang peng pi pie piao pian pin ping pu
ma mo me mai mei mao mou man men mang meng mi mie miao miu mian min ming mu
fa fo fei fou fan fen fang feng fu
da de dai dei dao dou dan den dang deng dong di dia die diao diu dian ding du duo dui duan dun
ta te tai tao tou tan tang teng tong ti tie tiao tian ting tu tuo tui tuan tun
na ne nai nei nao nou nan nen nang neng nong ni nie niao niu nian nin niang ning nu nuo nuan nv nve
la le lo lai lei lao lou lan lang leng long li lia lie liao liu lian lin liang ling lu luo luan lun lv lve
ga ge gai gei gao gou gan gen gang geng gong gu gua guo guai gui guan gun guang
ka ke kai kei kao kou kan ken kang keng kong ku kua kuo kuai kui kuan kun kuang
ha he hai hei hao hou han hen hang heng hong hu hua huo huai hui huan hun huang
ji jia jie jiao jiu jian jin jiang jing jiong ju jue juan jun
qi qia qie qiao qiu qian qin qiang qing qiong qu que quan qun
xi xia xie xiao xiu xian xin xiang xing xiong xu xue xuan xun
zha zhe zhi zhai zhei zhao zhou zhan zhen zhang zheng zhong zhu zhua zhuo zhuai zhui zhuan zhun zhuang
cha che chi chai chao chou chan chen chang cheng chong chu chua chuo chuai chui chuan chun chuang
sha she shi shai shei shao shou shan shen shang sheng shu shua shuo shuai shui shuan shun shuang
re ri rao rou ran ren rang reng rong ru rua ruo rui ruan run
za ze zi zai zei zao zou zan zen zang zeng zong zu zuo zui zuan zun
ca ce ci cai cao cou can cen cang ceng cong cu cuo cui cuan cun
sa se si sai sao sou san sen sang seng song su suo sui suan sun
"""
SYLLABLES = frozenset(_SYLLABLES_TEXT.split())
_MAX_SYL = max(map(len, SYLLABLES))

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_LETTERS = "a-zü" + _TONED
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_DAMAGED = "?\ufffd\ue000-\uf8ff"
_ANN = f"[(（][{_LETTERS}]{{1,36}}[)）]"
# An annotation chain and the character before it.
_CHAIN_RE = lazy(f"(?<=([{_CJK}{_DAMAGED}A-Za-z]))((?:{_ANN})+)")
_ONE_RE = lazy(f"[(（]([{_LETTERS}]+)[)）]")
_TONED_RE = lazy(f"[(（][{_LETTERS}]*[{_TONED}][{_LETTERS}]*[)）]")
_TONELESS_AFTER_CJK_RE = lazy(f"[{_CJK}][(（][a-z]{{1,6}}[)）]")
_OPEN = lazy("[(（]")


def _chains(text: str) -> Iterator[re.Match[str]]:
    """``_CHAIN_RE.finditer(text)``, the same matches: each starts at an opening bracket, so it
    is tried there only (the regex, which begins with a look-behind, tries every character)."""
    match, find = _CHAIN_RE.match, _OPEN.search
    m = find(text)
    while m is not None:
        chain = match(text, m.start())  # the look-behind sees the character before the start
        if chain is not None:
            yield chain
            m = find(text, chain.end())
        else:
            m = find(text, m.start() + 1)


def _strip_tones(s: str) -> str:
    out = []
    for ch in s:
        if ch in "üǖǘǚǜ":
            out.append("v")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def split_syllables(word: str) -> list[str] | None:
    """Split toneless/toned pinyin into syllables, or None if it is not pinyin."""
    plain = _strip_tones(word)
    if not plain.isascii() or not plain.isalpha() or not plain.islower():
        return None
    n = len(plain)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + _MAX_SYL), i, -1):  # longest syllable first
            if plain[i:j] in SYLLABLES and best[j] is not None:
                best[i] = [plain[i:j], *cast("list[str]", best[j])]  # cast: not None, tested above
                break
    return best[0]


def has_tone(word: str) -> bool:
    return any(ch in _TONED for ch in word)


def looks_annotated(text: str) -> bool:
    """Whether ``text`` shows the mirror's annotation habit."""
    if _TONED_RE.search(text):
        return True
    # ``len(_TONELESS_AFTER_CJK_RE.findall(text)) >= 3``: a match starts a character before an
    # opening bracket and holds no CJK character after its first, so the matches tried there
    # are those findall finds
    found, match = 0, _TONELESS_AFTER_CJK_RE.match
    for m in _OPEN.finditer(text):
        if m.start() and match(text, m.start() - 1):
            found += 1
            if found == 3:
                return True
    return False


def _removable(word: str, prev: str, annotated: bool) -> bool:
    syl = split_syllables(word)
    if not syl:
        return False
    toned = has_tone(word)
    if prev.isascii() and prev.isalpha():
        return toned  # a lone letter left by a torn character, e.g. ``?,F(xiàn)``
    return toned or annotated


def remove_pinyin(text: str, *, annotated: bool | None = None) -> tuple[str, int]:
    """Text without pinyin annotations, and how many were removed."""
    if "(" not in text and "（" not in text:
        return text, 0
    count = 0
    out: list[str] = []
    pos = 0
    for m in _chains(text):
        if annotated is None:  # asked at the first chain: a text without one needs no answer
            annotated = looks_annotated(text)
        prev = m.group(1)
        if prev.isascii() and prev.isalpha():
            start = m.start(1)
            before = text[start - 1] if start > 0 else ""
            if before.isalnum() and before.isascii():
                continue  # a Latin word, not a lone torn byte
        anns = list(_ONE_RE.finditer(m.group(2)))
        keep_from = 0
        for a in anns:
            if _removable(a.group(1), prev, annotated):
                keep_from = a.end()
                count += 1
            else:
                break
        if keep_from:
            out.append(text[pos : m.start(2)])
            pos = m.start(2) + keep_from
    out.append(text[pos:])
    return "".join(out), count
