"""Cleaning: pure functions that turn a fetched page's bytes into a clean record.

* :mod:`cleaning.document` — the chain of one document: decode → extract → repair → strip →
  metadata; :mod:`cleaning.page` — the chain plus validation, as the crawl, imports and
  ``reprocess`` call it.
* Stages: :mod:`cleaning.binary` (gzip, binary refused, NULs), :mod:`cleaning.decode` (bytes →
  text), :mod:`cleaning.extract` (one module per page layout), :mod:`cleaning.repair` (mojibake,
  GBK tears, pinyin, Traditional → Simplified, punctuation; ``plausible`` scores readings for
  decode and repair), :mod:`cleaning.boilerplate` (rules as data), :mod:`cleaning.metadata`,
  :mod:`cleaning.keywords`; :mod:`cleaning.jsontext` (JSON read without lone surrogates),
  :mod:`cleaning.listitem` (what a list item says).

May use: ``domain`` and text libraries. Never ``storage``, ``pipelines``, ``jobs``, ``crawler``,
Scrapy or a database (tests/test_structure.py).
"""
