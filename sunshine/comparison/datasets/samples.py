"""Synthetic department files for tests and benchmarks: rows of Python values written as CSV (UTF-8 with BOM,
or GB18030), xlsx or Parquet with the Chinese headers a department would use. No real personal data."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sunshine.core.spreadsheet import safe_cell

Row = Sequence[Any]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(str(value))  # a text such as =HYPERLINK(…) stays text (sunshine.core.spreadsheet)


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Row], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([_text(v) for v in row] for row in rows)
    return path


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Row], sheet: str = "Sheet1",
               title: str | None = None) -> Path:
    """Dates as date cells and numbers as numbers, as Excel keeps them; text as text. ``title``: a title row
    above the headers, as county spreadsheets often have."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    first = 0
    if title:
        ws.write_string(0, 0, title)
        first = 1
    ws.write_row(first, 0, headers)
    for r, row in enumerate(rows, start=first + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, safe_cell(str(value)))
    book.close()
    return path


def write_parquet(path: Path, headers: Sequence[str], rows: Sequence[Row]) -> Path:
    """Typed columns as pyarrow infers them from the values (dates, decimals, integers, strings)."""
    columns = {h: pa.array([row[i] for row in rows]) for i, h in enumerate(headers)}
    pq.write_table(pa.table(columns), path)
    return path


def write(path: Path, headers: Sequence[str], rows: Sequence[Row]) -> Path:
    """By extension: .csv (UTF-8 with BOM), .xlsx, .parquet."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(path, headers, rows)
    if suffix == ".parquet":
        return write_parquet(path, headers, rows)
    return write_csv(path, headers, rows)
