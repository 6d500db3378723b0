"""The run tables: crawl runs, the failures they record, the list cursors they resume from and
the lock that keeps two runs apart (see :mod:`storage.models`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from domain.secrets import mask_value

from storage.types import AwareDateTime

from .base import Base, _text


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (
        sa.Index("ix_crawl_runs_started_at", "started_at"),
        {"comment": "One row per crawl/import/reprocess run, with its counters."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    started_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the run started")
    finished_at: Mapped[datetime | None] = mapped_column(
        AwareDateTime, nullable=True, comment="when it ended; NULL while running or after a crash"
    )
    status: Mapped[str] = mapped_column(
        sa.String(16),
        nullable=False,
        default="running",
        comment="running, ok, partial, failed, aborted or degraded (the layout-drift alarm fired)",
    )
    pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, comment="process id of the run")
    hostname: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, comment="host the run ran on")
    command: Mapped[str] = mapped_column(sa.String(32), nullable=False, comment="command: crawl, import, reprocess...")
    args: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object of the run's arguments"
    )
    counters: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON,
        nullable=False,
        default=dict,
        comment="JSON object: new, updated, unchanged, gone, failed, pages, list_pages, duration_s...",
    )
    message: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="closing message or error")
    coverage: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="JSON object: field coverage of the run: article pages judged, extraction failures by "
        "reason, per content type the articles and how many have each field, layouts and "
        "front-end builds seen; NULL for runs that fetched no article page or predate it",
    )
    drift: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="JSON object: the layout-drift check of the run against the trailing coverage: state "
        "(alarm, ok, too_few, no_baseline), the alarm line, the findings, the baseline used",
    )

    @validates("args", "message")
    def _masked(self, key, value):
        """No password of a URL (the archive's, Redis's, a proxy's) is stored in a run row."""
        return mask_value(value)


class Failure(Base):
    __tablename__ = "failures"
    __table_args__ = (
        sa.UniqueConstraint("url"),
        sa.Index("ix_failures_cont_id", "cont_id"),
        sa.Index("ix_failures_next_retry_at", "next_retry_at"),
        {"comment": "URLs that could not be stored, one row per URL; deleted when it later succeeds."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    url: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="URL that failed")
    cont_id: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True, comment="article id, when known")
    reason: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="short stable code, e.g. http_503, timeout, empty_article"
    )
    message: Mapped[str] = _text("what exactly went wrong on the last attempt")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, comment="attempts so far")
    first_failed_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="first failed attempt")
    last_failed_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="latest failed attempt")
    next_retry_at: Mapped[datetime | None] = mapped_column(
        AwareDateTime, nullable=True, comment="earliest time of the next retry; NULL when dead"
    )
    dead: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, comment="true once attempts reached the cap: no more retries"
    )
    run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="run of the latest attempt",
    )

    @validates("message")
    def _masked(self, key, value):
        return mask_value(value)  # an error may quote a URL with its password


class ListCursor(Base):
    __tablename__ = "list_cursors"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        {"comment": "Incremental crawl state: newest publication time seen per list."},
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, comment="channel or node")
    source_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, comment="channel or node id")
    newest_pub_time_ms: Mapped[int | None] = mapped_column(
        sa.BigInteger, nullable=True, comment="newest pubTimeLong (ms since epoch) seen on this list"
    )
    last_run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="run that last advanced the cursor",
    )
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the cursor last changed")


class RunLock(Base):
    __tablename__ = "run_locks"
    __table_args__ = ({"comment": "Single-run locks; a stale or dead holder's lock is taken over."},)

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True, comment="lock name, e.g. crawl")
    holder: Mapped[str] = mapped_column(sa.String(255), nullable=False, comment="hostname:pid of the holder")
    acquired_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when it was taken")
    heartbeat_at: Mapped[datetime] = mapped_column(
        AwareDateTime, nullable=False, comment="last sign of life of the holder"
    )
