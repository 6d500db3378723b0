"""``thepaper-archive clean URL`` (issue 27 item 14): the page fetched once, politely, with the
import's address guard and robots.txt, then cleaned as ``clean FILE`` cleans it. Every way it
fails is one line with its exit code; each case runs the command as typed against the mock."""

from __future__ import annotations

import json

import pytest

from mocksite.dataset import generate_dataset
from mocksite.faults import closed_port
from mocksite.server import MockSite
from tests.conftest import messages, run_cli

DATASET = generate_dataset(40, seed=2)
FIRST = {}
for _art in DATASET.articles():
    FIRST.setdefault(_art.kind, _art)
NEWS = FIRST["news"]
WITHDRAWN = DATASET.robots_disallowed_ids()[0]  # robots.txt disallows its page
FAILING = FIRST["paywalled"].cont_id  # the mock answers HTTP 500 for it (a fault rule)


@pytest.fixture(scope="module")
def site():
    with MockSite(DATASET, faults=[{"pattern": f"newsDetail_forward_{FAILING}$", "kind": "500"}]) as mock:
        yield mock


def _page(site, cont_id: int) -> str:
    return f"{site.base_url}/newsDetail_forward_{cont_id}"


def _clean(site, *args: str):
    site.reset_hits()
    return run_cli("clean", *args)


def test_a_url_is_cleaned_as_the_saved_page_is(site, tmp_path):
    url = _page(site, NEWS.cont_id)
    proc = _clean(site, url, "--base-url", site.base_url, "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    # cleaned under the article's canonical URL, as the crawl cleans a page of the configured site
    assert record["cont_id"] == NEWS.cont_id and record["title"] == NEWS.title
    assert record["url"] == f"https://www.thepaper.cn/newsDetail_forward_{NEWS.cont_id}"
    assert dict(site.hits) == {"/robots.txt": 1, f"/newsDetail_forward_{NEWS.cont_id}": 1}
    # the same bytes saved to a file and cleaned with --url give the same record
    saved = tmp_path / "page.html"
    saved.write_bytes(site.respond("GET", f"/newsDetail_forward_{NEWS.cont_id}", {}).body)
    from_file = run_cli("clean", str(saved), "--url", record["url"], "--json", check=True)
    assert json.loads(from_file.stdout) == record


@pytest.mark.parametrize("fmt, head", [("markdown", "# "), ("text", "cont_id: ")])
def test_a_url_in_text_and_markdown_with_explain(site, fmt, head):
    args = ["--format", fmt] + (["--explain"] if fmt == "text" else [])
    proc = _clean(site, _page(site, NEWS.cont_id), "--base-url", site.base_url, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(head) and NEWS.title.split("，")[0] in proc.stdout


def test_robots_txt_obeyed_unless_the_settings_say_otherwise(site):
    url = _page(site, WITHDRAWN)
    proc = _clean(site, url, "--base-url", site.base_url)
    assert proc.returncode == 5 and proc.stdout == ""
    host = url.split("/")[2]
    assert messages(proc.stderr) == [f"thepaper-archive: error: robots.txt of {host} disallows {url}: not fetched"]
    assert dict(site.hits) == {"/robots.txt": 1}  # the page was not asked for
    # the crawl's setting decides, as in a crawl: with ROBOTSTXT_OBEY off the page is fetched
    # (a withdrawn article's page is the offline notice: cleaned as a gone article)
    off = _clean(site, url, "--base-url", site.base_url, "-s", "ROBOTSTXT_OBEY=False", "--json")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["content_type"] == "gone" and "/robots.txt" not in site.hits


def _errors(site):
    base = site.base_url
    host = base.split("//")[1].split(":")[0]
    return [
        # the address guard: a loopback address that is not the configured site
        (
            [_page(site, NEWS.cont_id)],
            2,
            f"refused to connect for {_page(site, NEWS.cont_id)}: {host} is a loopback address "
            "(private or loopback addresses need --allow-private)",
            {},
        ),
        (
            [_page(site, FIRST["gone_404"].cont_id), "--base-url", base],
            2,
            "answered HTTP 404: no page to clean",
            {"/robots.txt": 1, f"/newsDetail_forward_{FIRST['gone_404'].cont_id}": 1},
        ),
        (
            [_page(site, FAILING), "--base-url", base],
            3,
            "answered HTTP 500: no page to clean",
            {"/robots.txt": 1, f"/newsDetail_forward_{FAILING}": 1},  # one request: no retry
        ),
        (
            [f"{base}/robots.txt", "--base-url", base],
            2,
            "is not an HTML page (Content-Type: text/plain)",
            {"/robots.txt": 2},  # robots.txt, then the page
        ),
        (
            [f"http://127.0.0.1:{closed_port()}/newsDetail_forward_1", "--allow-private"],
            3,
            "does not answer (Connection refused)",
            {},
        ),
        (["http://no-such-host.invalid/newsDetail_forward_1"], 3, "no-such-host.invalid does not resolve", {}),
    ]


@pytest.mark.parametrize("case", range(6))
def test_each_failure_is_one_line_with_its_exit_code(site, case):
    args, code, text, hits = _errors(site)[case]
    proc = _clean(site, *args)
    lines = messages(proc.stderr)
    assert proc.returncode == code and proc.stdout == "", proc.stderr
    assert len(lines) == 1 and lines[0].startswith("thepaper-archive: error: ") and text in lines[0], lines
    assert dict(site.hits) == hits  # what reached the mock


def test_site_options_apply_to_a_url_only(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_text("<html></html>", encoding="utf-8")
    proc = run_cli("clean", str(saved), "--allow-private")
    assert proc.returncode == 2
    assert messages(proc.stderr) == [
        f"thepaper-archive: error: --base-url, --allow-private and -s apply to a URL, and {saved} is none"
    ]


@pytest.mark.parametrize("given", [None, "probe/1.0 (+https://example.org)"])
def test_the_user_agent_is_the_settings_and_a_missing_robots_txt_allows(given):
    """A server of its own that notes what it is asked (the mock does not keep headers); its
    robots.txt is missing (404), which allows everything, as in Scrapy."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from crawler.settings import USER_AGENT

    page = MockSite(DATASET).respond("GET", f"/newsDetail_forward_{NEWS.cont_id}", {}).body
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers["User-Agent"]))
            found = self.path != "/robots.txt"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page) if found else 0))
            self.end_headers()
            self.wfile.write(page if found else b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        settings = ["-s", f"USER_AGENT={given}"] if given else []
        proc = run_cli("clean", f"{base}/newsDetail_forward_{NEWS.cont_id}", "--base-url", base, *settings)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0 and NEWS.title in proc.stdout, proc.stderr
    agent = given or USER_AGENT
    assert seen == [("/robots.txt", agent), (f"/newsDetail_forward_{NEWS.cont_id}", agent)]
