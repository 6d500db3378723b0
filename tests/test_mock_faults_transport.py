"""The mock's transport faults, as a client sees them on the wire: error statuses with Retry-After,
resets before and during a response, a closed port, truncated and chunked bodies, hangs and slow
answers, gzip bombs and oversized bodies, redirects offsite and in loops, and faults that are
transient for a number of times or permanent."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import zlib

import pytest

from mocksite import MockSite
from mocksite.faults import closed_port
from tests.mock_faults_helpers import arts, ds, get, page, parse_chunks, post_api, raw, site, split


# --------------------------------------------------------------------------- status faults
@pytest.mark.parametrize(
    "kind,status,retry_after,marker",
    [
        ("500", 500, None, "500 Internal Server Error"),
        ("502", 502, None, "502 Bad Gateway"),
        ("503", 503, None, "503 Service Unavailable"),
        ("504", 504, None, "504 Gateway Timeout"),
        ("429", 429, "1", "429 Too Many Requests"),
        ("waf403", 403, "1", "WAF拦截页面"),
    ],
)
def test_status_faults(site, arts, kind, status, retry_after, marker):
    got, headers, body = get(site, f"{page(arts['nextjs'])}?f={kind}")
    assert got == status
    assert headers.get("retry-after") == retry_after
    assert marker in body.decode("utf-8")
    assert arts["nextjs"].title not in body.decode("utf-8")


def test_retry_after_is_configurable(ds, arts):
    rules = [
        {"pattern": "a=1", "kind": "429", "retry_after": 7},
        {"pattern": "a=2", "kind": "waf403", "retry_after": None},
    ]
    with MockSite(ds, faults=rules) as s:
        assert get(s, page(arts["nextjs"]) + "?a=1")[1]["retry-after"] == "7"
        status, headers, _ = get(s, page(arts["nextjs"]) + "?a=2")
        assert status == 403 and "retry-after" not in headers


def test_status_fault_keeps_the_connection_usable(site, arts):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=60)
    try:
        conn.request("GET", page(arts["nextjs"]) + "?f=503")
        r = conn.getresponse()
        assert r.status == 503
        r.read()
        conn.request("GET", page(arts["nextjs"]))
        r = conn.getresponse()
        assert r.status == 200 and arts["nextjs"].title in r.read().decode()
    finally:
        conn.close()


# --------------------------------------------------------------------------- connection faults
@pytest.mark.parametrize("kind", ["reset_before_response", "reset"])
def test_reset_before_response_sends_rst_and_nothing_else(ds, arts, kind):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": kind}]) as s:
        data, err = raw(s, page(arts["nextjs"]))
    assert data == b""
    assert isinstance(err, ConnectionResetError)


def test_reset_mid_body_ends_with_rst(site, arts):
    data, err = raw(site, page(arts["nextjs"]) + "?f=reset_mid_body")
    assert isinstance(err, ConnectionResetError)
    if data:  # whatever arrived before the RST is a cut answer
        status, headers, body = split(data)
        assert status == 200 and len(body) < int(headers["content-length"])


def test_closed_port_refuses():
    port = closed_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_truncate_cuts_the_body_short_of_its_length(site, arts):
    full = get(site, page(arts["desktop_old"]))[2]
    data, err = raw(site, page(arts["desktop_old"]) + "?f=truncate")
    status, headers, body = split(data)
    assert err is None and status == 200
    assert int(headers["content-length"]) == len(full)
    assert body == full[: len(full) // 2]
    assert headers["connection"] == "close"


def wait_until(condition, what: str, limit: float = 60.0) -> None:
    """Wait for ``condition()`` (a state of the server, not a length of time)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {limit:g} s"
        time.sleep(0.01)


def test_hang_after_headers_is_bounded_and_others_are_served(ds, arts):
    """Headers come at once, then nothing for ``delay`` s, then the connection closes;
    meanwhile other requests are served. No wall-clock limit: the other page is served while
    the hang (600 s) is still going on, and stopping the mock ends the hang."""
    result = {}
    hanging = {"pattern": f"^{page(arts['nextjs'])}$", "kind": "hang_after_headers", "delay": 600}
    with MockSite(ds, faults={"rules": [hanging], "max_delay": 600}) as s:

        def hang():
            result["data"], result["err"] = raw(s, page(arts["nextjs"]), timeout=120)

        th = threading.Thread(target=hang)
        th.start()
        wait_until(lambda: s.hits_article_pages() >= 1, "the hanging request reached the mock")
        status, _, body = get(s, page(arts["mobile_2017"]), timeout=60)
        assert status == 200 and arts["mobile_2017"].title in body.decode()
        assert th.is_alive()  # the other page was served during the hang
    th.join(timeout=60)
    assert not th.is_alive()
    status, headers, body = split(result["data"])
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_hang_lasts_its_delay(site, arts):
    t0 = time.monotonic()
    data, _ = raw(site, page(arts["nextjs"]) + "?f=hang_after_headers")
    assert split(data)[2] == b"" and time.monotonic() - t0 >= 0.3


def test_hang_is_capped_by_max_delay_and_woken_by_stop(ds, arts):
    # capped: a 600 s hang bounded at 0.3 s ends long before the client's 120 s timeout
    with MockSite(ds, faults={"rules": [{"kind": "hang_after_headers", "delay": 600}], "max_delay": 0.3}) as s:
        data, _ = raw(s, page(arts["nextjs"]), timeout=120)
        assert split(data)[2] == b""
    s = MockSite(ds, faults={"rules": [{"kind": "hang_after_headers", "delay": 600}], "max_delay": 600}).start()
    out = {}
    th = threading.Thread(target=lambda: out.update(r=raw(s, page(arts["nextjs"]), timeout=120)))
    th.start()
    wait_until(lambda: s.hits_article_pages() >= 1, "the hanging request reached the mock")
    s.stop()  # wakes the hang: the client gets its answer long before its 120 s timeout
    th.join(timeout=60)
    assert not th.is_alive()
    assert split(out["r"][0])[2] == b""


def test_client_timeout_fires_during_a_hang(ds, arts):
    # a 600 s hang outlasts the client's 2 s timeout however busy the machine; stopping the mock ends it
    with MockSite(ds, faults={"rules": [{"kind": "hang_after_headers", "delay": 600}], "max_delay": 600}) as s:
        with pytest.raises(TimeoutError):
            get(s, page(arts["nextjs"]), timeout=2)


def test_slow_answers_in_full_after_the_delay(site, arts):
    t0 = time.monotonic()
    status, _, body = get(site, page(arts["nextjs"]) + "?f=slow")
    assert time.monotonic() - t0 >= 0.35  # a lower bound only: a busy machine is slower, never faster
    assert status == 200 and body == get(site, page(arts["nextjs"]))[2]


def test_head_gets_headers_only(site, arts):
    data, err = raw(site, page(arts["nextjs"]) + "?f=truncate", method="HEAD")
    status, headers, body = split(data)
    assert err is None and status == 200 and body == b"" and int(headers["content-length"]) > 0


# --------------------------------------------------------------------------- chunked
def test_chunked_bad_size(site, arts):
    full = get(site, page(arts["nextjs"]))[2]
    data, _ = raw(site, page(arts["nextjs"]) + "?f=chunked_bad_size")
    status, headers, body = split(data)
    assert status == 200 and headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    chunks, final, bad = parse_chunks(body)
    assert not final and bad and not re.fullmatch(rb"[0-9a-fA-F]+", bad)
    assert full.startswith(b"".join(chunks)) and len(b"".join(chunks)) < len(full)


def test_chunked_unterminated(site, arts):
    full = get(site, page(arts["nextjs"]))[2]
    data, err = raw(site, page(arts["nextjs"]) + "?f=chunked_unterminated")
    status, headers, body = split(data)
    assert err is None and headers["transfer-encoding"] == "chunked"
    chunks, final, bad = parse_chunks(body)
    assert not final and bad == b"" and b"".join(chunks) == full
    with pytest.raises(http.client.IncompleteRead):
        get(site, page(arts["nextjs"]) + "?f=chunked_unterminated")


# --------------------------------------------------------------------------- size
def test_gzip_bomb_default_inflates_to_200_mb(ds, arts):
    with MockSite(ds, faults=[{"kind": "gzip_bomb"}]) as s:
        status, headers, body = get(s, page(arts["nextjs"]))
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body) < 1 << 20
    d, total, buf = zlib.decompressobj(31), 0, body
    while buf:
        out = d.decompress(buf, 1 << 22)
        assert out.count(0) == len(out)
        total += len(out)
        buf = d.unconsumed_tail
    assert d.eof and total == 200 * 1024 * 1024


def test_gzip_bomb_size_is_configurable(site, arts):
    body = get(site, page(arts["nextjs"]) + "?f=gzip_bomb")[2]
    assert len(zlib.decompress(body, 31)) == 3 << 20


def test_oversized_default_is_40_mb_and_keeps_the_page(ds, arts):
    with MockSite(ds, faults=[{"pattern": "big", "kind": "oversized"}]) as s:
        full = get(s, page(arts["nextjs"]))[2]
        status, headers, body = get(s, page(arts["nextjs"]) + "?big")
    assert status == 200 and int(headers["content-length"]) == len(body) >= 40 * 1024 * 1024
    assert re.sub(rb"<!--x*-->", b"", body) == full


def test_oversized_chunked_has_no_length(site, arts):
    full = get(site, page(arts["desktop_old"]))[2]
    data, err = raw(site, page(arts["desktop_old"]) + "?f=oversized_chunked")
    status, headers, body = split(data)
    assert err is None and "content-length" not in headers and headers["transfer-encoding"] == "chunked"
    chunks, final, _ = parse_chunks(body)
    joined = b"".join(chunks)
    assert final and len(joined) >= 3 << 20 and re.sub(rb"<!--x*-->", b"", joined) == full


def test_oversized_json_stays_json(ds):
    with MockSite(ds, faults=[{"pattern": "contentapi", "kind": "oversized", "size": 1 << 20}]) as s:
        status, doc = post_api(s, {"nodeId": 27234, "pageSize": 5, "startTime": ""})
    assert status == 200 and doc["code"] == 200 and len(doc["data"]["list"]) == 5


# --------------------------------------------------------------------------- redirects
def test_redirect_offsite(site, arts):
    status, headers, _ = get(site, page(arts["nextjs"]) + "?f=redirect_offsite")
    assert status == 302 and headers["location"] == f"http://other.invalid{page(arts['nextjs'])}?f=redirect_offsite"


def follow(site, target, hops=8):
    seen = []
    for _ in range(hops):
        status, headers, body = get(site, target)
        seen.append((status, target))
        if status != 302:
            return seen, body
        loc = headers["location"]
        assert loc.startswith(site.base_url)
        target = loc[len(site.base_url) :]
    return seen, None


def test_redirect_loop_alternates_between_two_urls(site, arts):
    seen, body = follow(site, page(arts["nextjs"]) + "?f=redirect_loop")
    assert body is None and {s for s, _ in seen} == {302}
    targets = [t for _, t in seen]
    assert len(set(targets)) == 2 and targets[0::2] == [targets[0]] * 4 and targets[1::2] == [targets[1]] * 4


def test_transient_redirect_loop_ends_on_the_page(ds, arts):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "redirect_loop", "times": 2}]) as s:
        seen, body = follow(s, page(arts["nextjs"]))
    assert [st for st, _ in seen] == [302, 302, 302, 302, 200]
    assert arts["nextjs"].title in body.decode()


# --------------------------------------------------------------------------- transient vs permanent
@pytest.mark.parametrize(
    "kind", ["500", "waf403", "truncate", "reset_before_response", "html_body_missing", "redirect_offsite"]
)
def test_times_makes_a_fault_transient(ds, arts, kind):
    target = page(arts["nextjs"])
    with MockSite(ds, faults=[{"pattern": "forward", "kind": kind, "times": 2}]) as s:
        full = get(s, "/detail/" + str(arts["nextjs"].cont_id))[2]
        results = []
        for _ in range(4):
            data, err = raw(s, target)
            results.append(err is None and split(data)[0] == 200 and split(data)[2] == full)
        assert s.faults.expected_outcome(target) == "transient"
    assert results == [False, False, True, True]


def test_without_times_a_fault_is_permanent(ds, arts):
    target = page(arts["nextjs"])
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "502"}]) as s:
        assert [get(s, target)[0] for _ in range(5)] == [502] * 5
        assert s.faults.expected_outcome(target) == "permanent"
        s.faults.reset_counts()
        assert get(s, target)[0] == 502


def test_reset_counts_replays_transient_faults(ds, arts):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "503", "times": 1}]) as s:
        assert [get(s, page(arts["nextjs"]))[0] for _ in range(2)] == [503, 200]
        s.faults.reset_counts()
        assert get(s, page(arts["nextjs"]))[0] == 503
