"""The mock thepaper.cn HTTP server: site pages and the list API on one host.

``MockSite(dataset).start()`` serves on loopback in a background thread. Every
answer is built by :meth:`MockSite.respond` (pure routing, no socket) and goes
out through :meth:`_Handler._send`, the one place where faults are applied:
:func:`damaged` changes what is answered (status, redirect, body), and the
handler changes how it goes on the wire (resets, hangs, cut or broken bodies).
The fault plan (``faults=``, see :mod:`.faults`) costs one regex search per
request when no rule matches.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import fault_bodies, render_api
from .dataset import Dataset, generate_dataset
from .faults import FaultPlan, FaultRule
from .render_common import NOT_FOUND_HTML
from .render_next import render_nextjs
from .render_old import render_desktop_old, render_mobile_2017

HTML = "text/html; charset=utf-8"
JSON = "application/json;charset=UTF-8"
WAF_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"/><title>WAF拦截页面</title></head>'
    "<body><h1>WAF拦截页面</h1><p>您的访问请求可能对网站造成安全威胁，已被拦截。</p></body></html>"
)

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

    def __init__(
        self,
        dataset: Dataset | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        faults=(),
        fault_seed: int = 0,
        page_cache: int = 2048,
        drift: bool = False,
    ):
        self.dataset = dataset if dataset is not None else generate_dataset()
        self.host, self.port, self.verbose = host, port, verbose
        #: Serve article pages as a new front-end build would (``render_next``); may be switched live.
        self.drift = drift
        self.faults = FaultPlan.from_config(faults, fault_seed)
        self.stopping = threading.Event()  # wakes handlers paused by a fault on stop()
        self.hanging = threading.Event()  # an outage: requests are read and never answered
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

    def start(self) -> MockSite:
        self._bind()
        self.stopping.clear()
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
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def outage(self, mode: str = "refuse") -> None:
        """The site goes down while a client crawls it: ``refuse`` (the server is gone: open
        connections are cut, new ones refused) or ``hang`` (connections are still accepted and
        requests read, but nothing answers). :meth:`recover` brings it back on the same port."""
        if mode == "hang":
            self.hanging.set()
            return
        if mode != "refuse":
            raise ValueError(f"outage mode is 'refuse' or 'hang', not {mode!r}")
        server = self._server
        self.stop()
        if server is not None:
            server.cut_connections()

    def recover(self) -> None:
        """The end of an :meth:`outage`."""
        self.hanging.clear()
        if self._server is None:
            self.start()

    def __enter__(self) -> MockSite:
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
            key = "channel_id" if path.startswith("/channel_") else "node_id"
            text = render_api.listing_page(self.dataset, **{key: int(m.group(1))})
            return _html(text) if text else _html(NOT_FOUND_HTML, 404)
        return _html(NOT_FOUND_HTML, 404)

    def _article(self, cont_id: int) -> Response:
        ds = self.dataset
        art = ds.by_id(cont_id)
        if art is None or art.kind in ("gone_404", "external"):
            return _html(NOT_FOUND_HTML, 404)
        drift = self.drift
        key = (cont_id, art.version, drift)
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
                text = render_nextjs(art, ds.nodes, drift=drift)
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
            kwargs = dict(
                start_time=req.get("startTime"), page_size=req.get("pageSize", 20), page_num=req.get("pageNum", 1)
            )
            if path.endswith("getByChannelId"):
                kwargs["channel_id"] = int(req["channelId"])
            else:
                kwargs["node_id"] = int(req["nodeId"])
        except (ValueError, KeyError, TypeError):
            return _json(BUSY)
        ds = self.dataset
        return _json(render_api.list_response(render_api.list_data(ds, **kwargs), ds.now_ms))


# ------------------------------------------------------------------ faults: what is answered
LOOP_MARK = "_mockloop=1"


def _nginx_error(status: int) -> Response:
    title = f"{status} {HTTPStatus(status).phrase}"
    return _html(
        f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
        f"<hr><center>nginx</center></body></html>",
        status,
    )


def _redirect(location: str) -> Response:
    return Response(302, HTML, b"<html><body><h1>302 Found</h1></body></html>", {"Location": location})


def _has_loop_mark(target: str) -> bool:
    return LOOP_MARK in urlsplit(target).query.split("&")


def loop_partner(target: str) -> str:
    """The other end of a redirect loop: the target with ``_mockloop=1`` added, or removed."""
    parts = urlsplit(target)
    query = [q for q in parts.query.split("&") if q and q != LOOP_MARK]
    if not _has_loop_mark(target):
        query.append(LOOP_MARK)
    return parts.path + ("?" + "&".join(query) if query else "")


def damaged(rule: FaultRule, resp: Response, target: str, req_body: bytes, base_url: str, seed: int) -> Response:
    """What a fault answers in place of ``resp`` (status, redirect or body); the wire
    damage (resets, hangs, cut or broken bodies) is the handler's business."""
    kind = rule.kind
    out = resp
    is_html = resp.content_type.startswith("text/html")
    if kind in ("500", "502", "503", "504", "429"):
        out = _nginx_error(int(kind))
    elif kind == "waf403":
        out = _html(WAF_HTML, 403)
    elif kind == "redirect_offsite":
        out = _redirect(rule.location.rstrip("/") + target)
    elif kind == "redirect_loop":
        out = _redirect(base_url + loop_partner(target))
    elif kind == "gzip_bomb":
        size = rule.size if rule.size is not None else fault_bodies.GZIP_BOMB_SIZE
        out = Response(200, resp.content_type, fault_bodies.gzip_bomb(size), {"Content-Encoding": "gzip"})
    elif kind in ("oversized", "oversized_chunked"):
        size = rule.size if rule.size is not None else fault_bodies.OVERSIZED_SIZE
        out = Response(
            resp.status,
            resp.content_type,
            fault_bodies.oversized(resp.body, resp.content_type, size),
            dict(resp.headers),
        )
    elif kind.startswith("api_"):
        if resp.content_type.startswith("application/json"):
            out = Response(
                resp.status, resp.content_type, fault_bodies.api_body(kind, resp.body, req_body), dict(resp.headers)
            )
    elif is_html and kind.startswith(("charset_", "html_", "nextdata_")):
        text = resp.body.decode("utf-8")
        if kind.startswith("charset_"):
            body, ctype = fault_bodies.charset_variant(kind, text)
            return Response(resp.status, ctype, body, dict(resp.headers))
        out = Response(
            resp.status,
            resp.content_type,
            fault_bodies.page_damage(kind, text, seed).encode("utf-8"),
            dict(resp.headers),
        )
    if kind in ("429", "waf403") and rule.retry_after is not None:
        out.headers["Retry-After"] = str(rule.retry_after)
    return out


# ------------------------------------------------------------------ the server
class _Reset(Exception):
    """Raised in a handler to end the connection with a TCP RST."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    site: MockSite

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections: set = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Close every open connection (kept-alive ones too), as a server that dies does."""
        with self.connections_lock:
            connections, self.connections = list(self.connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


_CUT_KINDS = ("truncate", "reset_mid_body", "hang_after_headers")
_CHUNKED_KINDS = ("chunked_bad_size", "chunked_unterminated", "oversized_chunked")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle plus
        # delayed ACKs stall every keep-alive response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            super().handle()
        except _Reset:
            self._reset()

    def _reset(self) -> None:
        """Close with RST: SO_LINGER 0, then really close (no FIN first)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        self.rfile.close()
        self.connection.close()

    def _handle(self, method: str) -> None:
        site: MockSite = self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if site.hanging.is_set():  # an outage: read, never answer
            while site.hanging.is_set() and not site.stopping.wait(0.1):
                pass
            self.close_connection = True
            return
        site.count(urlsplit(self.path).path)
        if LOOP_MARK in self.path and _has_loop_mark(self.path):  # the B leg of a redirect loop always points back to A
            self._write(_redirect(site.base_url + loop_partner(self.path)), method)
            return
        fault = site.faults.decide(self.path, body)
        resp = site.respond(method, self.path, self.headers, body)
        self._send(resp, method, fault, body)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_PUT(self):
        self._handle("PUT")

    def _send(self, resp: Response, method: str, fault, body: bytes = b"") -> None:
        """Write ``resp``; the single place where an injected fault replaces or damages it."""
        if fault is None:
            self._write(resp, method)
            return
        site: MockSite = self.server.site
        kind = fault.kind
        if kind == "reset_before_response":
            raise _Reset
        self.connection.settimeout(max(5.0, site.faults.max_delay))  # a stalled client cannot pin us
        try:
            if kind == "slow":
                self._pause(fault.delay)
            resp = damaged(fault, resp, self.path, body, site.base_url, site.faults.content_seed(self.path, body))
            if kind in _CUT_KINDS:
                self._head(resp, close=True)
                if method == "HEAD":
                    return
                if kind == "hang_after_headers":
                    self._pause(fault.delay)
                    return
                self._raw(resp.body[: len(resp.body) // 2])
                if kind == "reset_mid_body":
                    raise _Reset
            elif kind in _CHUNKED_KINDS:
                self._chunked(resp, method, kind)
            else:
                self._write(resp, method, close=kind in ("gzip_bomb", "oversized"))
        finally:
            if not self.close_connection:
                self.connection.settimeout(None)

    def _pause(self, delay: float) -> None:
        site: MockSite = self.server.site
        site.stopping.wait(min(delay, site.faults.max_delay))

    def _head(self, resp: Response, *, close: bool = False, chunked: bool = False) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _raw(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            return True
        except OSError:  # peer gone or stalled past the timeout
            self.close_connection = True
            return False

    def _write(self, resp: Response, method: str, *, close: bool = False) -> None:
        self._head(resp, close=close)
        if method != "HEAD":
            self._raw(resp.body)

    def _chunked(self, resp: Response, method: str, kind: str) -> None:
        """Chunked body: well formed (``oversized_chunked``), with a non-hex second chunk
        size (``chunked_bad_size``) or without the final zero chunk (``chunked_unterminated``)."""
        self._head(resp, close=True, chunked=True)
        if method == "HEAD":
            return
        body = resp.body
        step = 1 << 20 if kind == "oversized_chunked" else max(1, (len(body) + 1) // 2)
        pieces = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
        for n, piece in enumerate(pieces):
            size = b"zz" if kind == "chunked_bad_size" and n == 1 else b"%x" % len(piece)
            if not self._raw(size + b"\r\n" + piece + b"\r\n"):
                return
        if kind == "chunked_bad_size" and len(pieces) < 2:
            self._raw(b"zz\r\n")
        if kind == "oversized_chunked":
            self._raw(b"0\r\n\r\n")

    def log_message(self, fmt, *args):
        if self.server.site.verbose:
            super().log_message(fmt, *args)
