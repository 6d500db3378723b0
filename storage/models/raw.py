"""The raw archive tables: every fetched page byte for byte, and the zstd dictionaries its
bodies are compressed with (see :mod:`storage.models`)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.codec import decode
from storage.types import AwareDateTime

from .base import BigID, Base


class RawPage(Base):
    __tablename__ = "raw_pages"
    __table_args__ = (
        sa.Index("ix_raw_pages_cont_id", "cont_id"),
        sa.Index("ix_raw_pages_kind", "kind"),
        sa.Index("ix_raw_pages_run_id", "run_id"),
        sa.Index("ix_raw_pages_sha256", "sha256"),
        {
            "comment": "Every fetched or imported page, byte for byte (compressed: zstd with a trained dictionary, "
            "or zlib in older rows)."
        },
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, comment="surrogate key")
    url: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="URL requested (or file:// path of an import)")
    final_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="URL after redirects")
    cont_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, nullable=True, comment="article id the page belongs to, when known"
    )
    status: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, comment="HTTP status code")
    headers: Mapped[dict[str, str]] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="JSON object of response headers (name -> value)"
    )
    fetched_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when the response arrived")
    body: Mapped[bytes] = mapped_column(
        sa.LargeBinary, nullable=False, comment="response body, compressed as named in compression"
    )
    body_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, comment="uncompressed body size in bytes")
    compression: Mapped[str] = mapped_column(
        sa.String(16),
        nullable=False,
        default="zstd",
        comment="codec of body: zstd (with the dictionary in dictionary_id, "
        "or none when it is NULL), zlib (rows written before 0005), none",
    )
    dictionary_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("raw_dictionaries.id"),
        nullable=True,
        comment="raw_dictionaries row of the zstd dictionary body was compressed with; NULL for none",
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, comment="sha256 hex of the uncompressed body")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, comment="article, list, import, mirror or file")
    run_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        nullable=True,
        comment="crawl run that fetched it (NULL for imports outside a run)",
    )
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True, comment="free note, e.g. the local file path")
    context: Mapped[dict | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="how the page was reached: JSON with the URL it is cleaned under (url), the list API item "
        "(list_item) and channel_id, so that reprocessing sees what the crawl saw; the request "
        "(request: method, url, headers, body); for WARC imports the file, record id and offset (warc)",
    )

    dictionary: Mapped[RawDictionary | None] = relationship()

    def raw_bytes(self) -> bytes:
        """The body exactly as received."""
        # cast: a page with a dictionary id has its dictionary
        data = cast(RawDictionary, self.dictionary).data if self.dictionary_id is not None else None
        return raw_body_bytes(self.body, self.compression, data, page_id=self.id)


def raw_body_bytes(
    body: bytes, compression: str | None, dictionary: bytes | None = None, *, page_id: int | None = None
) -> bytes:
    """A ``raw_pages.body`` exactly as received, given its ``compression`` (and, for zstd, the
    bytes of its dictionary); :class:`storage.codec.CodecError` when it cannot be decoded."""
    return decode(body, compression, dictionary, page_id=page_id)


class RawDictionary(Base):
    __tablename__ = "raw_dictionaries"
    __table_args__ = (
        {
            "comment": "zstd dictionaries trained on the archive's own pages; raw_pages rows name "
            "the one they were compressed with. Never deleted while a row uses it."
        },
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="surrogate key")
    codec: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="zstd", comment="codec the dictionary is for: zstd"
    )
    zstd_dict_id: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, comment="the id zstd writes into the frames made with it"
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, comment="the dictionary itself")
    samples: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, comment="raw pages it was trained on")
    sample_bytes: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, comment="uncompressed bytes of those pages"
    )
    archive_pages: Mapped[int | None] = mapped_column(
        sa.BigInteger,
        nullable=True,
        comment="raw pages the archive held when it was trained; NULL for dictionaries trained "
        "before revision 0010 (not recorded)",
    )
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, nullable=False, comment="when it was trained")
