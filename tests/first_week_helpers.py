"""The archive the first-week tests read (issue 27): 40 articles crawled from the mock, built
once per test process."""

from __future__ import annotations

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def archive(firstweek_archive):
    return firstweek_archive
