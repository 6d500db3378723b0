"""The mock thepaper.cn HTTP server: site pages and the list API on one host.

``MockSite(dataset).start()`` serves on loopback in a background thread. Every
answer is built by :meth:`MockSite.respond` (pure routing, no socket) and goes
out through :meth:`_Handler._send`, the one place where faults are applied.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import render_api
from .dataset import Dataset, generate_dataset
from .faults import FaultInjector
from .render_common import NOT_FOUND_HTML
from .render_next import render_nextjs
from .render_old import render_desktop_old, render_mobile_2017

HTML = "text/html; charset=utf-8"
JSON = "application/json;charset=UTF-8"
WAF_HTML = ('<!DOCTYPE html><html><head><meta charset="utf-8"/><title>WAF拦截页面</title></head>'
            '<body><h1>WAF拦截页面</h1><p>您的访问请求可能对网站造成安全威胁，已被拦截。</p></body></html>')

_ARTICLE = re.compile(r"^/(?:newsDetail_forward_|detail/)(\d{1,10})/?$")
_CHANNEL = re.compile(r"^/channel_(\d{1,10})/?$")
_NODE = re.compile(r"^/list_(\d{1,10})/?$")
API_PATHS = ("/contentapi/nodeCont/getByNodeIdPortal", "/contentapi/nodeCont/getByChannelId")


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict = field(default_factory=dict)


def _json(obj, status: int = 200) -> Response:
    return Response(status, JSON, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _html(text: str, status: int = 200) -> Response:
    return Response(status, HTML, text.encode("utf-8"))


BUSY = {"code": 99998, "desc": "系统繁忙", "time": None, "data": None}


class MockSite:
    """The mock site; use as a context manager or call :meth:`start`/:meth:`stop`."""

    def __init__(self, dataset: Dataset | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 verbose: bool = False, faults=(), fault_seed: int = 0, page_cache: int = 2048):
        self.dataset = dataset if dataset is not None else generate_dataset()
        self.host, self.port, self.verbose = host, port, verbose
        self.faults = FaultInjector(faults, fault_seed)
        self.hits: Counter = Counter()
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple, bytes] = OrderedDict()
        self._page_cache = page_cache
        self._robots: bytes | None = None  # only old-era articles are disallowed: fixed per data set
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def _bind(self) -> None:
        if self._server is None:
            self._server = _Server((self.host, self.port), _Handler)
            self._server.site = self
            self.port = self._server.server_address[1]

    def start(self) -> "MockSite":
        self._bind()
        self._thread = threading.Thread(target=self._server.serve_forever, name="mocksite", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "MockSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ hits
    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def hits_article_pages(self) -> int:
        """Requests of article pages (``/newsDetail_forward_<id>``, ``/detail/<id>``)."""
        with self._lock:
            return sum(n for p, n in self.hits.items() if _ARTICLE.match(p))

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()

    # --------------------------------------------------------------- routing
    def respond(self, method: str, target: str, headers, body: bytes = b"") -> Response:
        """The answer to one request (no faults). ``headers``: a case-insensitive mapping."""
        path = urlsplit(target).path or "/"
        if path.startswith("/contentapi/"):
            return self._api(method, path, headers, body)
        if method not in ("GET", "HEAD"):
            return Response(405, HTML, b"<html><body>405 Method Not Allowed</body></html>", {"Allow": "GET, HEAD"})
        if path == "/robots.txt":
            if self._robots is None:
                self._robots = render_api.robots_txt(self.dataset).encode("utf-8")
            return Response(200, "text/plain; charset=utf-8", self._robots)
        m = _ARTICLE.match(path)
        if m:
            return self._article(int(m.group(1)))
        m = _CHANNEL.match(path) or _NODE.match(path)
        if m:
            key = ("channel_id" if path.startswith("/channel_") else "node_id")
            text = render_api.listing_page(self.dataset, **{key: int(m.group(1))})
            return _html(text) if text else _html(NOT_FOUND_HTML, 404)
        return _html(NOT_FOUND_HTML, 404)

    def _article(self, cont_id: int) -> Response:
        ds = self.dataset
        art = ds.by_id(cont_id)
        if art is None or art.kind in ("gone_404", "external"):
            return _html(NOT_FOUND_HTML, 404)
        key = (cont_id, art.version)
        with self._lock:
            cached = self._pages.get(key)
            if cached is not None:
                self._pages.move_to_end(key)
        if cached is None:
            if art.layout == "desktop_old" or art.kind == "gone_offline":
                text = render_desktop_old(art)
            elif art.layout == "mobile_2017":
                text = render_mobile_2017(art)
            else:
                text = render_nextjs(art, ds.nodes)
            cached = text.encode("utf-8")
            with self._lock:
                self._pages[key] = cached
                while len(self._pages) > self._page_cache:
                    self._pages.popitem(last=False)
        return Response(200, HTML, cached)

    def _api(self, method: str, path: str, headers, body: bytes) -> Response:
        if not headers.get("Referer"):
            return _html(WAF_HTML, 403)
        if path not in API_PATHS:
            return _json({"code": 404, "desc": "接口不存在", "time": self.dataset.now_ms, "data": None}, 404)
        if method != "POST":
            return Response(405, JSON, json.dumps(BUSY, ensure_ascii=False).encode("utf-8"), {"Allow": "POST"})
        if "application/json" not in (headers.get("Content-Type") or "").lower():
            return _json(BUSY)
        try:
            req = json.loads(body or b"{}")
            if not isinstance(req, dict):
                raise ValueError("not an object")
            kwargs = dict(start_time=req.get("startTime"), page_size=req.get("pageSize", 20),
                          page_num=req.get("pageNum", 1))
            if path.endswith("getByChannelId"):
                kwargs["channel_id"] = int(req["channelId"])
            else:
                kwargs["node_id"] = int(req["nodeId"])
        except (ValueError, KeyError, TypeError):
            return _json(BUSY)
        ds = self.dataset
        return _json(render_api.list_response(render_api.list_data(ds, **kwargs), ds.now_ms))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    site: MockSite


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle plus
        # delayed ACKs stall every keep-alive response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self, method: str) -> None:
        site: MockSite = self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        site.count(urlsplit(self.path).path)
        resp = site.respond(method, self.path, self.headers, body)
        self._send(resp, method, site.faults.decide(self.path))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_PUT(self):
        self._handle("PUT")

    def _send(self, resp: Response, method: str, fault) -> None:
        """Write ``resp``; the single place where an injected fault replaces or damages it."""
        if fault is not None:
            if fault.kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "waf403":
                resp = _html(WAF_HTML, 403)
            elif fault.kind in ("500", "503", "429"):
                status = int(fault.kind)
                resp = _html(f"<html><body><h1>{status}</h1></body></html>", status)
                if status == 429:
                    resp.headers["Retry-After"] = "1"
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if fault is not None and fault.kind == "truncate":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if method == "HEAD":
            return
        body = resp.body[: len(resp.body) // 2] if fault is not None and fault.kind == "truncate" else resp.body
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, fmt, *args):
        if self.server.site.verbose:
            super().log_message(fmt, *args)
