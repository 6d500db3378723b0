"""Offline mock of thepaper.cn for end-to-end tests and manual runs.

``generate_dataset(n, seed)`` builds the articles lazily; ``MockSite(dataset)``
serves article pages (Next.js, old desktop, 2017 mobile layouts), channel and
column pages, robots.txt and the JSON list API on one loopback host, faithful to
the site notes (``docs/site-notes.md``).

It is a product of its own, behind ``thepaper-archive mock`` and the tests: it may use the
standard library only (none of ``crawler``, ``pipelines``, ``storage``, ``domain``), so that
it never agrees with the code under test by sharing it.
"""

from .dataset import Dataset, Figure, MockArticle, Paragraph, generate_dataset
from .server import MockSite

__all__ = ["Dataset", "Figure", "MockArticle", "MockSite", "Paragraph", "generate_dataset"]
