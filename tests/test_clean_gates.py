"""The cleaning chain's cheaper tests of session 10 give what the tests they replace gave (issue
26): boilerplate's windowed rules asked only when their words are in a paragraph's head (and
the edge rules that end in a few characters only when the paragraph ends in one), the
full-width punctuation pre-check by ``in``, mojibake's two layer pre-checks in one scan, the
repair chain's last two stages skipped when the tear scan marked nothing, and the keyword
scores without ``float()``. Each is checked against the code it replaces, with the cases where
the shortcut must not apply."""

import itertools
import json
import random
import re
from pathlib import Path

import pytest

from bench.cleanratio import mock_pages
from cleaning import boilerplate as bp
from cleaning.decode import decode_bytes
from cleaning.extract import extract
from cleaning.repair import RepairResult, mojibake, punct, repair_text
from cleaning.repair.gbktear import tear_marks
from cleaning.repair.leftovers import drop_replacement_runs, remove_private_use, restore_copyright
from cleaning.repair.mirror import restore_mirror_host
from cleaning.repair.mojibake import repair_mojibake_explained
from cleaning.repair.pinyin import remove_pinyin
from cleaning.repair.punct import restore_fullwidth
from cleaning.repair.traditional import detect_converter, is_converted_traditional, to_simplified

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def page_texts() -> list[str]:
    """Titles, summaries and paragraphs of the mock pages."""
    out: list[str] = []
    for url, body in mock_pages(120):
        ex, _ = extract(decode_bytes(body).text, url=url)
        if ex is not None:
            out += [ex.title, ex.summary, *ex.paragraphs, "\n".join(ex.paragraphs)]
    return [t for t in out if t]


def _corpus_lines() -> list[str]:
    text = (DATA / "text" / "simplified_clean.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


# --- boilerplate: the windowed rules behind their words --------------------------------------


def _old_classify(paragraph: str, *, edge: bool = True) -> str | None:
    """:func:`bp.classify` as it was: the whole union asked of every paragraph."""
    p = bp._PINYIN.sub("", paragraph.strip()) if "(" in paragraph else paragraph.strip()
    if not p or len(p) > 260:
        return None
    if bp._UNIONS[edge, True, True].match(p):  # every rule of the scope in one union
        for kind, rx in bp._ALL if edge else bp._ANY:
            if rx.match(p):
                return kind
    if edge and bp.is_nav_line(p):
        return "widget"
    if edge and bp.is_joined_widgets(p):
        return "widget"
    if edge and bp.is_dateline(p):
        return "dateline"
    return None


#: Every word a windowed rule looks for after ``^.{0,N}`` (ICP in each case ``re.I`` reads).
WINDOWED_WORDS = [
    *("".join(c) for c in itertools.product("IiİıK", "Cc", "Pp")),  # K: a near miss
    *"公网安 公網安 公安网".split(),
    *"许可证 許可證 经营许可 經營許可 备案号 備案號".split(),
    *"未经授权不得转载 未經授權不得轉載 未经许可不得转载 未經許可不得轉載".split(),
    *"版权与免责声明 版權與免責聲明 免责声明 免責聲明 版权声明 版權聲明 反侵权公告 反侵權公告".split(),
    *"下载 下載 下达".split(),
]


def test_the_windowed_rules_are_those_whose_words_the_gate_knows():
    windowed = [rx.pattern for _, rx, _ in bp.RULES if bp._windowed(rx)]
    assert len(windowed) == 6
    for pattern in windowed:
        m = re.match(r"\^\.\{0,(\d+)\}(?:ICP|\(\?:([^()]*)\)|公\[网網\]安)", pattern)
        assert m, pattern
        window = int(m.group(1))
        words = m.group(2).split("|") if m.group(2) else (["ICP", "ıCP", "İcp"] if "ICP" in pattern else ["公网安"])
        for word in words:
            head = "中" * window + word + "备1号：A1234"
            assert bp._WINDOWED_WORDS.search(head, 0, bp._HEAD), (pattern, word)
            assert window + len(word[:3]) <= bp._HEAD


def test_the_tailed_rules_end_where_the_gate_looks():
    tailed = [rx.pattern for _, rx, scope in bp.RULES if bp._tailed(rx)]
    assert len(tailed) == 3 and all(scope == "edge" for _, rx, scope in bp.RULES if bp._tailed(rx))
    digits = [chr(c) for c in range(0x110000) if re.fullmatch(r"\d", chr(c))]
    for ch in [*digits, *"万萬wWkK+>›»司"]:
        for p in (f"栏目{ch}", f"栏目{ch}\n", ch):
            assert bp._TAILED_END.search(p, max(len(p) - 2, 0)), p
    for p in ("栏目 15 0 ", "栏目>\n\n", "公司。", "x", "\n"):
        assert not bp._TAILED_END.search(p, max(len(p) - 2, 0)), p


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    pieces = [
        *WINDOWED_WORDS,
        *"中 文 公司 下午 经济 版面 ，。 ： : 号 备 © ? 2024 2014-2026 沪ICP备 1234567号 12345678号 A12345".split(),
        *"APP 客户端 阅读全文 更多 请 本文来自 澎湃新闻 上海东方报业有限公司 all rights reserved".split(),
        *"> › » 司 有限公司 有限责任公司 正文 15 0 1.2万 3w 36+ 7k 收藏 分享 首页 \n (shēng) \n(chǎn) ٣ ５".split(" "),
        " ",
        "a",
        "\u3000",
    ]
    out = []
    for _ in range(n):
        lead = "".join(
            rng.choice("中文字甲乙丙")
            for _ in range(rng.choice([0, 0, 5, 11, 12, 13, 19, 20, 21, 29, 30, 31, 39, 40, 41, 45]))
        )
        out.append(lead + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))))
    return out


def test_classify_gives_what_the_whole_union_gave(page_texts):
    rng = random.Random(10)
    texts = page_texts + _corpus_lines() + _paragraphs(rng, 30_000)
    texts += [line for line in (DATA / "repair" / "must_stay_unchanged.txt").read_text(encoding="utf-8").splitlines()]
    matched = 0
    for t in texts:
        for edge in (True, False):
            got = bp.classify(t, edge=edge)
            assert got == _old_classify(t, edge=edge), (t, edge)
            matched += got is not None
    assert matched > 1_000  # the windowed rules' kinds among them, not only misses


@pytest.mark.parametrize(
    "line,kind",
    [
        ("沪ICP备12345678号", "licence"),
        ("中" * 40 + "ıcp备12345678号", "licence"),
        ("中" * 41 + "ICP备12345678号", None),
        ("沪公网安备31010602000001号", "licence"),
        ("增值电信业务经营许可证：沪B2-20170116", "licence"),
        ("未经授权不得转载", "disclaimer"),
        ("版权声明：本文仅代表作者观点", "disclaimer"),
        ("下载澎湃新闻APP阅读全文", "app_promo"),
        ("科学湃 >", "column_link"),
        ("科学湃正文 15 0", "counter"),
        ("湃客 1.2万 36+", "counter"),
        ("上海东方报业有限公司", "licence"),
        ("上海东方报业有限公司。", None),
    ],
)
def test_windowed_rules_still_match(line, kind):
    assert bp.classify(line) == _old_classify(line) == kind


# --- full-width punctuation: the pre-check by ``in`` -----------------------------------------


def test_the_mark_test_is_the_candidate_regex():
    alphabet = ",:;?!，：；？！a 中\n。"
    for n in range(4):
        for chars in itertools.product(alphabet, repeat=n):
            s = "".join(chars)
            assert punct.has_marks(s) == bool(punct._CAND_RE.search(s)), s


# --- mojibake: the two layer pre-checks in one scan -------------------------------------------


def _layer_alphabet() -> str:
    # every class the three patterns tell apart: ASCII (letters, space, @-~, DEL), Han, high
    # characters ftfy does not suspect (“ — ·), high ones it does (\x80, ¦, €, Œ), à-ô and the
    # rest of Latin-1, ftfy's characters that are not high (√, Greek, Cyrillic, box drawing)
    return "a @~\x7f\x1f中“—·\u0080¦€Œ‚Ù\u00df\u00e0\u00f4\u00f5\u00ff√βВ│"


def _check_layer_scan(longest: int) -> None:
    """Every string of up to ``longest`` characters over :func:`_layer_alphabet`: the one scan
    finds one where ftfy's pre-check or the run pre-check did."""
    pattern = mojibake._layer_suspects()
    for n in range(longest + 1):
        for chars in itertools.product(_layer_alphabet(), repeat=n):
            s = "".join(chars)
            old = bool(mojibake._ftfy_suspects().search(s) or mojibake._RUN_SUSPECTS.search(s))
            assert bool(pattern.search(s)) == old, s


def test_the_layer_scan_finds_what_either_pre_check_found():
    _check_layer_scan(3)


def test_the_layer_scan_without_ftfys_categories(monkeypatch):
    """With another ftfy (every non-ASCII line asked), the one scan asks the same lines."""
    import ftfy.badness

    cats = {k: v for k, v in ftfy.badness.MOJIBAKE_CATEGORIES.items() if k != "law"}
    monkeypatch.setattr(mojibake, "mojibake_categories", lambda: cats)
    mojibake._ftfy_suspects.cache_clear()
    try:
        assert mojibake._layer_suspects().pattern.startswith("[^")
        _check_layer_scan(2)
    finally:
        monkeypatch.undo()
        mojibake._ftfy_suspects.cache_clear()


# --- the repair chain: its last two stages only where the tear scan marked something -----------


def _tail_leaves(text: str) -> bool:
    """Whether the chain's last two stages (private-use characters and U+FFFD dropped, a copyright
    ``?`` restored) would change nothing of ``text``."""
    return remove_private_use(text) == (text, 0, 0) and restore_copyright(text) == (text, 0)


#: Texts the last two stages change, and texts around them: private-use characters, U+FFFD, a
#: copyright ``?``, a Traditional text converted, a mirror host, pinyin, flattened marks.
TAIL_TEXTS = [
    "正文\ue000内容",
    "正文\ufffd内容",
    "? 2014-2026 上海东方报业有限公司",
    "Copyright ? 2014 澎湃新闻",
    "版权所有 ? 2020 上海",
    "澎湃新闻(www.nxos.com.cn)报道，价格为?元",
    "臺灣的經濟發展與這個問題有關係。",
    "这是一个生(shēng)产(chǎn)问题,记者说:好",
    "普通的简体中文句子，没有问题。",
    "“引号”和——破折号……",
]


def test_repair_text_gives_what_every_stage_gave(page_texts):
    cases = json.loads((DATA / "repair" / "cases.json").read_text(encoding="utf-8"))
    texts = [c["input"] for c in cases] + TAIL_TEXTS + _corpus_lines() + page_texts[:400]
    texts += (DATA / "repair" / "must_stay_unchanged.txt").read_text(encoding="utf-8").splitlines()
    rng = random.Random(26)
    pieces = [
        "中",
        "文",
        "，",
        "?",
        "\ue000",
        "\uf8ff",
        "\ufffd",
        "©",
        "2014",
        " ",
        "\n",
        "臺",
        "經",
        "(",
        "shēng",
        ")",
        ",",
        "é",
        "“",
    ]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3_000)]
    options = [
        {},
        {"traditional": False},
        {"traditional": True},
        {"mirror_host": "www.nxos.com.cn"},
        {"fffd_lost": True},
    ]
    skipped = ran = 0
    for t in texts:
        for kw in options:
            res = repair_text(t, **kw)
            # What comes out is what the last two stages leave as it is. Where the gate skipped them,
            # the text reached them as it comes out: running them, as before, changes nothing (and
            # so adds no count and no event) -- the same result as every stage run.
            assert _tail_leaves(res.text), (t, kw, res.text)
            if tear_marks(res.text) or any(k in res.repairs for k in ("t2s", "pua_removed", "copyright_sign")):
                ran += 1
            else:
                skipped += 1
    assert skipped and ran  # both sides of the gate are seen


def test_the_stages_before_the_tail_put_in_no_mark_it_reads():
    """The gate reads the tear scan's marks before pinyin, the tear repair, full-width punctuation
    and the mirror host run: none of those puts a ``?``, U+FFFD or private-use character in (a
    Traditional conversion, which might, opens the gate itself)."""
    rng = random.Random(27)
    pieces = ["中", "，", ",", ":", ";", "!", "(", ")", "shēng", "www.nxos.com.cn", "“", "é", " ", "2014", "臺"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(5_000)]
    texts += [line for line in _corpus_lines() if not tear_marks(line)]
    for t in texts:
        if tear_marks(t):
            continue
        out, _ = remove_pinyin(t)
        out, _ = restore_fullwidth(out, keep=[])
        out, _ = restore_mirror_host(out, "www.nxos.com.cn")
        assert not tear_marks(out) and _tail_leaves(out), (t, out)


# --- keywords: a score without float() -------------------------------------------------------


def test_an_int_times_a_float_is_the_float_of_the_int_times_it():
    rng = random.Random(6)
    for n in [*range(0, 300), 2**53 - 1, 2**53 + 1, 10**20]:
        for _ in range(20):
            w, over = rng.uniform(0.0, 20.0), float(rng.randint(1, 10**6))
            assert n * (w / over) == float(n) * (w / over)


# --- pinyin: whether the text shows the annotation habit, asked at its first chain ------------


def test_remove_pinyin_asks_looks_annotated_only_where_it_counts(page_texts):
    from cleaning.repair.pinyin import looks_annotated

    rng = random.Random(7)
    pieces = ["中", "产", "文", "(", "（", ")", "）", "chan", "chǎn", "xian", "A", "F", "a", " ", "1", "?", "\ue000"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 16))) for _ in range(20_000)]
    texts += _corpus_lines() + page_texts[:300] + ["生(shēng)产(chǎn)", "产(chan)业(ye)发(fa)展(zhan)", "A(a)中"]
    removed = 0
    for t in texts:
        got = remove_pinyin(t)
        assert got == remove_pinyin(t, annotated=looks_annotated(t)), t
        removed += got[1] > 0
    assert removed > 30  # annotations removed, not only texts left alone


# --- the Next.js data script: searched from the last ``>`` before its marker ------------------


def test_the_next_data_script_is_found_where_the_whole_search_found_it():
    from cleaning.extract import nextjs

    rng = random.Random(11)
    pieces = [
        *"<script <SCRIPT <ſcript <scripts id= ID\t=\n ' \" __NEXT_DATA__ __next_data__ __NEXT_DATA_ __ > < x 中".split(
            " "
        ),
        " type=application/json",
        ' data-id="__NEXT_DATA__"',
        " ",
        "</script>",
        '<div id="__next">',
        "<!-- __NEXT_DATA__ -->",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(60_000)]
    texts += [decode_bytes(body).text for _, body in mock_pages(60)]
    found = 0
    for t in texts:
        old, new = nextjs._NEXT_OPEN.search(t), nextjs._next_open(t)
        assert (old and old.span()) == (new and new.span()), t
        found += old is not None
    assert found > 1_000
