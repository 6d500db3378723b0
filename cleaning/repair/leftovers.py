"""U+FFFD and private-use code points: never turned into text, dropped and counted; ``?``
standing for ``©``.

:func:`drop_replacement_runs` runs first: a run of U+FFFD (two or more: an emoji or a
character lost before the page was saved, nothing of its bytes left) and a line made of them
are dropped before any repair can read them. A lone U+FFFD stays for the tear repair, which
reads it as a lost byte only where the bytes after it are out of step (bytes behind it);
:func:`remove_private_use` drops what is left at the end.
"""

from __future__ import annotations

import re

_PUA_RE = re.compile("[\ue000-\uf8ff]")
_FFFD_RUN = re.compile("\ufffd(?:[ \t\u3000]*\ufffd)+")
_FFFD_LINE = re.compile("(?m)^[ \t\u3000?\ufffd]*\ufffd[ \t\u3000?\ufffd]*$")
# ``? 2014-2026 上海东方报业有限公司``, ``Copyright ? 2014``: a ? before a year (range) that opens
# a line or follows "Copyright"/版权.
_COPY_RE = re.compile(r"(?m)(^[ \t]*|(?:Copyright|版权所有|版權所有)[ \t]*)\?(?=[ \t]*(?:19|20)\d\d\b)", re.I)


def drop_replacement_runs(text: str) -> tuple[str, int]:
    """``text`` without its lines of U+FFFD (and ``?``) and its runs of two or more U+FFFD;
    how many U+FFFD were dropped."""
    if "\ufffd" not in text:
        return text, 0
    n = text.count("\ufffd")
    text = _FFFD_RUN.sub("", _FFFD_LINE.sub("", text))
    return text, n - text.count("\ufffd")


def remove_private_use(text: str) -> tuple[str, int, int]:
    """``text`` without private-use characters and U+FFFD; how many of each were dropped."""
    pua = len(_PUA_RE.findall(text))
    fffd = text.count("\ufffd")
    if pua:
        text = _PUA_RE.sub("", text)
    if fffd:
        text = text.replace("\ufffd", "")
    return text, pua, fffd


def restore_copyright(text: str) -> tuple[str, int]:
    if "?" not in text:
        return text, 0
    return _COPY_RE.subn(lambda m: m.group(1) + "©", text)
