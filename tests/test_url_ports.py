"""A port no TCP connection can have (above 65535) is a bad host for every reader of URLs
(``domain.hosts``): one line and exit code 2 from the commands that take a URL, not a traceback
from inside Scrapy; every port that exists is read as before."""

from __future__ import annotations

import pytest

from domain.hosts import BadHostError, host_port, normalise_url
from tests.conftest import messages, run_cli

GOOD = [
    ("http://127.0.0.1:65535/", ("127.0.0.1", 65535)),
    ("http://127.0.0.1:0/", ("127.0.0.1", 0)),
    ("http://example.org:00080/a", ("example.org", 80)),
    ("https://[::1]:8443/", ("::1", 8443)),
    ("https://www.thepaper.cn/newsDetail_forward_1", ("www.thepaper.cn", 443)),
    ("http://example.org:/", ("example.org", 80)),
]
BAD = ["http://127.0.0.1:65536/", "http://example.org:99999/newsDetail_forward_1", "https://[::1]:123456/"]


@pytest.mark.parametrize("url, expected", GOOD)
def test_ports_that_exist_are_read_as_before(url, expected):
    assert host_port(url) == expected
    assert normalise_url(url) == url  # already normalised: unchanged


@pytest.mark.parametrize("url", BAD)
def test_a_port_out_of_range_is_a_bad_host(url):
    with pytest.raises(BadHostError, match="out of range 0-65535"):
        host_port(url)
    with pytest.raises(BadHostError, match="out of range 0-65535"):
        normalise_url(url)


@pytest.mark.parametrize(
    "argv",
    [
        ["import", "--db", "{db}", "http://127.0.0.1:99999/newsDetail_forward_1", "--allow-private"],
        ["clean", "http://127.0.0.1:99999/newsDetail_forward_1"],
    ],
    ids=["import", "clean"],
)
def test_commands_say_it_in_one_line(tmp_path, argv):
    db = tmp_path / "a.db"
    proc = run_cli(*[a.format(db=db) for a in argv], cwd=tmp_path)
    lines = messages(proc.stderr)
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    assert len(lines) == 1 and "port 99999 out of range 0-65535" in lines[0], lines
