"""What the mock's fault tests share: a data set with an article of each layout, the mock serving it
(module-scoped in each module that imports them), raw HTTP requests that show exactly what went on
the wire, and the parts of a response they check."""

from __future__ import annotations

import http.client
import json
import re
import socket

import pytest
from lxml import html as lxml_html

from mocksite import MockSite, generate_dataset
from mocksite.faults import KINDS


NODE_API = "/contentapi/nodeCont/getByNodeIdPortal"
API_HEADERS = {"Referer": "https://www.thepaper.cn/", "Content-Type": "application/json"}
ARTICLE_KINDS = [k for k, info in KINDS.items() if "article" in info.targets]


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def ds():
    return generate_dataset(300, seed=1)


def first(ds, layout, kind="news"):
    return next(a for a in ds.articles() if a.kind == kind and a.layout == layout)


@pytest.fixture(scope="module")
def arts(ds):
    return {layout: first(ds, layout) for layout in ("nextjs", "desktop_old", "mobile_2017")}


@pytest.fixture(scope="module")
def site(ds):
    """One rule per kind, selected by the query ``?f=<kind>`` (routing ignores the query)."""
    rules = [{"pattern": rf"[?&]f={k}$", "kind": k, "delay": 0.4, "size": 3 << 20} for k in KINDS]
    with MockSite(ds, faults={"rules": rules, "seed": 5, "max_delay": 5}) as s:
        yield s


def raw(site, target, method="GET", body=b"", headers=None, timeout=60.0):
    """Send one request on a fresh socket; return (bytes received, error that ended the read or None)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {site.host}:{site.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    sock = socket.create_connection((site.host, site.port), timeout=timeout)
    parts, err = [], None
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            parts.append(chunk)
    except OSError as exc:
        err = exc
    finally:
        sock.close()
    return b"".join(parts), err


def split(data: bytes) -> tuple[int, dict, bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete header block in {data[:200]!r}"
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def get(site, target, timeout=60.0):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=timeout)
    try:
        conn.request("GET", target)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post_api(site, payload: dict, target=NODE_API):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=60)
    try:
        conn.request("POST", target, body=json.dumps(payload).encode(), headers=API_HEADERS)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def page(art) -> str:
    return f"/newsDetail_forward_{art.cont_id}"


def parse_chunks(body: bytes) -> tuple[list[bytes], bool, bytes]:
    """(well-formed chunks, saw the final 0-size chunk, the first size line that is not hex)."""
    chunks, pos = [], 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        line = body[pos:end]
        if not re.fullmatch(rb"[0-9a-fA-F]+", line):
            return chunks, False, line
        n = int(line, 16)
        if n == 0:
            return chunks, True, b""
        chunks.append(body[end + 2 : end + 2 + n])
        pos = end + 2 + n + 2
    return chunks, False, b""


def dom_text(html_bytes: bytes, encoding="utf-8") -> str:
    doc = lxml_html.document_fromstring(html_bytes.decode(encoding))
    for s in doc.iter("script", "style"):
        s.drop_tree()
    return re.sub(r"\s+", "", doc.text_content())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
