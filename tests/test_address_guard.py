"""The address guard: hosts read as the HTTP client reads them, and every connection checked on the
address it is really made to (imports, mirrors, redirect hops), through a resolver the tests inject."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from domain.hosts import BadHostError, address_kind, literal_refusal, normalise_host, normalise_url, refusal
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Failure, RawPage
from tests.conftest import cli_env, messages, run_cli

# --------------------------------------------------------------------------- host parsing
NORMALISED = [
    # numeric IPv4 forms (WHATWG IPv4 parser; inet_aton reads them the same way)
    ("127.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0x7f.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("10.0x10.1", "10.16.0.1"),
    ("0xA9.0xfe.169.254", "169.254.169.254"),
    # Unicode spellings: full-width digits and letters, ideographic and full-width full stops
    ("１２７.０.０.１", "127.0.0.1"),
    ("127。0。0。1", "127.0.0.1"),
    ("127．0｡0．1", "127.0.0.1"),
    ("ＬＯＣＡＬＨＯＳＴ", "localhost"),
    ("Ｂücher.de", "xn--bcher-kva.de"),
    ("faß.de", "fass.de"),
    ("%31%32%37.0.0.1", "127.0.0.1"),
    ("WWW.ThePaper.CN", "www.thepaper.cn"),
    ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
    ("[0:0::1]", "::1"),
    # negatives: already normal, unchanged
    ("www.thepaper.cn", "www.thepaper.cn"),
    ("8.8.8.8", "8.8.8.8"),
    ("api.thepaper.cn", "api.thepaper.cn"),
    ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("1.2.3.example", "1.2.3.example"),
    ("127.0.0.1", "127.0.0.1"),
]


@pytest.mark.parametrize("given_host, expected", NORMALISED)
def test_hosts_are_normalised_as_the_client_reads_them(given_host, expected):
    assert normalise_host(given_host) == expected
    assert normalise_host(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "bad",
    [
        "256.0.0.1",
        "1.2.3.4.5",
        "0x1g.1",
        "example.0x",
        "a b.com",
        "[::1",
        "[zz::1]",
        "exa%2fmple.com",
        "",
        "ü" + "c" * 70 + ".de",
    ],
)
def test_hosts_no_client_would_connect_to_are_refused(bad):
    with pytest.raises(BadHostError):
        normalise_host(bad)


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("93.184.216.34", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


def test_refusal_rule():
    allowed = frozenset({("127.0.0.1", 8765)})
    assert refusal("127.0.0.1", 8765, ["127.0.0.1"], allowed=allowed) is None  # the configured mock
    assert refusal("127.0.0.1", 6379, ["127.0.0.1"], allowed=allowed) == "127.0.0.1 is a loopback address"
    assert (
        refusal("mirror.example", 80, ["93.184.216.34", "10.0.0.1"])
        == "mirror.example resolves to 10.0.0.1, a private address"
    )  # one bad address refuses the host
    assert refusal("mirror.example", 80, ["93.184.216.34"]) is None
    assert refusal("mirror.example", 80, ["10.0.0.1"], allow_private=True) is None
    assert literal_refusal("localhost") and literal_refusal("a.localhost") and literal_refusal("2130706433") is None
    assert literal_refusal("127.0.0.1") == "127.0.0.1 is a loopback address"
    assert literal_refusal("www.thepaper.cn") is None  # a name: only resolving can judge it


def test_urls_keep_everything_but_the_host():
    assert (
        normalise_url("http://u:p@１２７.１:8080/newsDetail_forward_1?a=1#x")
        == "http://u:p@127.0.0.1:8080/newsDetail_forward_1?a=1#x"
    )
    assert (
        normalise_url("https://www.thepaper.cn/newsDetail_forward_1") == "https://www.thepaper.cn/newsDetail_forward_1"
    )


_LABEL = st.one_of(
    st.integers(0, 2**32 - 1).map(str),
    st.integers(0, 255).map(hex),
    st.integers(0, 255).map(lambda n: f"0{n:o}"),
    st.text("abcxyz0189-ＡＢ１２ü", min_size=1, max_size=8),
)
_HOSTS = st.lists(_LABEL, min_size=1, max_size=4).flatmap(
    lambda labels: st.lists(st.sampled_from([".", "。", "．"]), min_size=len(labels) - 1, max_size=len(labels) - 1).map(
        lambda dots: "".join(a + b for a, b in zip(labels, dots + [""]))
    )
)


@settings(max_examples=300, deadline=None)
@given(_HOSTS)
def test_scrapy_requests_connect_to_the_host_the_guard_checks(host):
    """Whatever the spelling, the host Scrapy's request carries normalises to the one the guard
    checked (the guard resolves and checks that one; the request is sent for the same)."""
    from scrapy import Request

    try:
        ours = normalise_host(host)
    except BadHostError:
        return
    sent = urlsplit(Request(f"http://{host}:81/newsDetail_forward_1").url).netloc.rsplit(":", 1)[0]
    assert normalise_host(sent) == ours
    assert normalise_host(ours) == ours


# --------------------------------------------------------------------------- the resolver
class _SyncPool:
    def callInThreadWithCallback(self, on_result, f, *args):  # noqa: N802
        try:
            result = f(*args)
        except Exception as exc:  # noqa: BLE001
            on_result(False, exc)
        else:
            on_result(True, result)


class _Reactor:
    def getThreadPool(self):  # noqa: N802
        return _SyncPool()

    def callFromThread(self, f, *args):  # noqa: N802
        f(*args)


class _Receiver:
    def __init__(self):
        self.addresses, self.complete = [], False

    def resolutionBegan(self, resolution):  # noqa: N802
        pass

    def addressResolved(self, address):  # noqa: N802
        self.addresses.append((address.host, address.port))

    def resolutionComplete(self):  # noqa: N802
        self.complete = True


def _resolve_with(answers, **kw):
    from crawler.addresses import AddressGuardResolver

    calls = []

    def resolve(host, port):
        calls.append(host)
        return answers[len(calls) - 1] if isinstance(answers, list) else answers[host]

    guard = AddressGuardResolver(_Reactor(), resolve, **kw)
    return guard, calls


def _connect(guard, host, port=80):
    receiver = _Receiver()
    guard.resolveHostName(receiver, host, port)
    assert receiver.complete
    return receiver.addresses


def test_resolver_hands_over_exactly_the_addresses_it_checked():
    guard, calls = _resolve_with(
        {
            "mirror.example": ["93.184.216.34"],
            "evil.example": ["93.184.216.34", "127.0.0.1"],
            "meta.example": ["169.254.169.254"],
        }
    )
    assert _connect(guard, "mirror.example") == [("93.184.216.34", 80)]
    assert _connect(guard, "evil.example") == []  # one private answer: nothing to connect to
    assert "resolves to 127.0.0.1" in guard.refusal_for("http://evil.example/x")
    assert _connect(guard, "META.example", 8080) == []
    assert (
        guard.refusal_for("http://meta.example:8080/")
        == "meta.example resolves to 169.254.169.254, a link-local address"
    )
    # IP literals in any spelling go through the same check, without a lookup
    for spelling in ("127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0"):
        assert _connect(guard, spelling) == []
    assert _connect(guard, "8.8.8.8", 443) == [("8.8.8.8", 443)]
    assert calls == ["mirror.example", "evil.example", "meta.example"]


def test_dns_rebinding_gets_nothing_past_the_guard():
    """A name that answers a public address first and a private one next: each connection uses
    the answer that was checked (without a cache every connection looks up and checks again)."""
    guard, calls = _resolve_with([["93.184.216.34"], ["127.0.0.1"]], cache_size=0)
    assert _connect(guard, "rebind.example") == [("93.184.216.34", 80)]
    assert _connect(guard, "rebind.example") == []
    cached, _ = _resolve_with([["93.184.216.34"], ["127.0.0.1"]])
    assert _connect(cached, "rebind.example") == _connect(cached, "rebind.example") == [("93.184.216.34", 80)]


def test_configured_endpoints_and_allow_private():
    guard, _ = _resolve_with({"localhost": ["127.0.0.1"]}, allowed=frozenset({("127.0.0.1", 8765)}))
    assert _connect(guard, "127.0.0.1", 8765) == [("127.0.0.1", 8765)]
    assert _connect(guard, "127.0.0.1", 6379) == []  # the same host, another service
    assert _connect(guard, "localhost", 8765) == []  # another spelling that is a name: checked
    open_, _ = _resolve_with({"intranet.example": ["10.0.0.5"]}, allow_private=True)
    assert _connect(open_, "intranet.example") == [("10.0.0.5", 80)]


def test_a_failed_lookup_hands_over_nothing_and_is_no_refusal():
    import socket

    def resolve(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    from crawler.addresses import AddressGuardResolver

    guard = AddressGuardResolver(_Reactor(), resolve)
    assert _connect(guard, "nowhere.example") == []
    assert guard.refusal_for("http://nowhere.example/") is None


# --------------------------------------------------------------------------- end to end
class _Mirror(BaseHTTPRequestHandler):
    hits: list = []
    body = "镜像站的内容\n\n与原文无关的一段话。".encode()

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def internal():
    """A service on loopback that no import or redirect may reach (an intranet page, metadata...)."""
    _Mirror.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


GONE_ID = 32400625  # not in the small data sets: the original answers 404, the mirror copy would be kept


def _guarded(tmp_path, hosts: str):
    return ("-s", "THEPAPER_RESOLVE=tests.fake_dns.resolve"), cli_env(
        THEPAPER_TEST_HOSTS=hosts, THEPAPER_TEST_LOOKUPS=str(tmp_path / "lookups.txt")
    )


def _rows(db_url, model, **where):
    with Session(create_engine(db_url)) as s:
        return list(s.scalars(select(model).filter_by(**where)))


@pytest.mark.parametrize(
    "spelling",
    [
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "0",
        "１２７.０.０.１",
        "127。0。0。1",
        "[::ffff:127.0.0.1]",
        "localhost",
        "ｌｏｃａｌｈｏｓｔ",
    ],
)
def test_import_refuses_every_spelling_of_loopback_in_one_line(tmp_path, spelling, internal):
    url = f"http://{spelling}:{internal}/newsDetail_forward_{GONE_ID}"
    proc = run_cli("import", "--db", f"sqlite:///{tmp_path / 'a.db'}", url)
    assert proc.returncode == 2
    host = normalise_host(spelling)
    why = (
        "a loopback name"
        if host == "localhost"
        else f"{'an unspecified' if host == '0.0.0.0' else 'a loopback'} address"
    )
    assert messages(proc.stderr) == [
        f"thepaper-archive: error: refused {url!r}: {host} is {why} (private or loopback addresses need --allow-private)"
    ]
    assert _Mirror.hits == []


def test_a_name_that_resolves_to_loopback_is_refused_where_it_connects(db_url, tmp_path, internal):
    flags, env = _guarded(tmp_path, "mirror.example.test=127.0.0.1")
    url = f"http://mirror.example.test:{internal}/newsDetail_forward_{GONE_ID}"
    # the original fails too (HTTP 500): a stored original would resolve the mirror's failure
    faults = [{"pattern": f"^/newsDetail_forward_{GONE_ID}$", "kind": "500"}]
    with MockSite(generate_dataset(10, seed=4), faults=faults) as site:
        proc = run_cli("import", "--base-url", site.base_url, "--db", db_url, "-q", *flags, url, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert _Mirror.hits == []  # neither robots.txt nor the page
        assert f"mirror.example.test {internal}" in (tmp_path / "lookups.txt").read_text()
        [failure] = _rows(db_url, Failure, url=url)
        assert failure.reason == "private_address" and failure.cont_id == GONE_ID
        assert "mirror.example.test resolves to 127.0.0.1, a loopback address" in failure.message
        assert "failed 2" in messages(proc.stderr)[-1]  # the mirror and the original

        allowed = run_cli(
            "import", "--base-url", site.base_url, "--db", db_url, "-q", "--allow-private", *flags, url, env=env
        )
        assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert _Mirror.hits == ["/robots.txt", f"/newsDetail_forward_{GONE_ID}"]
    assert [r.url for r in _rows(db_url, RawPage, kind="mirror")] == [url]


def test_unicode_hosts_are_fetched_not_dropped(db_url, tmp_path, internal):
    """Full-width digits and ideographic full stops: the request goes out for 127.0.0.1 (with
    --allow-private) and is archived, instead of vanishing in Scrapy's offsite filter."""
    with MockSite(generate_dataset(10, seed=4)) as site:
        proc = run_cli(
            "import",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "-q",
            "--allow-private",
            f"http://１２７。０。０。１:{internal}/newsDetail_forward_{GONE_ID}",
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"/newsDetail_forward_{GONE_ID}" in _Mirror.hits
    [raw] = _rows(db_url, RawPage, kind="mirror")
    assert raw.url == f"http://127.0.0.1:{internal}/newsDetail_forward_{GONE_ID}" and raw.status == 200


def _one_article(ds):
    return next(a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed)


@pytest.mark.parametrize("target, reason", [("loopback", "private_address"), ("offsite", "offsite_redirect")])
def test_a_refused_redirect_is_recorded_and_archived(db_url, tmp_path, internal, target, reason):
    """The site answers an article with a redirect to a service on loopback (same host, another
    port: only the configured port is allowed) or to another host: no connection is made, the
    failure is recorded, and the redirect itself is archived with it."""
    ds = generate_dataset(10, seed=4)
    art = _one_article(ds)
    location = f"http://127.0.0.1:{internal}" if target == "loopback" else "http://other.invalid"
    faults = [{"pattern": f"^/newsDetail_forward_{art.cont_id}$", "kind": "redirect_offsite", "location": location}]
    with MockSite(ds, faults=faults) as site:
        proc = run_cli("import", "--base-url", site.base_url, "--db", db_url, "-q", str(art.cont_id))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _Mirror.hits == []
    [failure] = _rows(db_url, Failure, cont_id=art.cont_id)
    assert failure.reason == reason
    [raw] = _rows(db_url, RawPage, cont_id=art.cont_id)
    assert raw.status == 302 and raw.headers["Location"] == f"{location}/newsDetail_forward_{art.cont_id}"
