"""Scrapy feed exports of the clean article records (``scrapy crawl thepaper -O items.jsonl``).

The pipelines carry raw pages (bytes, headers) to the archive; what a feed wants is the
article each page became. These exporters are Scrapy's own, given the item's
:class:`domain.record.ArticleRecord` as a dict (with ``outcome``: new, updated, unchanged...)
instead of the item; list pages and failures, which are no article, are left out. They are
registered for every format in ``FEED_EXPORTERS`` (``crawler/settings.py``).
"""

from __future__ import annotations

import json

from scrapy import exporters


def article_record(item) -> dict | None:
    """The clean record an item became, as a JSON-ready dict; None when it is no article."""
    record = getattr(item, "record", None)
    if record is None:
        return None
    data = record.to_dict()
    data["outcome"] = getattr(item, "outcome", None)
    return data


class _Records:
    def export_item(self, item):
        data = article_record(item)
        if data is not None:
            super().export_item(data)


class JsonRecordExporter(_Records, exporters.JsonItemExporter):
    pass


class JsonLinesRecordExporter(_Records, exporters.JsonLinesItemExporter):
    pass


class XmlRecordExporter(_Records, exporters.XmlItemExporter):
    pass


class CsvRecordExporter(_Records, exporters.CsvItemExporter):
    """Lists and objects (paragraphs, images, tags, repairs) as JSON text in their cell."""

    def serialize_field(self, field, name, value):
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)


class MarshalRecordExporter(_Records, exporters.MarshalItemExporter):
    pass


class PickleRecordExporter(_Records, exporters.PickleItemExporter):
    pass
