"""The cleaning chain's shortcuts of session 7 give what the work they skip gave (issue 26): the
page's visible lines walked only as far as a head reader reads them (``BodyLines``), the old
layouts' classed elements read from ``//@class``, the end paragraphs not classified a second
time, and a field the repair left as it was answered without a repair result."""

import random
from pathlib import Path

import pytest

from bench.cleanratio import mock_pages
from cleaning import boilerplate as bp
from cleaning import document
from cleaning.decode import decode_bytes
from cleaning.document import clean_document
from cleaning.extract import LAYOUT_MARKERS, _MARKER_WORDS, _has_marker, _visible_lines
from cleaning.extract import html as h
from cleaning.extract.oldlayouts import _Classed
from cleaning.extract.textdump import extract_lines

DATA = Path(__file__).parent / "data"


def _docs():
    texts = [decode_bytes(body).text for _, body in mock_pages(80)]
    texts += [decode_bytes(p.read_bytes()).text for p in sorted(DATA.rglob("*.htm*"))]
    docs = [h.parse(t) for t in texts]
    return [d for d in docs if d is not None]


@pytest.fixture(scope="module")
def docs():
    return _docs()


def _body(doc):
    body = h.first(doc, "//body") if doc.tag != "body" else doc
    return body if body is not None else doc


BODY_HTML = [
    "",
    "<p>甲</p>",
    "<p>甲</p><figure><img src='a.jpg'><figcaption>图<p>注</p>二</figcaption></figure><p>乙</p>",
    "<div class='image_desc'><p>一</p><p>二</p><div><p>三</p></div></div><p>四</p><br>五",
    "<img src='a.jpg'><span style='color:#999'>图注</span><p>正文</p>",
    "甲<br>乙<!-- 注 -->丙<p>丁</p>戊",
    "<script>x</script><div class='share'>分享</div><p>甲</p>",
]


@pytest.mark.parametrize("html", BODY_HTML)
def test_body_lines_are_the_body_blocks(html):
    doc = h.parse(f"<html><body>{html}</body></html>") if html else None
    root = None if doc is None else _body(doc)
    want = h.body_blocks(root, skip_chrome=False).paragraphs
    assert list(h.BodyLines(root)) == want
    assert len(h.BodyLines(root)) == len(want)
    assert bool(h.BodyLines(root)) == bool(want)


def test_body_lines_read_in_any_order_give_the_paragraphs(docs):
    rng = random.Random(7)
    for doc in docs:
        want = h.body_blocks(_body(doc), skip_chrome=False).paragraphs
        lines = h.BodyLines(_body(doc))
        for _ in range(12):
            i = rng.randint(-3, len(want) + 3)
            if -len(want) <= i < len(want):
                assert lines[i] == want[i]
            else:
                with pytest.raises(IndexError):
                    lines[i]
            a, b = rng.randint(-2, len(want) + 2), rng.choice([None, rng.randint(-2, len(want) + 2)])
            assert lines[a:b] == want[a:b]
        for line in want[:5] + ["不在其中"]:
            assert (line in lines) == (line in want)
            if line in want:
                assert lines.index(line) == want.index(line)
        assert list(lines) == want and len(lines) == len(want)


def _fields(ex):
    return {k: v for k, v in vars(ex).items() if k != "copies"}


def test_head_read_of_lazy_lines_is_the_read_of_the_list(docs):
    for doc in docs:
        full = _visible_lines(doc)
        hints = ["", *full[:30:3], "不在其中"]
        for layout in ("nextjs", "mobile_2017"):
            for hint in hints:
                want = extract_lines(full, layout=layout, title_hint=hint, head_only=True)
                got = extract_lines(h.BodyLines(_body(doc)), layout=layout, title_hint=hint, head_only=True)
                assert _fields(got) == _fields(want), (hint, full[:20])


HEADS = [  # lines a head reader runs off the end of, or stops in: the lazy read must match the list's
    ["2024-01-02 10:00"],
    ["标题", "2024-01-02 10:00", "来源：澎湃新闻"],
    ["标题", "2024-01-02 10:00", "原创 张三"],
    ["标题", "2024-01-02 10:00", "原创 张三", "集智俱乐部"],
    ["标题", "2024-01-02 10:00", "字号", "收藏", "正文第一段。"],
    ["收藏", "分享", "标题很像标题"],
    ["收藏", "分享", "标题很像标题", "澎湃新闻记者 张三", "来源：新华社"],
    ["收藏"] * 30 + ["标题", "澎湃新闻记者 张三"],
    ["首页", "标题", "澎湃新闻记者 张三", "来源：新华社", "正文。"],
]


@pytest.mark.parametrize("lines", HEADS)
@pytest.mark.parametrize("hint", ["", "标题", "标题很像标题"])
def test_head_read_at_the_ends_of_the_lines(lines, hint):
    html = "<html><body>" + "".join(f"<p>{ln}</p>" for ln in lines) + "</body></html>"
    doc = h.parse(html)
    assert h.body_blocks(_body(doc), skip_chrome=False).paragraphs == lines
    want = extract_lines(lines, title_hint=hint, head_only=True)
    got = extract_lines(h.BodyLines(_body(doc)), title_hint=hint, head_only=True)
    assert _fields(got) == _fields(want)


def test_classed_elements_are_those_of_a_walk(docs):
    for doc in docs:
        walk = [(el, el.get("class")) for el in doc.getroottree().iter() if isinstance(el.tag, str) and el.get("class")]
        for word in ("news", "index_", "about_news", "t_newsinfo", "news_part", "x"):
            got = list(_Classed(doc).all(word))
            assert [(el, c) for el, c in walk if word in c] == got
            assert all(type(c) is str for _, c in got)
            for tag in ("div", "p", "h1"):
                assert [(el, c) for el, c in walk if word in c and el.tag == tag] == list(_Classed(doc).all(word, tag))
        assert [el for el, _ in _Classed(doc).any_of("news_path", "detail-gm")] == [
            el for el, c in walk if "news_path" in c or "detail-gm" in c
        ]


def _old_strip_paragraphs(paras, *, title="", head_spam=True):
    """strip_paragraphs as it was: every kept paragraph classified with the any-scope rules."""
    res = bp.StripResult([])
    out = [p for p in paras if p and p.strip()]
    cut = bp.tail_section_start(out)
    if cut is not None:
        for p in out[cut:]:
            res.add("tail_section", p)
        out = out[:cut]
    changed = True
    while changed:
        changed = False
        while out:
            kind = bp.classify(out[0]) or ("repeated_headline" if title and out[0] == title else None)
            if kind is None and head_spam and bp.is_keyword_spam(out[0]):
                kind = "spam_header"
            if kind is None:
                break
            res.add(kind, out.pop(0))
            changed = True
        while out:
            kind = bp.classify(out[-1])
            if kind is None:
                break
            res.add(kind, out.pop())
            changed = True
        if head_spam and out:
            before = len(res.removed)
            out = bp.strip_head_spam(out, res, title=title)
            changed = changed or len(res.removed) != before
    kept = []
    for p in out:
        kind = bp.classify(p, edge=False)
        if kind:
            res.add(kind, p)
        else:
            kept.append(p)
    res.paragraphs = kept
    return res


_PARAGRAPHS = [
    "正文第一段，说了一件事。",
    "正文第二段。",
    "沪ICP备14003370号",
    "© 2014-2026 上海东方报业有限公司",
    "本文为作者观点，不代表本站立场。",
    "未经授权不得转载",
    "收藏",
    "+1",
    "字号",
    "责任编辑：张三",
    "澎湃新闻记者 张三",
    "标题",
    "标题标题正文",
    "甲|乙|丙|丁|甲乙",
    "首页 > 时事",
    "相关阅读",
    "上海",
    "12 3",
    "",
    "  ",
]


def test_strip_paragraphs_as_before():
    rng = random.Random(26)
    for _ in range(4000):
        paras = [rng.choice(_PARAGRAPHS) for _ in range(rng.randint(0, 9))]
        title = rng.choice(["", "标题", "正文第二段。"])
        head_spam = rng.random() < 0.8
        got = bp.strip_paragraphs(paras, title=title, head_spam=head_spam)
        want = _old_strip_paragraphs(paras, title=title, head_spam=head_spam)
        assert (got.paragraphs, got.counts, got.removed) == (want.paragraphs, want.counts, want.removed), paras


def test_a_clean_field_answered_from_the_cache_gives_the_same_record(monkeypatch):
    pages = mock_pages(40) + [
        (f"https://www.thepaper.cn/newsDetail_forward_{p.stem.rsplit('_', 1)[-1]}", p.read_bytes())
        for p in sorted((DATA / "records" / "pages").glob("*.html"))[:40]
    ]

    def records():
        out = []
        for url, body in pages:
            try:
                out.append(clean_document(body, url=url).to_dict())
            except Exception as exc:  # noqa: BLE001 - a refused page is compared by its error
                out.append(repr(exc))
        return out

    monkeypatch.setattr(document, "_CLEAN_FIELDS", set())
    cold = records()  # every field repaired (and the clean short ones remembered)
    assert document._CLEAN_FIELDS
    warm = records()  # those answered from the cache
    assert warm == cold


def _old_sniff_marker(s: str) -> str:
    for layout, rx in LAYOUT_MARKERS:
        if any(w in s for w in _MARKER_WORDS.get(layout, ("",))) and rx.search(s):
            return layout
    return "html"


def test_layout_markers_searched_from_the_first_word_as_through_the_page():
    rng = random.Random(17)
    words = [w for ws in _MARKER_WORDS.values() for w in ws if w != "__NEXT_DATA__"]
    pieces = ['class="', 'class="x ', '"', " ", "x", "_", "é", "-", "<div ", ">", "t_newsinfox", "xabout_news", *words]
    for _ in range(30_000):
        s = "<html>" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        got = next((layout for layout, rx in LAYOUT_MARKERS if _has_marker(s, rx, _MARKER_WORDS[layout])), "html")
        assert got == _old_sniff_marker(s), s
    for _, body in mock_pages(60):
        text = decode_bytes(body).text.replace("__NEXT_DATA__", "__NEXT__")
        got = next((layout for layout, rx in LAYOUT_MARKERS if _has_marker(text, rx, _MARKER_WORDS[layout])), "html")
        assert got == _old_sniff_marker(text)


def test_a_log_without_events_places_none():
    from cleaning.explain import RepairLog

    log = RepairLog()
    log.field("title", [], "标题")
    log.body_joined([], "甲\n乙")
    assert log.entries(["甲", "乙"], ["乙"], "") == [] and log.entries([], [], "标题") == []
