"""The archive the first-week tests read (issue 27): 40 articles crawled from the mock, module-scoped
in each module that imports it."""

from __future__ import annotations

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("firstweek")
    ds = generate_dataset(40, seed=27)
    db = tmp / "a.db"
    with MockSite(ds) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", check=True)
    return ds, db
