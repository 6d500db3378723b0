"""The cleaning and validation stages as plain functions, shared by the crawl
(``pipelines/stages.py``), imports of files and ``reprocess``."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from domain.record import ArticleRecord, CleaningError

logger = logging.getLogger(__name__)

_CONTENT_REQUIRED = {"news", "pph"}


class CleanerCrash(CleaningError):
    reason = "cleaner_crash"


class ValidationError(CleaningError):
    reason = "invalid_record"


def load_chain(keywords: bool = True) -> None:
    """Load, before the first page, what :func:`clean_page` loads on it: the chain's modules and,
    with ``keywords``, the keyword stage (rjieba, which builds its dictionary on import, and its
    tables). A process that cleans many pages calls it ahead: a crawl's worker while the crawl
    starts, a cleaner pool's parent before it forks (its workers inherit what is loaded). What
    only some pages need (the repairs' word lists, ftfy, OpenCC) stays lazy."""
    import cleaning.document  # noqa: F401

    if keywords:
        from cleaning.keywords import extract_keywords

        extract_keywords("澎湃新闻科技频道")


def validate_record(record: ArticleRecord) -> None:
    """Raise :class:`ValidationError` for a record that must not be stored as an article."""
    if record.cont_id is None:
        raise ValidationError("record has no cont_id")
    if record.content_type == "gone":
        return
    if not record.title:
        raise ValidationError(f"article {record.cont_id} has no title")
    if record.content_type in _CONTENT_REQUIRED and not record.paragraphs:
        raise ValidationError(f"article {record.cont_id} ({record.content_type}) has no body text")
    if record.published_at is not None and record.published_at.tzinfo is None:
        raise ValidationError(f"article {record.cont_id} has a naive published time")


def clean_page(
    body: bytes,
    *,
    url: str | None,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
    list_item: Mapping[str, Any] | None = None,
    cont_id: int | None = None,
    source_url: str | None = None,
    max_size: int | None = None,
    keywords: bool = True,
) -> ArticleRecord:
    """decode → extract → repair → strip → validate one page; raise :class:`CleaningError`.

    ``url`` is the URL the page is cleaned under (canonical for pages of the
    site itself, the mirror URL for mirror copies); ``source_url`` the URL it was
    actually fetched from; ``max_size`` bounds what a gzip body may decompress to (the
    crawl passes ``DOWNLOAD_MAXSIZE``); without ``keywords``, none are computed (``crawl
    --no-keywords``). A crash of the cleaner becomes :class:`CleanerCrash`,
    so that the page is recorded as a failure, never lost.
    """
    from cleaning.document import clean_document

    try:
        record = clean_document(
            body,
            url=url,
            headers=headers,
            status=status,
            list_item=list_item,
            keywords=keywords,
            **({"max_size": max_size} if max_size else {}),
        )
    except CleaningError:
        raise
    except Exception as exc:
        logger.error("cleaner crashed on %s:\n%s", source_url or url, traceback.format_exc())
        raise CleanerCrash(f"cleaner crashed: {type(exc).__name__}: {exc}") from exc
    if record.cont_id is None and cont_id is not None:
        record.cont_id = cont_id
    if source_url:
        record.source_url = source_url
    validate_record(record)
    return record
