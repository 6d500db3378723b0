"""``crawler.stats.CrawlStats`` (the crawl's ``STATS_CLASS``): Scrapy's in-memory stats with plain
attribute access; every call gives what Scrapy's own collector gives."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

import crawler.settings as project
from crawler.stats import CrawlStats


def _crawler():
    return SimpleNamespace(settings=Settings({"STATS_DUMP": False}), spider=None)


#: (method, args) in order; each collector runs all of them and both end with the same stats.
CALLS = [
    ("set_value", ("start_time", 12.5)),
    ("inc_value", ("downloader/request_count",)),
    ("inc_value", ("downloader/request_count",)),
    ("inc_value", ("downloader/request_bytes", 311)),
    ("inc_value", ("thepaper/coverage/pages", 1, 10)),  # start: the first count starts from it
    ("max_value", ("memusage/max", 100)),
    ("max_value", ("memusage/max", 90)),  # lower: kept at 100
    ("min_value", ("first_seen", 5)),
    ("min_value", ("first_seen", 7)),  # higher: kept at 5
    ("get_value", ("downloader/request_count",)),
    ("get_value", ("missing", "default")),
]


def test_the_same_stats_as_scrapys_collector():
    ours, scrapys = CrawlStats(_crawler()), MemoryStatsCollector(_crawler())
    for name, args in CALLS:
        assert getattr(ours, name)(*args) == getattr(scrapys, name)(*args), name
    assert ours.get_stats() == scrapys.get_stats()
    assert ours.get_stats() == {
        "start_time": 12.5,
        "downloader/request_count": 2,
        "downloader/request_bytes": 311,
        "thepaper/coverage/pages": 11,
        "memusage/max": 100,
        "first_seen": 5,
    }


def test_a_spider_argument_is_accepted_and_ignored():
    stats = CrawlStats(_crawler())
    spider = SimpleNamespace(name="thepaper")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning raised as an error
        stats.inc_value("a", spider=spider)
        stats.set_value("b", 2, spider)
    assert stats.get_value("a", spider=spider) == 1 and stats.get_value("b") == 2


def test_the_stats_outlive_the_run_per_spider():
    crawler = _crawler()
    crawler.spider = SimpleNamespace(name="thepaper")
    stats = CrawlStats(crawler)
    stats.inc_value("item_scraped_count")
    stats.close_spider(reason="finished")
    assert stats.spider_stats == {"thepaper": {"item_scraped_count": 1}}


def test_the_plain_attribute_access_is_what_makes_it_cheap():
    # no Python-level __getattribute__ between a caller and the stats dict
    assert CrawlStats.__getattribute__ is object.__getattribute__
    assert MemoryStatsCollector.__getattribute__ is not object.__getattribute__


def test_the_project_settings_name_it():
    settings = Settings()
    settings.setmodule(project, priority="project")
    assert settings.get("STATS_CLASS") == "crawler.stats.CrawlStats"
    crawler = get_crawler(settings_dict={"STATS_CLASS": settings.get("STATS_CLASS")})
    assert type(crawler.stats) is CrawlStats
