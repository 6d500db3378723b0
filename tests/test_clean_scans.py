"""The cleaning chain's cheaper scans give what the scans they replace gave (issue 26): the
mojibake run pre-check written with its high character first, the pinyin chains and the
toneless-annotation count tried at opening brackets only, the page parsed from its UTF-8 bytes,
and the body walk with its block flags kept on a stack."""

import itertools
import random
import re

from lxml import etree

from bench.cleanratio import mock_pages
from cleaning.decode import decode_bytes
from cleaning.extract import html as h
from cleaning.repair import mojibake, pinyin

_OLD_RUN_SUSPECTS = re.compile(
    f"[{mojibake._HIGH_CLASS}][\u0020\u0040-\u007e]?[{mojibake._HIGH_CLASS}]|[\u00e0-\u00f4]"
)


def test_run_suspects_finds_what_the_alternation_found():
    # every string of up to four characters over the classes the pattern tells apart
    alphabet = "a @~\x7f中“”—\u0080\u00df\u00e0\u00f4\u00f5\u00ff"
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            s = "".join(chars)
            assert bool(mojibake._RUN_SUSPECTS.search(s)) == bool(_OLD_RUN_SUSPECTS.search(s)), s


def _old_looks_annotated(text: str) -> bool:
    return bool(pinyin._TONED_RE.search(text)) or len(pinyin._TONELESS_AFTER_CJK_RE.findall(text)) >= 3


def test_pinyin_scans_find_what_finditer_and_findall_found():
    rng = random.Random(26)
    pieces = ["中", "文", "产", "(", "（", ")", "）", "a", "b", "xian", "ā", "?", "\ufffd", "\ue000", "A", " ", ","]
    for _ in range(20_000):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        got = [(m.span(1), m.span(2)) for m in pinyin._chains(s)]
        assert got == [(m.span(1), m.span(2)) for m in pinyin._CHAIN_RE.finditer(s)], s
        assert pinyin.looks_annotated(s) == _old_looks_annotated(s), s


def _tree(doc) -> bytes | None:
    return None if doc is None else etree.tostring(doc.getroottree())


def test_parse_of_utf8_bytes_is_the_parse_of_the_str():
    rng = random.Random(6)
    pieces = [
        '<?xml version="1.0" encoding="latin-1"?>',
        "<!DOCTYPE html>",
        "<html>",
        '<meta charset="gbk">',
        "<title>",
        "</title>",
        "<body>",
        "<p>",
        "</p>",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "中文",
        "é",
        "\U0001f600",
        "\x01",
        "\r\n",
        "&amp;",
        "&#20013;",
        "\ufffe",
        "\ufeff",
        "<",
        "&",
        "<![CDATA[x]]>",
        "<?pi x?>",
        "<textarea>",
    ]
    for _ in range(3_000):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        assert _tree(h.parse(s, s.encode("utf-8"))) == _tree(h.parse(s)), s
    for _url, body in mock_pages(60):
        decoded = decode_bytes(body)
        assert decoded.whole_utf8 and decoded.text == body.decode("utf-8")
        assert _tree(h.parse(decoded.text, body)) == _tree(h.parse(decoded.text))


def test_whole_utf8_only_when_the_text_is_the_bytes():
    assert decode_bytes("<p>中文</p>".encode()).whole_utf8
    assert decode_bytes(b"<p>plain</p>").whole_utf8
    assert not decode_bytes(b"\xef\xbb\xbf<p>x</p>").whole_utf8  # the BOM is not in the text
    assert not decode_bytes("<p>中文的文字</p>".encode("gb18030")).whole_utf8
