"""The engine ceiling: the crawl's requests with nothing done with the answers.

``python -m bench.ceiling --base-url URL [--profile bench] [-s NAME=VALUE]``
runs :class:`CeilingSpider` with the project's settings and the same profile as
the full crawl, but no item pipelines and no extensions: it walks the same
channel and column lists through the list API and fetches the same article
pages, and only counts them. Prints one JSON line with the counts, the time and
the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys

import scrapy
from scrapy.http import JsonRequest

from crawler import listapi
from domain.urls import canonical_url


class CeilingSpider(scrapy.Spider):
    """Follows the lists to their end and fetches every listed article; keeps nothing."""

    name = "ceiling"

    async def start(self):
        s = self.crawler.settings
        self.site = s.get("THEPAPER_SITE_URL").rstrip("/")
        self.api = s.get("THEPAPER_API_URL").rstrip("/")
        self.headers = listapi.api_headers(self.site)
        self.seen: set[int] = set()
        for kind, ids in (("channel", s.getlist("THEPAPER_CHANNELS")), ("node", s.getlist("THEPAPER_NODES"))):
            for source_id in ids:
                yield self._list(kind, source_id, "")

    def _list(self, kind, source_id, start_time):
        return JsonRequest(
            self.api + listapi.list_path(kind),
            data=listapi.list_body(kind, source_id, start_time=start_time),
            headers=self.headers,
            callback=self.parse_list,
            dont_filter=True,
            meta={"kind": kind, "id": source_id, "start": start_time},
        )

    def parse_list(self, response):
        self.crawler.stats.inc_value("ceiling/list_pages")
        page = listapi.parse_list_response(response.body)
        for item in page.items:
            cont_id = listapi.item_cont_id(item)
            if cont_id is None or cont_id in self.seen or listapi.item_external_link(item):
                continue
            self.seen.add(cont_id)
            url = canonical_url(cont_id).replace("https://www.thepaper.cn", self.site, 1)
            yield scrapy.Request(url, callback=self.parse_article, meta={"handle_httpstatus_list": [404, 410]})
        if page.has_next and page.next_start_time is not None:
            yield self._list(response.meta["kind"], response.meta["id"], page.next_start_time)

    def parse_article(self, response):
        self.crawler.stats.inc_value("ceiling/article_pages")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling")
    p.add_argument("--base-url", required=True)
    p.add_argument("--profile", default="bench")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args(argv)

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in settings.getdict("PROFILES")[args.profile].items():
        settings.set(key, value, priority="cmdline")
    base = args.base_url.rstrip("/")
    overrides = {
        "THEPAPER_SITE_URL": base,
        "THEPAPER_API_URL": base,
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "LOG_LEVEL": "WARNING",
    }
    for pair in args.set:
        key, value = pair.split("=", 1)
        overrides[key] = value
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER (default on): no deprecated argument
    crawler = process.create_crawler(CeilingSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    out = {
        "article_pages": int(stats.get("ceiling/article_pages", 0)),
        "list_pages": int(stats.get("ceiling/list_pages", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "elapsed_s": float(stats.get("elapsed_time_seconds", 0.0)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
