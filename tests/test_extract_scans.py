"""The extraction's scans of session 9 give what the scans they replace gave (issue 26): ``sniff``'s
layout words past ``__NEXT_DATA__`` looked for behind a part they all hold, the old layouts'
class words found in the class values joined into one text, and the offline notices tested in
the cheaper order (the page's body element before a scan of the whole page, a notice's length
before its regex). Each against the code it replaces, with the cases where the shortcut does
not apply."""

import random
from pathlib import Path

import pytest

from bench.cleanratio import mock_pages
from cleaning.decode import decode_bytes
from cleaning.document import clean_document
from cleaning.extract import _HTML, _MARKER_WORDS, _SNIFFED, LAYOUT_MARKERS, sniff
from cleaning.extract import html as h
from cleaning.extract.oldlayouts import _SEP, OFFLINE_NOTICE, _Classed

DATA = Path(__file__).parent / "data"


def _texts() -> list[str]:
    texts = [decode_bytes(body).text for _, body in mock_pages(80)]
    return texts + [decode_bytes(p.read_bytes()).text for p in sorted(DATA.rglob("*.htm*"))]


@pytest.fixture(scope="module")
def texts():
    return _texts()


# ------------------------------------------------------------------ sniff


def test_each_sniffed_part_is_in_every_word_of_its_layout():
    for layout, (part, words) in _SNIFFED.items():
        assert words == tuple(w for w in _MARKER_WORDS[layout] if w != "__NEXT_DATA__")
        assert part and all(part in w for w in words), layout
    assert [layout for layout, _ in LAYOUT_MARKERS] == list(_SNIFFED)


def _old_sniff_html(s: str) -> str:
    """sniff's answer for markup, as the markers' regexes give it searched through the page."""
    for layout, rx in LAYOUT_MARKERS:
        if rx.search(s):
            return layout
    return "html"


def _sniff_html(s: str) -> str:
    got = sniff(s)
    assert got not in ("json", "text", "empty"), s
    return got


def test_sniff_names_the_layout_the_markers_name(texts):
    rng = random.Random(9)
    words = [w for ws in _MARKER_WORDS.values() for w in ws]
    pieces = ['class="', 'class="x ', '"', " ", "x", "_", "é", "-", ">", "news", "index_", "t_newsinfox", *words]
    pieces += ["xabout_news", "news_txtx", "index_title", "index_title_", "__next_data__", "NEWS_TXT", "index_"]
    for _ in range(30_000):
        s = "<html><div " + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _sniff_html(s) == _old_sniff_html(s), s
    for text in texts:
        if _HTML.search(text[:4096]):
            assert sniff(text) == _old_sniff_html(text)
            # without the Next.js data: the class markers decide (the parts are on these pages)
            bare = text.replace("__NEXT_DATA__", "__NEXT__")
            assert sniff(bare) == _old_sniff_html(bare)


# ------------------------------------------------------------------ the old layouts' class words

CLASS_PIECES = [
    "news",
    "_part",
    "news_part",
    "t_",
    "newsinfo",
    "about_news",
    "news_bl",
    "detail-gm",
    " ",
    "\t",
    "x",
    "é",
    "甲",
]


def _page(classes: list[str]) -> str:
    divs = "".join(f'<div class="{c}">{i}</div>' for i, c in enumerate(classes))
    return f"<html><body>{divs}<p>正文</p></body></html>"


def test_classed_words_found_in_the_joined_values_are_those_of_each_value():
    """Words that straddle two neighbouring values (``news`` | ``_part``) are the negatives: the
    joined text holds them, no value does."""
    rng = random.Random(29)
    words = [
        "news_part",
        "news",
        "_part",
        "t_newsinfo",
        "about_news",
        "news_bl",
        "detail-gm",
        "x",
        "s_p",
        "é甲",
        "none",
    ]
    for _ in range(3_000):
        classes = [
            "".join(rng.choice(CLASS_PIECES) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 8))
        ]
        doc = h.parse(_page(classes))
        classed = _Classed(doc)
        values = classed._values
        assert classed._joined is not None
        for word in words:
            assert list(classed._holding(word)) == [k for k, c in enumerate(values) if word in c], (classes, word)
            want = [(c.getparent(), str(c)) for c in values if word in c]
            assert list(classed.all(word)) == want
        pair = ("news_part", "detail-gm")
        assert list(classed.any_of(*pair)) == [(c.getparent(), str(c)) for c in values if any(w in c for w in pair)]


def test_classed_words_in_the_pages(texts):
    for text in texts:
        doc = h.parse(text)
        if doc is None:
            continue
        classed = _Classed(doc)
        for word in (
            "news_part",
            "t_newsinfo",
            "about_news",
            "news_bl",
            "news_path",
            "detail-gm",
            "newscontent",
            "news_txt",
        ):
            assert list(classed._holding(word)) == [k for k, c in enumerate(classed._values) if word in c]


def test_a_word_the_joined_text_cannot_tell_is_looked_for_in_each_value():
    classed = _Classed(h.parse(_page(["a", "b c", "a"])))
    assert list(classed._holding("")) == [0, 1, 2]  # every value holds ""
    assert list(classed._holding(f"a{_SEP}b")) == []  # a separator in the word: each value asked
    classed._values, classed._joined = ["a\x00b", "b"], None  # a value holding the separator: no joined text
    assert list(classed._holding("a\x00b")) == [0] and list(classed._holding("b")) == [0, 1]


# ------------------------------------------------------------------ offline notices

NOTICE = "此文章已下线"


def _desktop(news_txt: str | None) -> bytes:
    body = f'<p class="news_txt">{news_txt}</p>' if news_txt is not None else ""
    return (
        '<html><head><title>标题_澎湃新闻</title></head><body><div class="newscontent">'
        f'<h1 class="news_title">标题</h1><div class="news_about"><p>2016-05-06 10:00 来源：澎湃新闻</p></div>{body}'
        "</div></body></html>"
    ).encode()


def _mobile(part: bool, notice: bool) -> bytes:
    body = '<div class="news_part">正文第一段，说了一件事。</div>' if part else ""
    tail = f"<p>{NOTICE}</p>" if notice else ""
    return (
        '<html><head><title>标题_澎湃新闻</title></head><body><div class="t_newsinfo">'
        f'<h1 class="t_newsinfo">标题</h1></div><p class="about_news">2017-03-04 09:00</p>{body}{tail}</body></html>'
    ).encode()


def _cleaned(data: bytes):
    try:
        rec = clean_document(data, url="https://www.thepaper.cn/newsDetail_forward_1500000")
    except Exception as exc:  # noqa: BLE001 - a refused page is compared by its error
        return type(exc).__name__
    return rec.content_type, rec.gone_reason, rec.paragraphs


@pytest.mark.parametrize(
    "news_txt,gone",
    [
        (NOTICE, True),
        (f"  {NOTICE}。 ", True),
        ("此文章已下線", True),
        ("文" * 30 + NOTICE, True),  # 36 characters: still a notice
        ("文" * 40 + NOTICE, False),  # a body that mentions it: 46 characters
        ("正文一段，说了一件事。", False),
        ("", False),
        (None, False),  # no news_txt element
    ],
)
def test_a_desktop_notice_is_a_short_news_txt_holding_it(news_txt, gone):
    got = _cleaned(_desktop(news_txt))
    assert (got[:2] == ("gone", "offline_notice")) is gone, got
    text = h.text_of(h.first(h.parse(_desktop(news_txt).decode()), '//*[contains(@class,"news_txt")]'))
    assert gone is bool(news_txt is not None and OFFLINE_NOTICE.search(text) and len(text) < 40)  # the old test


@pytest.mark.parametrize("part,notice", [(True, True), (True, False), (False, True), (False, False)])
def test_a_mobile_notice_is_one_on_a_page_without_a_body(part, notice):
    data = _mobile(part, notice)
    got = _cleaned(data)
    old = bool(OFFLINE_NOTICE.search(data.decode())) and not part  # the old test, the page scanned first
    assert (got[:2] == ("gone", "offline_notice")) is old, got
