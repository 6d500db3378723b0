"""Passwords in URLs, masked wherever text is written for people to read.

An archive on PostgreSQL, Redis for a distributed crawl and a proxy are named by URLs that
may carry a password (``postgresql://user:secret@host/db``). Crash files, log lines, run rows,
progress and error lines show the URL as ``postgresql://user:***@host/db``.
:func:`mask_passwords` finds such URLs anywhere in a text (a command line, a traceback, an
exception's message, the repr of a dict), so that a writer need not know where a URL may hide.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

#: ``scheme://user:password@``: the user is any run of characters a URL's userinfo holds
#: (none for ``redis://:secret@host``); the password runs to the last ``@`` before the end of
#: the URL (a space, a quote, a bracket), so that a password with an unescaped ``@`` or ``/``
#: in it is masked whole.
_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"<>()\[\]{}]*:)"
    r"(?P<password>[^\s'\"<>{}]*)@"
)


def mask_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "://" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['head']}{MASK}@" if m["password"] != MASK else m[0], text)


def mask_value(value: Any) -> Any:
    """A JSON-like value (a run's arguments) with every string in it masked."""
    if isinstance(value, str):
        return mask_passwords(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v) for v in value)
    return value
