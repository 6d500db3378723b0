"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

SHANGHAI = ZoneInfo("Asia/Shanghai")


class NaiveDatetimeError(ValueError):
    """A naive datetime was about to be stored: its time zone would be a guess."""


def require_aware(value: datetime, name: str = "now") -> datetime:
    """``value`` itself when it is an aware datetime; ValueError otherwise (the writers'
    ``now`` and ``fetched_at`` arguments)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value


class AwareDateTime(TypeDecorator):
    """An instant in time, stored as UTC, read back aware in Asia/Shanghai.

    PostgreSQL keeps it in ``timestamptz``; SQLite (no time zones) keeps naive
    UTC. Naive input is refused with :class:`NaiveDatetimeError`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"AwareDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise NaiveDatetimeError(
                f"naive datetime {value.isoformat()} refused: attach a time zone "
                "(e.g. datetime.now(timezone.utc) or .replace(tzinfo=ZoneInfo('Asia/Shanghai')))"
            )
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(SHANGHAI)
