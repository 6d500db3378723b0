"""JSON read without lone UTF-16 surrogates.

A JSON string may hold ``\\ud800``-``\\udfff`` escapes. Python's ``json`` joins a high one
followed at once by a low one into the character the pair encodes; any other such escape (a
*lone* surrogate: half of a pair whose other half the writer cut off) becomes a code point that
is not a character. No text can hold one: it cannot be encoded as UTF-8 for the database, the
word segmenter or the word model, and it carries no byte of the page's text.

:func:`loads` drops those escapes from the JSON text before reading it, and says where they were
(offsets in the text it read, the escape as written), so a caller records each one (rule
``lone_surrogate``, :mod:`cleaning.document`). A text without ``\\ud``/``\\uD`` is read as
``json.loads`` reads it, after one substring test.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Every escape of a JSON string (so that ``\\\\ud800``, an escaped backslash before ``ud800``,
#: is not read as one): a surrogate escape (group 1: high, group 2: low), or any other.
_ESCAPE = re.compile(r"\\(?:u(?:([dD][89abAB][0-9a-fA-F]{2})|([dD][c-fC-F][0-9a-fA-F]{2}))|u[0-9a-fA-F]{4}|.)", re.S)


def lone_surrogate_escapes(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans in ``text`` of its lone surrogate escapes: a high one not
    followed at once by a low one, a low one not preceded at once by a high one."""
    if "\\ud" not in text and "\\uD" not in text:
        return []
    out: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None  # a high escape waiting for its low half
    for m in _ESCAPE.finditer(text, text.find("\\")):
        if pending is not None:
            if m.group(2) is not None and m.start() == pending[1]:
                pending = None  # a pair: one character
                continue
            out.append(pending)
            pending = None
        if m.group(1) is not None:
            pending = m.span()
        elif m.group(2) is not None:
            out.append(m.span())
    if pending is not None:
        out.append(pending)
    return out


def without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the (ordered, disjoint) ``spans`` cut out."""
    parts, at = [], 0
    for start, end in spans:
        parts.append(text[at:start])
        at = end
    parts.append(text[at:])
    return "".join(parts)


def loads(data: str | bytes) -> tuple[Any, list[tuple[int, str]]]:
    """``json.loads(data)`` with its lone surrogate escapes dropped first, and the dropped ones:
    ``(offset in the text read, the escape as written)``; raises what ``json.loads`` raises.
    Bytes are decoded as ``json.loads`` decodes them (UTF-8, -16 or -32)."""
    if isinstance(data, (bytes, bytearray)):
        codec = json.detect_encoding(data)
        if codec == "utf-8" and b"\\ud" not in data and b"\\uD" not in data:
            return json.loads(data), []
        data = data.decode(codec, "surrogatepass")
    spans = lone_surrogate_escapes(data)
    if not spans:
        return json.loads(data), []
    dropped = [(start, data[start:end]) for start, end in spans]
    return json.loads(without_spans(data, spans)), dropped


_LONE = re.compile("[\ud800-\udfff]")


def drop_lone_surrogates(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` without its lone surrogates (a string read from JSON by another reader than
    :func:`loads`), and each dropped one: ``(offset in the text returned, its escape \\uXXXX)``."""
    try:
        text.encode("utf-8")  # fails on a lone surrogate only; a C loop, a third of a regex scan's time
        return text, []
    except UnicodeEncodeError:
        pass
    parts, dropped, at, out_len = [], [], 0, 0
    for m in _LONE.finditer(text):
        piece = text[at : m.start()]
        parts.append(piece)
        out_len += len(piece)
        dropped.append((out_len, f"\\u{ord(m.group()):04x}"))
        at = m.end()
    parts.append(text[at:])
    return "".join(parts), dropped
