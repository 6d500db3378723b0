"""Every setting of crawler/settings.py is assigned once: a second assignment silently replaces
the first (SPIDER_MIDDLEWARES was assigned twice, so the middlewares its comment turned off were on)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from scrapy.settings import Settings

SETTINGS = Path(__file__).resolve().parent.parent / "crawler" / "settings.py"


def test_no_setting_is_assigned_twice():
    names = Counter(
        target.id
        for node in ast.parse(SETTINGS.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_spider_middlewares_turned_off_are_off():
    from crawler import settings as module

    settings = Settings()
    settings.setmodule(module, priority="project")
    mws = settings.getwithbase("SPIDER_MIDDLEWARES")
    assert mws["scrapy.spidermiddlewares.depth.DepthMiddleware"] is None
    assert mws["scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware"] is None
    assert mws["crawler.middlewares.StopOnUnwritableArchive"] == 45
