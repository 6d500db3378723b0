"""The people a page credits outside the byline under its title: the bracketed dateline that
opens the body (``【王家俊／台北報導】配合…``, ``〔記者甲、乙／台北報導〕``), the closing credit of
the body (``……。（记者 胡晓蓉）``, ``（常书香 马丹阳）``) and the editor line (``编辑：X``,
``责任编辑：X``, wherever the page prints it, even split over two lines).

A closing credit with a role word (记者, 通讯员) names its people; a bare one is taken only when
each name opens with a common Chinese surname (a closing ``（待续）`` or ``（图文无关）`` is not a
person). An agency there (``（新华社）``) is a source, not an author.
"""

from __future__ import annotations

import re

from cleaning.extract.base import Extracted
from cleaning.extract.evidence import AGENCY, DATELINE
from cleaning.surnames import SURNAMES
from cleaning.metadata import parse_author
from cleaning.lazyre import lazy

_HAN_NAME = r"[\u4e00-\u9fff·]{2,4}"
_ROLE = r"(?:[\u4e00-\u9fff]{0,4}?(?:记者|記者|通讯员|通訊員))"
_CLOSING = lazy(rf"[（(]\s*(?:({_ROLE})\s*)?({_HAN_NAME}(?:[\s、，,]+{_HAN_NAME})*)\s*[）)]\s*$")
_EDITOR = lazy(r"(?:责任编辑|責任編輯|编辑|編輯)\s*[:：]\s*([\u4e00-\u9fff·]{2,4}|[A-Za-z][\w.-]{1,24})")
_FIELD_TAIL = lazy(r"(?:来源|來源|时间|時間|日期|作者)$")
#: How many closing paragraphs of the body are looked at for a credit.
TAIL_PARAGRAPHS = 6
# an outlet (联合报╱) and a role word may come first; the slash between names and dateline is
# required, so a name is never cut from the place that follows it (中央社記者甲台南4日電)
_OPENING = lazy(
    rf"^[【〔\[（(]\s*(?:[\u4e00-\u9fff]{{1,6}}[/／╱])?\s*(?:{_ROLE})?\s*"
    rf"({_HAN_NAME}(?:[、，,\s]+{_HAN_NAME})*)\s*[/／╱]\s*{DATELINE}\s*[】〕\]）)]"
)
#: How many opening paragraphs of the body are looked at for a dateline.
HEAD_PARAGRAPHS = 3


def opening_credit(paragraphs: list[str]) -> str:
    """The names of the bracketed dateline that opens one of the body's first paragraphs
    (module doc), space-separated, or ""."""
    for p in [p for p in paragraphs if p.strip()][:HEAD_PARAGRAPHS]:
        m = _OPENING.match(p.strip())
        if m:
            names = [n for n in re.split(r"[\s、，,]+", m.group(1)) if n]
            if names and not any(AGENCY.match(n) for n in names):
                return " ".join(names)
    return ""


def closing_credit(paragraphs: list[str]) -> str:
    """The names of the body's closing credit (module doc), space-separated, or ""."""
    for p in [p for p in paragraphs if p.strip()][-TAIL_PARAGRAPHS:][::-1]:
        m = _CLOSING.search(p.strip())
        if not m:
            continue
        names = [n for n in re.split(r"[\s、，,]+", m.group(2)) if n]
        if any(AGENCY.match(n) for n in names):
            continue
        if m.group(1) or all(n[0] in SURNAMES for n in names):
            return " ".join(names)
    return ""


def editor_line(lines: list[str]) -> str:
    """The page's first editor credit, as the text that states it (``编辑：X``), or ""."""
    for i, ln in enumerate(lines):
        if "编辑" not in ln and "編輯" not in ln:
            continue
        text = " ".join(lines[i : i + 2]) if re.search(r"[:：]\s*$", ln) else ln
        m = _EDITOR.search(text)
        if m and not _FIELD_TAIL.search(m.group(1)):
            return " ".join(m.group(0).split())
    return ""


def apply_credits(ex: Extracted, lines: list[str]) -> None:
    """Fill an empty byline from the body's opening dateline or closing credit, and an empty
    editor from the page's editor line."""
    if not parse_author(ex.author_raw)[0]:
        ex.author_raw = opening_credit(ex.paragraphs) or closing_credit(ex.paragraphs) or ex.author_raw
    if not ex.editor_raw:
        ex.editor_raw = editor_line(lines)
