"""A comment thread under the article, on a page of no known layout: readers' replies, not the
article's text.

A thread is a run of reply headers: short lines that carry a date with a clock time (when the
reply was posted) beside a name or a subject, never a sentence, each followed by the reply's few
lines. :func:`thread_start` finds the last such run that reaches the end of the body; the body
ends where it begins. Its headers may start with a forum's ``#`` and ``re:`` (taken for Markdown
headings by a check that saw the replies as the article's text). The article's own time line at
the top is no thread: a long stretch of text separates it from any reply that follows.
"""

from __future__ import annotations

import re

from cleaning.extract.shape import is_prose

_STAMP = re.compile(
    r"(?<!\d)(?:19|20)\d\d\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}\s*日?\s*[T\s]?\s*\d{1,2}\s*[:：]\s*\d{2}(?!\d)"
)
_SPACE = re.compile(r"[\s\u3000\xa0]+")
#: a header's text beside its stamp: a name or a subject, at most this many characters
MAX_HEADER_REST = 40
#: at most this many characters of reply text between two headers of one thread
MAX_REPLY_CHARS = 600
#: headers that make a thread
MIN_HEADERS = 3
#: a thread's last header is at most this many lines from the body's end (the form to reply)
MAX_TAIL_LINES = 12


def is_reply_header(line: str) -> bool:
    m = _STAMP.search(line)
    if not m:
        return False
    rest = _SPACE.sub("", line[: m.start()] + line[m.end() :])
    return 0 < len(rest) <= MAX_HEADER_REST and not is_prose(line)


def thread_start(lines: list[str]) -> int | None:
    """Index of the line a comment thread starts at (module doc), or None."""
    heads = [i for i, ln in enumerate(lines) if is_reply_header(ln)]
    if len(heads) < MIN_HEADERS or len(lines) - 1 - heads[-1] > MAX_TAIL_LINES:
        return None
    start = len(heads) - 1
    while start > 0 and sum(len(ln) for ln in lines[heads[start - 1] + 1 : heads[start]]) <= MAX_REPLY_CHARS:
        start -= 1
    if len(heads) - start < MIN_HEADERS or heads[start] == 0:
        return None
    if not any(is_prose(ln) for ln in lines[: heads[start]]):
        return None  # nothing of an article before it: the page is the thread (a forum)
    return heads[start]


def cut_thread(lines: list[str]) -> tuple[list[str], int]:
    """The body without the comment thread under it, and how many lines the thread had."""
    at = thread_start(lines)
    if at is None:
        return lines, 0
    return lines[:at], len(lines) - at
