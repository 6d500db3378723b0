"""Decoding pages nobody labelled right: a declared charset loses to a more plausible reading;
other East Asian pages keep their charset; codecs no web page uses are unknown; binary input
is unwrapped or refused before any sniffing."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings, strategies as st

from domain.record import NotTextError
from cleaning.binary import unwrap
from cleaning.document import clean_document
from cleaning.decode import decode_bytes, normalise_charset
from tests.conftest import run_cli

TEXT = Path(__file__).parent / "data" / "text"
CLEAN = [
    ln
    for ln in (TEXT / "simplified_clean.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
]
S2T = opencc.OpenCC("s2t")


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


GB_LINES = [ln for ln in CLEAN if _encodable(ln, "gb2312")]
BIG5_LINES = [S2T.convert(ln) for ln in CLEAN if _encodable(S2T.convert(ln), "big5")]
WRONG_FOR_GB = ("big5", "iso-8859-1", "windows-1252", "us-ascii", "utf-8", "euc-kr", "shift_jis")
WRONG_FOR_BIG5 = ("gbk", "gb2312", "iso-8859-1", "windows-1252", "utf-8", "euc-kr")


def html_page(text: str, meta: str | None) -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    body = "".join(f"<p>{ln}</p>" for ln in text.split("\n"))
    return f"<html><head>{head}<title>t</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("label", WRONG_FOR_GB)
@pytest.mark.parametrize("where", ["header", "meta"])
def test_gb_page_under_a_wrong_declared_charset(label, where):
    text = "\n".join(GB_LINES[:12])
    data = html_page(text, label if where == "meta" else None).encode("gb18030")
    d = decode_bytes(data, header_charset=label if where == "header" else None)
    assert d.encoding == "gb18030" and text.split("\n")[3] in d.text
    assert "rejected" in d.reason, d.reason


@pytest.mark.parametrize("label", WRONG_FOR_BIG5)
def test_big5_page_under_a_wrong_declared_charset(label):
    text = "\n".join(BIG5_LINES[:12])
    d = decode_bytes(html_page(text, label).encode("big5"))
    assert d.encoding in ("big5", "cp950", "big5hkscs") and text.split("\n")[5] in d.text
    assert "rejected" in d.reason


@pytest.mark.parametrize(
    "text, codec, label",
    [
        ("\n".join(GB_LINES[:8]), "gb18030", "gbk"),
        ("\n".join(BIG5_LINES[:8]), "big5", "big5"),
        (
            "Le café de la gare est fermé. Les élèves étudient à l’école. Où est la bibliothèque? Très bien.",
            "cp1252",
            "iso-8859-1",
        ),
        ("Müller und Söhne verkaufen Brötchen, Käse und Würstchen am Straßenrand.", "cp1252", "windows-1252"),
    ],
)
def test_a_right_declaration_is_kept(text, codec, label):
    d = decode_bytes(text.encode(codec), header_charset=label)
    assert d.text == text and d.reason == "http-header"


KOREAN = "대한민국은 동아시아의 한반도 남부에 위치한 민주공화국이다. 서울은 수도이며 가장 큰 도시이다. 인구는 약 5천만 명이다."
JAPANESE = "日本語の文章を書いています。東京は日本の首都であり、最大の都市です。人口は約千四百万人です。"


@pytest.mark.parametrize(
    "text, codec, label",
    [
        (KOREAN * 2, "euc-kr", None),
        (KOREAN * 2, "euc-kr", "gbk"),
        (JAPANESE * 2, "euc-jp", None),
        (JAPANESE * 2, "euc-jp", "gb2312"),
        (JAPANESE * 2, "shift_jis", None),
        (JAPANESE * 2, "shift_jis", "gbk"),
    ],
)
def test_other_east_asian_pages_are_not_forced_into_gb18030(text, codec, label):
    d = decode_bytes(text.encode(codec), header_charset=label)
    assert d.text == text and d.encoding != "gb18030", d.reason


@pytest.mark.parametrize(
    "label",
    ["utf-7", "UTF7", "rot13", "base64", "hex", "punycode", "idna", "x-user-defined", "utf-16-sig-bogus", "zlib"],
)
def test_codecs_no_web_page_uses_are_unknown(label):
    assert normalise_charset(label) is None
    d = decode_bytes("+ZeVnLIqe- 中文".encode(), header_charset=label)
    assert d.encoding == "utf-8" and "unknown" in d.reason


@pytest.mark.parametrize(
    "label, codec",
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("Big5", "big5"),
        ("Shift_JIS", "shift_jis"),
        ("windows-1251", "cp1251"),
        ("koi8-r", "koi8-r"),
        ("UTF-16LE", "utf-16-le"),
    ],
)
def test_web_labels(label, codec):
    assert normalise_charset(label) == codec


def test_gb18030_bom():
    text = GB_LINES[0]
    d = decode_bytes(b"\x84\x31\x95\x33" + text.encode("gb18030"), header_charset="utf-8")
    assert (d.text, d.encoding, d.reason) == (text, "gb18030", "bom")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(range(len(GB_LINES))), min_size=2, max_size=8), st.sampled_from(WRONG_FOR_GB + (None,)))
def test_property_gb_bytes_under_a_wrong_label_decode_right(idx, label):
    text = "\n".join(GB_LINES[i] for i in idx)
    assert decode_bytes(text.encode("gb18030"), header_charset=label).text == text


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(BIG5_LINES))), min_size=2, max_size=8), st.sampled_from(WRONG_FOR_BIG5 + (None,))
)
def test_property_big5_bytes_under_a_wrong_label_decode_right(idx, label):
    text = "\n".join(BIG5_LINES[i] for i in idx)
    assert decode_bytes(text.encode("big5"), header_charset=label).text == text


def test_random_bytes_decode_to_some_text():
    import random

    data = random.Random(7).randbytes(1 << 20)
    d = decode_bytes(data)
    assert isinstance(d.text, str) and d.encoding and d.reason


# ------------------------------------------------------------------ binary input
ARTICLE = (
    '<html><head><title>t</title></head><body><div class="newscontent"><h1 class="news_title">标题在这里</h1>'
    '<div class="news_txt">研究人员表示，这项技术已经完成了临床前验证，下一步将扩大样本规模。</div></div></body></html>'
)


def test_gzip_saved_as_html_is_decompressed():
    rec = clean_document(gzip.compress(ARTICLE.encode("utf-8")))
    assert rec.title == "标题在这里" and rec.paragraphs


def test_gzip_twice_and_multi_member():
    data = ARTICLE.encode("utf-8")
    assert unwrap(gzip.compress(gzip.compress(data))) == data
    assert unwrap(gzip.compress(data[:100]) + gzip.compress(data[100:])) == data


def test_gzip_beyond_the_size_limit_is_refused():
    bomb = gzip.compress(b"<p>" + b"a" * (3 << 20))
    with pytest.raises(NotTextError, match="size limit"):
        unwrap(bomb, max_size=1 << 20)


def test_the_crawl_bounds_gzip_in_a_body_by_download_maxsize():
    from scrapy.utils.test import get_crawler

    from pipelines.stages import CleanStage
    from cleaning.page import clean_page

    body = gzip.compress(ARTICLE.encode("utf-8") + b"<!--" + b" " * (2 << 20) + b"-->")
    small = CleanStage(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1 << 20}))
    assert small.max_size == 1 << 20
    with pytest.raises(NotTextError, match=f"more than {1 << 20} bytes"):
        clean_page(body, url="https://www.thepaper.cn/newsDetail_forward_1", max_size=small.max_size)
    default = CleanStage(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 0}))  # Scrapy's "no limit"
    assert default.max_size is None
    assert clean_page(body, url="https://www.thepaper.cn/newsDetail_forward_1").title == "标题在这里"


def test_truncated_gzip_keeps_what_came_out():
    data = (ARTICLE * 50).encode("utf-8")
    z = gzip.compress(data)
    assert data.startswith(unwrap(z[: len(z) // 2])[:100])
    with pytest.raises(NotTextError):
        unwrap(b"\x1f\x8b\x08\x00garbage")


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"PK\x03\x04\x14\x00\x00\x00" + b"x" * 50, "zip"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40, "JPEG"),
        (b"GIF89a" + b"\x01" * 40, "GIF"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "ELF"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, "executable"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "RIFF"),
        (b"\x00\x00\x00\x18ftypmp42", "MP4"),
    ],
)
def test_binary_files_are_refused(data, kind):
    with pytest.raises(NotTextError, match=kind) as info:
        clean_document(data)
    assert info.value.reason == "not_text"


@pytest.mark.parametrize(
    "text", ["BMW发布了新车型，售价为40万元起。", "MZ是一家公司的缩写。", "GIF动图在社交媒体上很流行。"]
)
def test_text_that_opens_like_a_magic_number_is_text(text):
    assert unwrap(text.encode("utf-8")) == text.encode("utf-8")


def test_nul_bytes_are_dropped_before_sniffing():
    data = b"\x00" * 4096 + ARTICLE.encode("utf-8") + b"\x00" * 10
    rec = clean_document(data)
    assert rec.title == "标题在这里" and rec.layout == "desktop_old"
    assert "\x00" not in rec.body_text


def test_utf16_keeps_its_nuls():
    data = "<html><body><p>你好，世界</p></body></html>".encode("utf-16-le")
    assert unwrap(data) == data


def test_clean_command_refuses_an_image(tmp_path):
    f = tmp_path / "photo.html"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + zlib.compress(b"x" * 100))
    proc = run_cli("clean", str(f))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"thepaper-archive: error: {f}: not_text: PNG image, not a text document"
    ]
