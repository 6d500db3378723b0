"""The mock thepaper.cn HTTP server: site pages and the list API on one host.

``MockSite(dataset).start()`` serves on loopback in a background thread. Every
answer is built by :meth:`MockSite.respond` (pure routing, no socket) and goes
out through :meth:`wire._Handler._send`, the one place where faults are applied:
:func:`damage.damaged` changes what is answered (status, redirect, body), and the
handler changes how it goes on the wire (resets, hangs, cut or broken bodies).
The fault plan (``faults=``, see :mod:`.faults`) costs one regex search per
request when no rule matches.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, OrderedDict
from urllib.parse import urlsplit

from . import render_api
from .dataset import Dataset, generate_dataset
from .faults import FaultPlan
from .render_common import NOT_FOUND_HTML
from .render_next import render_nextjs
from .render_old import render_desktop_old, render_mobile_2017
from .damage import loop_partner  # noqa: F401 - importable from here
from .response import HTML, JSON, WAF_HTML, Response, _html, _json
from .wire import _Handler, _Server

_ARTICLE = re.compile(r"^/(?:newsDetail_forward_|detail/)(\d{1,10})/?$")
_CHANNEL = re.compile(r"^/channel_(\d{1,10})/?$")
_NODE = re.compile(r"^/list_(\d{1,10})/?$")
API_PATHS = ("/contentapi/nodeCont/getByNodeIdPortal", "/contentapi/nodeCont/getByChannelId")


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def _bind(self) -> _Server:
        if self._server is None:
            self._server = _Server((self.host, self.port), _Handler)
            self._server.site = self
            self.port = self._server.server_address[1]
        return self._server

    def start(self) -> MockSite:
        server = self._bind()
        self.stopping.clear()
        self._thread = threading.Thread(target=server.serve_forever, name="mocksite", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        server = self._bind()
        try:
            server.serve_forever()
        finally:
            server.server_close()
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

    def hits_total(self) -> int:
        """Requests of every path (a request held by a ``hang`` outage is not counted)."""
        with self._lock:
            return sum(self.hits.values())

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
