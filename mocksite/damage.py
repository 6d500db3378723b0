"""What an injected fault answers in place of the site's response (status, redirect, body):
:func:`damaged`, and the two ends of a redirect loop (see :mod:`.server`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from . import fault_bodies
from .faults import FaultRule
from .response import WAF_HTML, Response, _html, _nginx_error, _redirect

LOOP_MARK = "_mockloop=1"


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
    elif is_html and kind.startswith("copy_lost_bytes_"):
        out = Response(
            resp.status,
            resp.content_type,
            fault_bodies.copy_lost_bytes(kind, resp.body, seed),
            dict(resp.headers),
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
