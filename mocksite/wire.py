"""The mock site on the wire: a threading HTTP server whose connections can be cut, and the
request handler that writes each answer, the one place where faults change how it goes out
(resets, hangs, cut or broken bodies; see :mod:`.server`)."""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


from .damage import LOOP_MARK, _has_loop_mark, damaged, loop_partner
from .response import Response, _redirect


class _Reset(Exception):
    """Raised in a handler to end the connection with a TCP RST."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    site: Any  # the server.MockSite it serves (server imports this module, not the reverse)

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
    server: _Server
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
        site = self.server.site
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
        site = self.server.site
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
        site = self.server.site
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
