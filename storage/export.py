"""Streaming exports of the articles: JSON Lines, CSV, Parquet or Excel (xlsx), in constant memory.

Rows come from the database in batches (``yield_per``: a server-side cursor on
PostgreSQL), tags are fetched per batch, and every batch is written out before
the next is read (Parquet: one row group per batch). Times are ISO 8601 with
+08:00 (Asia/Shanghai) in JSON Lines and CSV, ``timestamp[us, Asia/Shanghai]`` in
Parquet. Tags are a list in JSON Lines and Parquet and ``;``-joined in CSV.

CSV rows end with CRLF (RFC 4180; a cell with a line break in it is quoted). CSV only: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula to Excel and LibreOffice; such cells get a leading ``'`` (the OWASP
recommendation against CSV injection: a mirror's crafted title must not run when an
analyst opens the file). ``neutralise_formulas=False`` writes them unchanged. ``bom=True``
puts a UTF-8 byte order mark first: without it Excel reads a CSV file in the machine's ANSI
code page and shows mojibake.

xlsx (openpyxl's write-only workbook, rows streamed to the file): times are real date-time
cells in Asia/Shanghai wall-clock time (Excel has no time zones; the header says ``+08:00``),
numbers are numbers, every text cell is a string cell (never a formula, whatever it begins
with), the header row is bold and frozen, columns have widths by kind. Excel holds at most
32,767 characters in a cell: a longer text is cut there and counted (:class:`XlsxStats`);
characters XML cannot carry (control characters) are dropped.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any, cast
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag, Tag
from storage.columns import BINARY_FORMATS, COLUMNS, FORMATS, KINDS, OPTIONAL_COLUMNS  # noqa: F401  (this module's names too)
from storage.types import SHANGHAI

BATCH = 500


class ExportError(ValueError):
    """Bad export arguments (unknown column or format, unreadable date)."""


def parse_columns(spec: str | None) -> list[str]:
    """Column names from ``a,b,c`` (all columns when empty); unknown names are an error."""
    if not spec or not spec.strip():
        return list(COLUMNS)
    names = [c.strip() for c in spec.split(",") if c.strip()]
    unknown = [c for c in names if c not in KINDS]
    if unknown:
        raise ExportError(f"unknown column(s): {', '.join(unknown)} (known: {', '.join(KINDS)})")
    if len(set(names)) != len(names):
        raise ExportError(f"column listed twice in {spec!r}")
    return names


def parse_bound(value: str | None, *, end: bool) -> datetime | None:
    """``YYYY-MM-DD`` (a whole Asia/Shanghai day: its start, or with ``end`` the next day's
    start) or an ISO datetime (naive = Asia/Shanghai) -> aware datetime; None stays None.
    A bound at the edge of the calendar (``0001-01-01``, ``9999-12-31``) bounds nothing: None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            dt = datetime.combine(d + timedelta(days=1 if end else 0), time(), SHANGHAI)
        else:
            dt = datetime.fromisoformat(text)
            dt = dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
        dt.astimezone(timezone.utc)  # stored times are compared in UTC
    except OverflowError:
        return None
    except ValueError:
        raise ExportError(f"not a date (YYYY-MM-DD) or ISO datetime: {value!r}") from None
    return dt


def _tags_for(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    rows = session.execute(
        sa.select(ArticleTag.cont_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.cont_id.in_(ids))
        .order_by(ArticleTag.cont_id, ArticleTag.position)
    )
    for cid, name in rows:
        out[cid].append(name)
    return out


def iter_batches(
    session: Session,
    columns: list[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = BATCH,
    where: str | None = None,
    updated_since: datetime | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Lists of row dicts (``columns`` only, Python values), at most ``batch`` rows each,
    ordered by publication time then id. ``since`` inclusive, ``until`` exclusive; ``where``:
    an SQL condition on the ``articles`` row, as given (the caller reads through a connection
    that cannot write); ``updated_since``: stored or changed at or after then (a run's new and
    updated articles)."""
    cols = [getattr(Article, c) for c in columns if c != "tags"]
    if "cont_id" not in columns:
        cols.append(Article.cont_id)
    stmt = sa.select(*cols).order_by(Article.published_at.asc().nulls_last(), Article.cont_id)
    if since is not None:
        stmt = stmt.where(Article.published_at >= since)
    if until is not None:
        stmt = stmt.where(Article.published_at < until)
    if where:
        stmt = stmt.where(sa.text(f"({where})"))
    if updated_since is not None:
        stmt = stmt.where(Article.updated_at >= updated_since)
    result = session.execute(stmt.execution_options(yield_per=batch))
    for part in result.partitions():
        rows = [r._asdict() for r in part]
        if "tags" in columns:
            tags = _tags_for(session, [r["cont_id"] for r in rows])
            for r in rows:
                r["tags"] = tags[r["cont_id"]]
        yield [{c: r[c] for c in columns} for r in rows]


def _text_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    return value


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def write_jsonl(batches: Iterable[list[dict]], out: IO[str]) -> int:
    n = 0
    for rows in batches:
        out.write(
            "".join(json.dumps({k: _text_value(v) for k, v in r.items()}, ensure_ascii=False) + "\n" for r in rows)
        )
        n += len(rows)
    return n


#: What a cell that spreadsheets read as a formula begins with (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a leading ``'`` before a formula's first character."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_csv(
    batches: Iterable[list[dict]],
    out: IO[str],
    columns: list[str],
    *,
    neutralise_formulas: bool = True,
    bom: bool = False,
) -> int:
    if bom:
        out.write("\ufeff")
    # CRLF (RFC 4180): the csv module quotes a cell only for the characters of the line end, and a
    # bare CR left unquoted would start a new row in a spreadsheet, one whose first cell escaped
    # the formula check.
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    n = 0
    for rows in batches:
        for r in rows:
            cells = [
                ""
                if r[c] is None
                else ";".join(r[c])
                if c == "tags"
                else _json_text(r[c])
                if KINDS[c] == "json"
                else _text_value(r[c])
                for c in columns
            ]
            if neutralise_formulas:
                cells = [neutralise_formula(v) if isinstance(v, str) else v for v in cells]
            w.writerow(cells)
        n += len(rows)
    return n


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ExportError(
            "the parquet format needs pyarrow, which is not installed here (scripts/bootstrap.sh installs it)"
        ) from None
    return pyarrow


def arrow_schema(columns: list[str]):
    pa = _pyarrow()

    kinds = {
        "int": pa.int64(),
        "str": pa.string(),
        "time": pa.timestamp("us", tz="Asia/Shanghai"),
        "list": pa.list_(pa.string()),
        "json": pa.string(),
    }
    return pa.schema([pa.field(c, kinds[KINDS[c]]) for c in columns])


def write_parquet(batches: Iterable[list[dict]], out: IO[bytes], columns: list[str]) -> int:
    """One Parquet row group per batch (an empty archive gives a valid empty file)."""
    pa = _pyarrow()
    pq = pa.parquet
    schema = arrow_schema(columns)
    n = 0
    as_text = [c for c in columns if KINDS[c] == "json"]
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for rows in batches:
            if as_text:
                rows = [{**r, **{c: _json_text(r[c]) for c in as_text}} for r in rows]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            n += len(rows)
    return n


#: Excel's limit of characters in one cell.
XLSX_CELL_MAX = 32_767
#: Column widths (in characters) by column, then by kind.
XLSX_WIDTHS = {
    "url": 48,
    "title": 40,
    "summary": 40,
    "body_text": 60,
    "source_url": 48,
    "external_url": 48,
    "content_hash": 20,
    "tags": 24,
}
XLSX_KIND_WIDTHS = {"int": 12, "time": 20, "str": 16, "list": 24, "json": 40}
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass
class XlsxStats:
    """What an xlsx export had to change: text cells cut at :data:`XLSX_CELL_MAX`."""

    cut_cells: int = 0


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise ExportError(
            "the xlsx format needs openpyxl, which is not installed here (scripts/bootstrap.sh installs it)"
        ) from None
    return openpyxl


def write_xlsx(
    batches: Iterable[list[dict]], out: IO[bytes], columns: list[str], stats: XlsxStats | None = None
) -> int:
    """One sheet ``articles``: a frozen bold header, typed cells (module doc)."""
    openpyxl = _openpyxl()
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    stats = stats if stats is not None else XlsxStats()
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("articles")
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = XLSX_WIDTHS.get(c, XLSX_KIND_WIDTHS[KINDS[c]])
    bold = Font(bold=True)
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=f"{c} (+08:00)" if KINDS[c] == "time" else c)
        cell.font = bold
        header.append(cell)
    ws.append(header)

    def text_cell(value: str) -> WriteOnlyCell:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_MAX:
            value = value[:XLSX_CELL_MAX]
            stats.cut_cells += 1
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string, even when it begins with "=": never a formula
        return cell

    def cell_of(c: str, value: Any):
        if value is None:
            return None
        kind = KINDS[c]
        if kind == "json":
            return text_cell(cast(str, _json_text(value)))  # cast: value is not None (above)
        if kind == "time":
            cell = WriteOnlyCell(ws, value=value.astimezone(SHANGHAI).replace(tzinfo=None))
            cell.number_format = XLSX_TIME_FORMAT
            return cell
        if kind == "list":
            return text_cell(";".join(value))
        return text_cell(value) if kind == "str" else value

    n = 0
    for rows in batches:
        for r in rows:
            ws.append([cell_of(c, r[c]) for c in columns])
        n += len(rows)
    wb.save(out)
    return n


def export(
    session: Session,
    fmt: str,
    out,
    *,
    columns: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = BATCH,
    neutralise_formulas: bool = True,
    bom: bool = False,
    xlsx_stats: XlsxStats | None = None,
    where: str | None = None,
    updated_since: datetime | None = None,
) -> int:
    """Write the articles to ``out`` (text stream for jsonl/csv, binary for parquet and xlsx); rows
    written. ``neutralise_formulas``: CSV cells that spreadsheets would run as formulas get a
    leading ``'``; ``bom``: CSV begins with a UTF-8 byte order mark (for Excel)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    columns = list(columns or COLUMNS)
    batches = iter_batches(
        session, columns, since=since, until=until, batch=batch, where=where, updated_since=updated_since
    )
    if fmt == "jsonl":
        return write_jsonl(batches, out)
    if fmt == "csv":
        return write_csv(batches, out, columns, neutralise_formulas=neutralise_formulas, bom=bom)
    if fmt == "xlsx":
        return write_xlsx(batches, out, columns, xlsx_stats)
    return write_parquet(batches, out, columns)
