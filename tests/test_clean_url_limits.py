"""``thepaper-archive clean URL`` fetches with Scrapy's engine and the crawl's downloader
middlewares (:mod:`crawler.fetch_once`): the crawl's limits hold for it, each as one line with
its exit code, run as typed against a small server of the test's own that answers as told."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.fetch_once import LEFT_OUT_MIDDLEWARES, ONE_PAGE_SETTINGS, one_page_settings
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import ROOT, cli_env, messages, run_cli

DATASET = generate_dataset(40, seed=2)
NEWS = next(a for a in DATASET.articles() if a.kind == "news")
PAGE = MockSite(DATASET).respond("GET", f"/newsDetail_forward_{NEWS.cont_id}", {}).body  # an article page of the mock


class _Server:
    """Answers by path (a page, robots.txt missing, a redirect loop, a redirect to a private address) and notes the paths asked for."""

    def __init__(self):
        seen: list[str] = []
        self.seen = seen
        self.asked = threading.Event()  # /hang was asked for
        self.release = threading.Event()  # /hang may answer
        asked, release = self.asked, self.release

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.path)
                if self.path == "/robots.txt":
                    self._send(404, b"", "text/plain")
                elif self.path.startswith("/loop/"):
                    n = int(self.path.rsplit("/", 1)[1])
                    self.send_response(302)
                    self.send_header("Location", f"/loop/{n + 1}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/hang":
                    asked.set()
                    release.wait(600)
                    self._send(200, PAGE, "text/html; charset=utf-8")
                elif self.path == "/to-private":
                    self.send_response(302)
                    self.send_header("Location", "http://10.255.255.1/page")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._send(200, PAGE, "text/html; charset=utf-8")

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.close()


CASES = [
    # (path, extra arguments, exit code, text of the one line, paths the server saw)
    (
        "/page",
        ["-s", "DOWNLOAD_MAXSIZE=1000"],
        2,
        "is larger than the 1,000 bytes a page may have (DOWNLOAD_MAXSIZE)",
        None,
    ),
    ("/loop/0", ["-s", "REDIRECT_MAX_TIMES=2"], 2, "more than 2 redirects", ["/loop/0", "/loop/1", "/loop/2"]),
    # a redirect to a private address: the guard refuses the hop before any connection
    ("/to-private", [], 2, "redirect to http://10.255.255.1/page: 10.255.255.1 is a private address", ["/to-private"]),
]


@pytest.mark.parametrize("path, extra, code, text, seen", CASES, ids=["maxsize", "redirects", "private-hop"])
def test_the_crawls_limits_hold_for_one_page(server, path, extra, code, text, seen):
    server.seen.clear()
    proc = run_cli("clean", server.base + path, "--base-url", server.base, *extra)
    lines = messages(proc.stderr)
    assert proc.returncode == code and proc.stdout == "", proc.stderr
    assert len(lines) == 1 and lines[0].startswith("thepaper-archive: error: ") and text in lines[0], lines
    if seen is not None:
        assert [p for p in server.seen if p != "/robots.txt"] == seen


def test_a_page_within_the_limit_is_cleaned(server):
    server.seen.clear()
    proc = run_cli("clean", server.base + "/page", "--base-url", server.base)
    assert proc.returncode == 0 and NEWS.title in proc.stdout, proc.stderr
    assert server.seen == ["/robots.txt", "/page"]


def test_one_page_settings_store_nothing_and_retry_nothing():
    from scrapy.settings import Settings

    project = Settings({"DOWNLOADER_MIDDLEWARES": {name: 500 for name in LEFT_OUT_MIDDLEWARES}, "LOG_LEVEL": "DEBUG"})
    s = one_page_settings(project)
    assert s.getdict("ITEM_PIPELINES") == {} and s.getdict("EXTENSIONS") == {}
    assert s.getbool("RETRY_ENABLED") is False and s.getbool("HTTPERROR_ALLOW_ALL") is True
    assert all(s.getdict("DOWNLOADER_MIDDLEWARES")[name] is None for name in LEFT_OUT_MIDDLEWARES)
    assert s.get("LOG_LEVEL") == "CRITICAL"  # set at the project's priority: a user's -s wins
    assert set(ONE_PAGE_SETTINGS) <= set(s.attributes)
    assert set(project.getdict("DOWNLOADER_MIDDLEWARES").values()) == {500}  # the project's are left as they were


@pytest.mark.parametrize(
    "signum, code, line", [("SIGINT", 130, "interrupted (SIGINT)"), ("SIGTERM", 143, "terminated (SIGTERM)")]
)
def test_a_signal_during_the_fetch_is_one_line_and_its_exit_code(server, signum, code, line):
    """Scrapy's shutdown stops the fetch; the signal then means what it means to every command."""
    server.asked.clear()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "clean", server.base + "/hang", "--base-url", server.base],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's foreground job
    )
    try:
        assert server.asked.wait(600), "the page was never asked for"
        proc.send_signal(getattr(signal, signum))
        out, err = proc.communicate(timeout=600)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == code and out == "", err
    assert messages(err) == [f"thepaper-archive: error: {line}"]
