"""decode_bytes: the documented charset order, sanity checks on declarations, never raising."""

import codecs

import pytest
from hypothesis import given, settings, strategies as st

from cleaning.decode import Decoded, charset_from_content_type, decode_bytes

TEXT = "澎湃新闻记者 朱轩：中国AI产业链的连锁反应正在到来，规模化探索期。数据显示，收入增长了36%。"
TRAD = "澎湃新聞記者 朱軒：中國AI產業鏈的連鎖反應正在到來，規模化探索期。數據顯示，收入增長了36%。"


def _meta(charset: str, body: bytes) -> bytes:
    return b'<html><head><meta charset="' + charset.encode() + b'"></head><body>' + body + b"</body></html>"


def _meta_http_equiv(charset: str, body: bytes) -> bytes:
    return (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset='
        + charset.encode()
        + b'"></head><body>'
        + body
        + b"</body></html>"
    )


CASES = [
    # (id, bytes, header charset, expected text (substring), expected encoding, reason starts with)
    ("utf8-plain", TEXT.encode("utf-8"), None, TEXT, "utf-8", "valid utf-8"),
    ("utf8-declared", TEXT.encode("utf-8"), "utf-8", TEXT, "utf-8", "http-header"),
    ("utf8-sig", codecs.BOM_UTF8 + TEXT.encode("utf-8"), None, TEXT, "utf-8", "bom"),
    ("utf8-bom-beats-header", codecs.BOM_UTF8 + TEXT.encode("utf-8"), "gbk", TEXT, "utf-8", "bom"),
    ("utf16-bom", TEXT.encode("utf-16"), None, TEXT, "utf-16-le", "bom"),
    ("utf16be-bom", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), None, TEXT, "utf-16-be", "bom"),
    ("gb18030-declared", TEXT.encode("gb18030"), "gb18030", TEXT, "gb18030", "http-header"),
    ("gb2312-declared", TEXT.encode("gb2312"), "gb2312", TEXT, "gb18030", "http-header"),
    ("gbk-declared", TEXT.encode("gbk"), "GBK", TEXT, "gb18030", "http-header"),
    ("gbk-undeclared", TEXT.encode("gbk"), None, TEXT, "gb18030", ""),
    ("gbk-declared-utf8", TEXT.encode("gbk"), "utf-8", TEXT, "gb18030", ""),
    ("utf8-declared-gb2312", TEXT.encode("utf-8"), "gb2312", TEXT, "utf-8", ""),
    ("utf8-declared-latin1", TEXT.encode("utf-8"), "iso-8859-1", TEXT, "utf-8", ""),
    ("big5-declared", TRAD.encode("big5"), "big5", TRAD, "big5", "http-header"),
    ("big5-undeclared", (TRAD * 3).encode("big5"), None, TRAD, "big5", ""),
    ("meta-charset-gbk", _meta("gbk", TEXT.encode("gbk")), None, TEXT, "gb18030", "meta"),
    ("meta-http-equiv-gb2312", _meta_http_equiv("gb2312", TEXT.encode("gb2312")), None, TEXT, "gb18030", "meta"),
    ("header-beats-meta", _meta("gbk", TEXT.encode("utf-8")), "utf-8", TEXT, "utf-8", "http-header"),
    ("wrong-meta-caught", _meta("gbk", TEXT.encode("utf-8")), None, TEXT, "utf-8", ""),
    ("ascii", b"plain ascii text", None, "plain ascii text", "utf-8", "ascii"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_decoding_table(case):
    _, data, header, expected, encoding, reason = case
    d = decode_bytes(data, header_charset=header)
    assert isinstance(d, Decoded)
    assert expected in d.text
    assert "\ufffd" not in d.text
    assert d.encoding == encoding
    assert d.reason.startswith(reason)


def test_rejections_are_recorded():
    d = decode_bytes(TEXT.encode("gbk"), header_charset="utf-8")
    assert "http-header utf-8 rejected" in d.reason
    d = decode_bytes(TEXT.encode("utf-8"), header_charset="gb2312")
    assert "http-header gb18030 rejected" in d.reason


def test_broken_bytes_fall_back_with_replacement():
    data = TEXT.encode("utf-8")[:-1] + b"\xff\xfe\xfa" + TEXT.encode("utf-8")
    d = decode_bytes(data, header_charset="utf-8")
    assert TEXT[:20] in d.text


@pytest.mark.parametrize(
    "value, expected",
    [
        ("text/html; charset=GBK", "gbk"),
        ('text/html; charset="utf-8"', "utf-8"),
        ("application/json;charset=UTF-8", "utf-8"),
        ("text/html", None),
        (None, None),
        ("", None),
    ],
)
def test_charset_from_content_type(value, expected):
    assert charset_from_content_type(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "utf-8", "gbk", "big5", "latin-1", "utf-16", "bogus", "utf-32"]))
def test_never_raises_on_any_bytes(data, header):
    d = decode_bytes(data, header_charset=header)
    assert isinstance(d.text, str) and d.encoding and d.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_valid_utf8_round_trips(text):
    d = decode_bytes(text.encode("utf-8", "surrogatepass"))
    if not any("\ud800" <= c <= "\udfff" for c in text) and not text.startswith("\ufeff"):
        assert d.text == text
