"""Pure body damage for the mock's content faults (no sockets, no state).

Each function takes the body the mock would have sent and returns the damaged
one. What stays extractable (the contract the crawler tests rely on):

- ``html_unclosed``: optional end tags (``</p> </li> </td> </tr> </option>``) and
  the closing ``</body></html>`` removed. Every layout stays extractable.
- ``html_tags_dropped``: a seeded third of the inline tags (``p span b i strong
  em a br``, start or end, but no start tag with ``class``/``id``, never inside
  ``<script>``/``<title>``) deleted. Containers, headings, marked tags and
  scripts are untouched, so every layout stays extractable, but some
  paragraph boundaries are lost.
- ``html_body_missing``: the document stops after ``</title>`` (no body, no
  ``__NEXT_DATA__``). Not extractable: must be recorded as a failure.
- ``nextdata_truncated`` / ``nextdata_not_json``: ``__NEXT_DATA__`` cut short or
  turned into a JS-style literal (single quotes); the rendered DOM is intact,
  so the article is extractable from the DOM. Pages without the script are
  unchanged.
- ``nextdata_lone_surrogates``: two lone surrogate escapes (``\\ud800``, ``\\udc00``) in
  ``__NEXT_DATA__``'s title and first paragraph: still JSON, the same article once they are dropped.
- ``copy_lost_bytes_json`` / ``copy_lost_bytes_body``: one byte lost from one
  character of the article text in ``__NEXT_DATA__`` (the copy the record is read
  from) or in the rendered body, the other copy whole: the record's text is exact,
  restored from the page's other copy (``page_copy`` in its repair log) or untouched.
"""

from __future__ import annotations

import json
import random
import re
import threading
import zlib

NEXT_DATA = re.compile(r'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)', re.S)
_META_CHARSET = re.compile(r"<meta\b[^>]*charset[^>]*>", re.I)
_OPTIONAL_END = re.compile(r"</(?:p|li|td|tr|option)>|</body>|</html>", re.I)
_INLINE_TAG = re.compile(r"</?(?:p|span|b|i|strong|em|a|br)(?:\s[^<>]*)?/?>", re.I)
_MARKED = re.compile(r"\s(?:class|id)=", re.I)
_PROTECTED = re.compile(r"<script\b.*?</script>|<title>.*?</title>|<style\b.*?</style>", re.S | re.I)


# ------------------------------------------------------------------ HTML
def html_unclosed(text: str) -> str:
    """Drop the end tags an HTML parser infers anyway, and the document's closing tags."""
    return _outside_protected(text, lambda part: _OPTIONAL_END.sub("", part))


def html_tags_dropped(text: str, seed: int, share: float = 1 / 3) -> str:
    """Delete a seeded ``share`` of the inline tags outside scripts and the title."""
    rng = random.Random(seed)

    def drop(m: re.Match) -> str:
        tag = m.group(0)
        if _MARKED.search(tag):  # class/id-marked tags (bylines, captions) stay findable
            return tag
        return "" if rng.random() < share else tag

    return _outside_protected(text, lambda part: _INLINE_TAG.sub(drop, part))


def html_body_missing(text: str) -> str:
    """The document cut right after ``</title>`` (a renderer that died mid-page)."""
    i = text.lower().find("</title>")
    return text[: i + len("</title>")] if i >= 0 else text[: len(text) // 8]


def _outside_protected(text: str, fn) -> str:
    out, pos = [], 0
    for m in _PROTECTED.finditer(text):
        out.append(fn(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fn(text[pos:]))
    return "".join(out)


def nextdata_truncated(text: str, seed: int) -> str:
    """``__NEXT_DATA__`` cut at a seeded point between 20 % and 80 % of its length."""

    def cut(m):
        js = m.group(2)
        at = len(js) * random.Random(seed).randint(20, 80) // 100
        return m.group(1) + js[:at] + m.group(3)

    return NEXT_DATA.sub(cut, text, count=1)


def nextdata_not_json(text: str) -> str:
    """``__NEXT_DATA__`` as a JavaScript literal: single quotes, so no JSON parser accepts it."""
    return NEXT_DATA.sub(
        lambda m: m.group(1) + "{'__mock':1," + m.group(2)[1:].replace('"', "'") + m.group(3), text, count=1
    )


_JSON_TITLE = re.compile(r'("contentDetail":\{.*?"name":")([^"\\]{2})')
_JSON_FIRST_PARA = re.compile(r"(\\u003cp\\u003e)([^\\]{2})")


def nextdata_lone_surrogates(text: str) -> str:
    """Two escapes of half a UTF-16 pair written into ``__NEXT_DATA__`` (no character: a writer that
    cut a pair in two): a high one after the article title's second character, a low one after the
    first paragraph's second character. The page still parses as JSON; its text is the article's."""

    def damage(m):
        js = _JSON_TITLE.sub(lambda t: t.group(1) + t.group(2) + "\\ud800", m.group(2), count=1)
        js = _JSON_FIRST_PARA.sub(lambda t: t.group(1) + t.group(2) + "\\udc00", js, count=1)
        return m.group(1) + js + m.group(3)

    return NEXT_DATA.sub(damage, text, count=1)


def page_damage(kind: str, text: str, seed: int) -> str:
    """The ``html_*`` and ``nextdata_*`` kinds by name."""
    if kind == "html_unclosed":
        return html_unclosed(text)
    if kind == "html_tags_dropped":
        return html_tags_dropped(text, seed)
    if kind == "html_body_missing":
        return html_body_missing(text)
    if kind == "nextdata_truncated":
        return nextdata_truncated(text, seed)
    if kind == "nextdata_not_json":
        return nextdata_not_json(text)
    if kind == "nextdata_lone_surrogates":
        return nextdata_lone_surrogates(text)
    raise ValueError(kind)


# ------------------------------------------------------------------ one copy of the text damaged
_JSON_PARA = re.compile(r"\\u003cp\\u003e(.*?)\\u003c/p\\u003e")
_DOM_BODY = re.compile(r'<div class="index_cententWrap[^"]*">(.*?)</div>', re.S)
_DOM_PARA = re.compile(r"<p>(.*?)</p>")
_HAN = re.compile("[\u4e00-\u9fff]")


def copy_lost_bytes(kind: str, body: bytes, seed: int) -> bytes:
    """One byte lost from one character of a Next.js page's article text, in one of its two copies:
    ``copy_lost_bytes_json`` in ``__NEXT_DATA__``'s ``contentDetail.content`` (the copy the record
    is read from), ``copy_lost_bytes_body`` in the rendered body. The character is a seeded Han
    character at least 8 characters from either end of the first paragraph that has 24 or more;
    its UTF-8 lead byte is kept and the next one dropped, so the page no longer decodes there.
    The other copy stays whole, and pages without ``__NEXT_DATA__`` are unchanged."""
    text = body.decode("utf-8")
    script = NEXT_DATA.search(text)
    if script is None:
        return body
    if kind == "copy_lost_bytes_json":
        start, end, paras = script.start(2), script.end(2), _JSON_PARA
    else:
        wrap = _DOM_BODY.search(text, 0, script.start())
        if wrap is None:
            return body
        start, end, paras = wrap.start(1), wrap.end(1), _DOM_PARA
    for m in paras.finditer(text, start, end):
        han = [k for k in range(m.start(1), m.end(1)) if _HAN.match(text[k])]
        inner = [k for k in han if m.start(1) + 8 <= k < m.end(1) - 8]
        if len(han) >= 24 and inner:
            at = len(text[: inner[seed % len(inner)]].encode("utf-8"))
            return body[: at + 1] + body[at + 2 :]
    return body


def strip_meta_charset(text: str) -> str:
    return _META_CHARSET.sub("", text)


# ------------------------------------------------------------------ charset
def charset_variant(kind: str, text: str) -> tuple[bytes, str]:
    """(body bytes, Content-Type) of a charset fault on an HTML page.

    ``charset_gbk_as_utf8``: GBK bytes (characters GBK lacks, such as ``©``, as HTML
    character references), header and meta say utf-8.
    ``charset_utf8_as_gb2312``: UTF-8 bytes, header says gb2312 (the meta still says utf-8).
    ``charset_missing``: UTF-8 bytes, no charset in the header and no meta charset.
    """
    if kind == "charset_gbk_as_utf8":
        return text.encode("gbk", errors="xmlcharrefreplace"), "text/html; charset=utf-8"
    if kind == "charset_utf8_as_gb2312":
        return text.encode("utf-8"), "text/html; charset=gb2312"
    if kind == "charset_missing":
        return strip_meta_charset(text).encode("utf-8"), "text/html"
    raise ValueError(kind)


# ------------------------------------------------------------------ list API
def api_damage(kind: str, doc: dict, request: dict) -> dict:
    """A damaged list API answer. ``request``: the parsed POST body (may be empty).

    ``api_busy``: ``code`` 99998, ``data`` null. ``api_missing_fields``: ``data``
    without ``list``/``hasNext``/``startTime``. ``api_empty_hasnext``: empty list,
    ``hasNext`` true, the request's own ``startTime`` echoed back.
    ``api_cursor_stuck``: the normal items but the request's ``startTime`` echoed
    back, so following the cursor asks for the same page again.
    """
    if kind == "api_busy":
        return {"code": 99998, "desc": "系统繁忙", "time": doc.get("time"), "data": None}
    data = doc.get("data")
    if not isinstance(data, dict):
        return doc
    data = dict(data)
    if kind == "api_missing_fields":
        for k in ("list", "hasNext", "startTime"):
            data.pop(k, None)
    elif kind == "api_empty_hasnext":
        data.update(list=[], hasNext=True, startTime=request.get("startTime"))
    elif kind == "api_cursor_stuck":
        data["startTime"] = request.get("startTime")
    else:
        raise ValueError(kind)
    return dict(doc, data=data)


def api_body(kind: str, body: bytes, request_body: bytes) -> bytes:
    """:func:`api_damage` over raw bytes; non-JSON answers (WAF page) pass unchanged."""
    try:
        doc = json.loads(body)
        req = json.loads(request_body or b"{}")
    except ValueError:
        return body
    if not isinstance(doc, dict):
        return body
    return json.dumps(
        api_damage(kind, doc, req if isinstance(req, dict) else {}), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


# ------------------------------------------------------------------ size
_CACHE: dict[tuple, bytes] = {}
_CACHE_LOCK = threading.Lock()

GZIP_BOMB_SIZE = 200 * 1024 * 1024
OVERSIZED_SIZE = 40 * 1024 * 1024


def gzip_bomb(size: int = GZIP_BOMB_SIZE) -> bytes:
    """A gzip member that inflates to ``size`` zero bytes (built once per size, then cached)."""
    key = ("bomb", size)
    with _CACHE_LOCK:
        if key not in _CACHE:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            block, parts, left = bytes(1 << 20), [], size
            while left > 0:
                parts.append(comp.compress(block[: min(left, len(block))]))
                left -= len(block)
            parts.append(comp.flush())
            _CACHE[key] = b"".join(parts)
        return _CACHE[key]


def oversized(body: bytes, content_type: str, size: int = OVERSIZED_SIZE) -> bytes:
    """``body`` padded to at least ``size`` bytes and still well formed: an HTML comment
    before ``</body>`` in HTML, trailing spaces otherwise (valid after JSON)."""
    need = max(0, size - len(body))
    if "html" in content_type:
        pad = b"<!--" + b"x" * max(0, need - 7) + b"-->"
        i = body.rfind(b"</body>")
        return body[:i] + pad + body[i:] if i >= 0 else body + pad
    return body + b" " * need
