"""The shapes passed between reading, validating and writing an import.

Notes from the read/validate side (helper "read"), for apply.py and the callers:
- readers.read_table raises TransferFileError (Chinese message) for a file it cannot read at all
  (unknown extension, corrupt workbook, undecodable CSV); everything else becomes RowErrors.
- RawTable.header_row / duplicate_headers were added: the spreadsheet row holding the headers (1 unless
  title rows precede it) and headers that name a field already named by an earlier column.
- ParsedRegistry lists hold only rows whose key parsed (households/members: 户编号 and 年度; villages:
  区划代码 and 年度); a row without a usable key appears only in errors. Empty cells are None in the typed
  rows (write "" into CharFields, the model default for member_status). Members' gender and birth_date
  are filled from the ID number when empty. Money is Decimal quantized to 0.01.
- ParsedRegistry.bad_villages was added: (division_code, year) of village rows with an error; skip them in
  partial mode. A household whose village comes only from a bad village row is itself reported (bad).
- With an error in the columns of any file (a required column missing, a column named twice) the result
  holds those errors only and empty lists: the files are rejected whole, even with --partial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sunshine.core.spreadsheet import SHOWN_CHARS, shorten, visible_controls


class TransferFileError(ValueError):
    """A file that cannot be read at all; the message says why, in Chinese."""


@dataclass(frozen=True)
class RowError:
    """One row of an error report (data-dictionary.md "Error reports")."""

    file: str          # file name as given (basename)
    sheet: str         # "" for CSV and Parquet
    row: int           # as a spreadsheet shows it: header = 1, first data row = 2
    column: str        # the header as written in the file (Chinese or English); 户编号 for whole-row errors
    value: str         # the offending cell as text ("" when empty); ID numbers in it are masked on output
    message: str       # Chinese, says what is allowed

    ERROR_HEADERS = ("文件", "工作表", "行", "列", "值", "说明")

    def __post_init__(self) -> None:
        # A cell may hold megabytes (a 1 GiB cell once went whole to stderr): every report, stderr line and
        # page shows only its start and its length (core.spreadsheet.shorten). So does an over-long header.
        # Control characters (a NUL in the file) are shown as visible symbols: PostgreSQL stores no NUL.
        for name in ("value", "column"):
            text = getattr(self, name)
            if len(text) > SHOWN_CHARS or not text.isprintable():
                object.__setattr__(self, name, visible_controls(shorten(text)))


class RawTable:
    """A file's cells as text (None when empty), headers mapped to English field names.

    The cells are kept column by column (``column``, ``cell``), which is how validation reads them: as one dict per
    row, a province's 2.3 M member rows took ≈ 10 s to build and gigabytes to hold. ``rows`` (one dict per row, in
    file order) is made from the columns the first time it is asked for and from then on is the only copy, so a
    caller that frees the rows (``rows.clear()``) frees the cells."""

    def __init__(self, file: str, sheet: str, fields: list[str], headers: dict[str, str],
                 rows: list[dict[str, str | None]] | None = None, row_numbers: Sequence[int] = (),
                 unknown_headers: list[str] | None = None, duplicate_headers: list[str] | None = None,
                 header_row: int = 1, *, columns: dict[str, Sequence[str | None]] | None = None) -> None:
        self.file = file
        self.sheet = sheet
        self.fields = fields                  # English field names, in file order
        self.headers = headers                # field → header as written in the file
        self.row_numbers = list(row_numbers)  # spreadsheet row number of each row
        self.unknown_headers = unknown_headers or []      # reported as warnings and ignored
        self.duplicate_headers = duplicate_headers or []  # a second column for a field: an error
        self.header_row = header_row          # spreadsheet row of the headers (title rows may precede it)
        if (rows is None) == (columns is None):
            raise ValueError("RawTable takes its cells either as rows or as columns")
        self._rows = rows
        self._columns = columns

    @property
    def row_count(self) -> int:
        # Not __len__: a table is a table even with no rows (``sources.get(kind) or …`` must not pass it over).
        return len(self.row_numbers)

    @property
    def rows(self) -> list[dict[str, str | None]]:
        """One dict per data row (field → text); made from the columns when first asked for."""
        if self._rows is None:
            assert self._columns is not None
            names = [f for f in self.fields if f in self._columns]
            by_row = zip(*(self._columns[f] for f in names), strict=True) if names else ((),) * self.row_count
            self._rows = [dict(zip(names, values, strict=True)) for values in by_row]
            self._columns = None
        return self._rows

    def column(self, field: str) -> Sequence[str | None]:
        """Every row's cell of ``field`` (None throughout when the file has no such column)."""
        if self._columns is not None:
            found = self._columns.get(field)
            return [None] * self.row_count if found is None else found
        rows = self._rows or []
        try:
            return list(map(itemgetter(field), rows))  # readers give every row every field: the fast path
        except KeyError:
            return [row.get(field) for row in rows]

    def cell(self, index: int, field: str) -> str | None:
        if self._columns is not None:
            found = self._columns.get(field)
            return None if found is None else found[index]
        return (self._rows or [])[index].get(field)


@dataclass
class ParsedRegistry:
    """Typed, validated rows ready to write, and every error found."""

    households: list[dict[str, Any]]       # typed values by field name (households.csv), plus "_row"
    members: list[dict[str, Any]]          # typed values by field name (members.csv), plus "_row"
    villages: list[dict[str, Any]]         # typed values (villages.csv), plus "_row"
    errors: list[RowError]
    bad_households: set[tuple[str, int]]   # (household_no, year) with any error in it or its members
    warnings: list[str] = field(default_factory=list)
    bad_villages: set[tuple[str, int]] = field(default_factory=set)  # (division_code, year) with an error

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    households_skipped: int = 0            # bad households not written (partial mode)
    members_written: int = 0
    villages_written: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False                  # False when nothing was written (errors and not partial)
