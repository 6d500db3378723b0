"""Pure helpers of the storage layer: body HTML, tag names, header normalising, lock holders."""

from __future__ import annotations

import os
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.record import Image
from storage.proc import holder_dead, parse_holder, pid_alive
from storage.render import body_html, image_dicts
from storage.articles import clean_tag_names
from storage.raw import normalize_headers


@pytest.mark.parametrize(
    "paragraphs, images, expected",
    [
        (["一段"], [], "<p>一段</p>"),
        (["a < b & c > d", "\"q\" 's'"], [], "<p>a &lt; b &amp; c &gt; d</p>\n<p>&quot;q&quot; &#x27;s&#x27;</p>"),
        (["<script>alert(1)</script>"], [], "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        (["正文", "图注", "正文"], [Image("s", "图注")], '<p>正文</p>\n<p class="caption">图注</p>\n<p>正文</p>'),
        # a caption text used once in the images is a caption once only
        (["图注", "图注"], [{"src": "s", "caption": "图注"}], '<p class="caption">图注</p>\n<p>图注</p>'),
        (
            ["图注", "图注"],
            [Image("a", "图注"), Image("b", "图注")],
            '<p class="caption">图注</p>\n<p class="caption">图注</p>',
        ),
        # images without captions mark nothing
        (["", "x"], [Image("a", "")], "<p></p>\n<p>x</p>"),
        ([], [Image("a", "c")], ""),
    ],
)
def test_body_html(paragraphs, images, expected):
    assert body_html(paragraphs, images) == expected


@given(st.lists(st.text(max_size=40), max_size=8))
def test_body_html_never_lets_markup_through(paragraphs):
    html = body_html(paragraphs)
    inner = html.replace('<p class="caption">', "").replace("<p>", "").replace("</p>", "")
    assert "<" not in inner and ">" not in inner
    assert html.count("<p") == len(paragraphs)


@pytest.mark.parametrize(
    "images, expected",
    [
        ([Image("u", "c")], [{"src": "u", "caption": "c"}]),
        ([{"src": "u"}], [{"src": "u", "caption": ""}]),
        ([{"src": None, "caption": None}], [{"src": "", "caption": ""}]),
        (None, []),
    ],
)
def test_image_dicts(images, expected):
    assert image_dicts(images) == expected


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["人工智能", "芯片"], ["人工智能", "芯片"]),
        ([" 芯片 ", "芯片", "", "  "], ["芯片"]),
        (["b", "a", "b"], ["b", "a"]),
        (["长" * 300], ["长" * 200]),
        ([], []),
        (None, []),
    ],
)
def test_clean_tag_names(tags, expected):
    assert clean_tag_names(tags) == expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"Content-Type": "text/html"}, {"Content-Type": "text/html"}),
        ({b"Server": [b"nginx"]}, {"Server": "nginx"}),
        ({"Set-Cookie": ["a=1", "b=2"]}, {"Set-Cookie": "a=1, b=2"}),
        ({"X-Raw": b"\xe4\xb8\xad"}, {"X-Raw": "\xe4\xb8\xad"}),  # Latin-1: every byte kept
        ({"Content-Length": 12}, {"Content-Length": "12"}),
        (None, {}),
    ],
)
def test_normalize_headers(headers, expected):
    assert normalize_headers(headers) == expected


@pytest.mark.parametrize(
    "holder, expected",
    [
        ("web-1:1234", ("web-1", 1234)),
        ("host.example.org:1", ("host.example.org", 1)),
        ("fe80::1:77", ("fe80::1", 77)),
        ("nopid", ("nopid", None)),
        ("host:abc", ("host:abc", None)),
        ("", ("", None)),
    ],
)
def test_parse_holder(holder, expected):
    assert parse_holder(holder) == expected


def test_pid_alive_and_holder_dead():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = socket.gethostname()
    assert pid_alive(os.getpid()) and not pid_alive(proc.pid) and not pid_alive(0)
    assert holder_dead(f"{host}:{proc.pid}")
    assert not holder_dead(f"{host}:{os.getpid()}")
    assert not holder_dead(f"another-host-{host}:{proc.pid}")  # cannot tell for another host
    assert not holder_dead("garbage")


def test_zombie_counts_as_dead():
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 60
        while pid_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # exited but not reaped: a zombie
        assert not pid_alive(proc.pid)
    finally:
        proc.wait()
