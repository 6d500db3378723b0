"""``crawler.crashes.shown``: what a bug's line shows of its message (the traceback file has it all)."""

from __future__ import annotations

import pytest

from crawler.crashes import SHOWN_CHARS, shown


@pytest.mark.parametrize(
    "message, limit, expected",
    [
        ("Error processing FetchedPage(url='x')", 200, "Error processing FetchedPage(url='x')"),  # short: as it is
        ("", 200, ""),
        ("a" * 10, 10, "a" * 10),  # exactly the limit: whole
        ("a" * 11, 10, "a" * 9 + "…"),  # one more: cut, the mark within the limit
        ("two\nlines\r\n and\ttabs", 200, "two lines and tabs"),  # one line
        ("  padded  ", 200, "padded"),
        ("页面" * 150, 20, "页面" * 9 + "页…"),
    ],
)
def test_shown(message, limit, expected):
    assert shown(message, limit) == expected
    assert len(shown(message, limit)) <= limit and "\n" not in shown(message, limit)


def test_the_default_limit():
    assert len(shown("x " * 1000)) == SHOWN_CHARS
