"""The declarative base of the archive schema, its naming convention, column types and the
values the schema's enumerations take (see :mod:`storage.models`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator


class _JSONBOnPostgres(TypeDecorator):
    """JSON, as jsonb on PostgreSQL: what ``sa.JSON().with_variant(postgresql.JSONB(), "postgresql")``
    is, without importing PostgreSQL's dialect package (19 modules, asyncio's among them: ~60 ms of
    CPU of every process that loads the models) until a PostgreSQL archive asks for the type."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


#: JSON, as jsonb on PostgreSQL (json has no equality, so its default could not be compared).
KeywordsJSON = _JSONBOnPostgres()

#: Surrogate keys: BIGINT on PostgreSQL; INTEGER on SQLite so that it aliases the rowid.
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``degraded``: the run ended, but the layout-drift alarm fired (its coverage fell, or its
#: extraction failures rose, clearly beyond the trailing figures; see ``crawl_runs.drift``).
RUN_STATUSES = ("running", "ok", "partial", "failed", "aborted", "degraded")
RAW_KINDS = ("article", "list", "import", "mirror", "file")
CURSOR_SOURCES = ("channel", "node")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _text(comment: str, *, nullable: bool = False, default: str | None = "") -> Any:
    """A free-text column; non-null ones default to the empty string."""
    if nullable:
        return mapped_column(sa.Text, nullable=True, comment=comment)
    return mapped_column(sa.Text, nullable=False, default=default, server_default=sa.text("''"), comment=comment)
