"""Last stage: drop private-use code points and U+FFFD; ``?`` standing for ``©``."""

from __future__ import annotations

import re

_PUA_RE = re.compile("[\ue000-\uf8ff\ufffd]")
# ``? 2014-2026 上海东方报业有限公司``, ``Copyright ? 2014``: a ? before a year (range) that opens
# a line or follows "Copyright"/版权.
_COPY_RE = re.compile(r"(?m)(^[ \t]*|(?:Copyright|版权所有|版權所有)[ \t]*)\?(?=[ \t]*(?:19|20)\d\d\b)", re.I)


def remove_private_use(text: str) -> tuple[str, int]:
    n = len(_PUA_RE.findall(text))
    return (_PUA_RE.sub("", text), n) if n else (text, 0)


def restore_copyright(text: str) -> tuple[str, int]:
    if "?" not in text:
        return text, 0
    return _COPY_RE.subn(lambda m: m.group(1) + "©", text)
