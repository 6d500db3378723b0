"""What the mock site answers, before it goes on the wire: a :class:`Response` and the usual
ones (JSON, HTML, an nginx error page, a redirect, the WAF's block page)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus


HTML = "text/html; charset=utf-8"
JSON = "application/json;charset=UTF-8"
WAF_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"/><title>WAF拦截页面</title></head>'
    "<body><h1>WAF拦截页面</h1><p>您的访问请求可能对网站造成安全威胁，已被拦截。</p></body></html>"
)


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


def _nginx_error(status: int) -> Response:
    title = f"{status} {HTTPStatus(status).phrase}"
    return _html(
        f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
        f"<hr><center>nginx</center></body></html>",
        status,
    )


def _redirect(location: str) -> Response:
    return Response(302, HTML, b"<html><body><h1>302 Found</h1></body></html>", {"Location": location})
