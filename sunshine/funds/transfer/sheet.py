"""A funds file read by the registry's readers (RawTable) → typed rows and RowErrors, with the registry's
sheet bookkeeping (one error per cell, the header errors, the error report format) and the funds columns'
readers (columns.parser). Rules that need the database are in resolve.py and kinds.py."""

from __future__ import annotations

from typing import Any

from sunshine.funds.transfer.columns import parser
from sunshine.registry.transfer import cells
from sunshine.registry.transfer.columns import TableSpec
from sunshine.registry.transfer.model import RawTable, RowError
from sunshine.registry.transfer.validate import TypedSheet

REQUIRED = "必填,不能为空"


class Sheet(TypedSheet):
    """One funds file being validated. ``typed`` rows carry "_index" (position in the file) and "_row"
    (the spreadsheet row)."""

    def __init__(self, raw: RawTable, spec: TableSpec) -> None:
        super().__init__(raw, spec)
        self.kind = spec.name

    def convert_cells(self) -> None:
        """Type every cell, each distinct text of a column once."""
        raw = self.raw
        columns: dict[str, list[Any]] = {}
        for col in self.spec:
            texts = raw.column(col.field)
            if col.field not in raw.headers:
                columns[col.field] = [None] * len(texts)
                continue
            parse = parser(self.kind, col)
            parsed: dict[str | None, Any] = {None: None}
            for text in set(texts) - {None}:
                try:
                    parsed[text] = parse(text)
                except cells.CellError as exc:
                    parsed[text] = exc
            out = []
            for i, text in enumerate(texts):
                value = parsed[text]
                if isinstance(value, cells.CellError):
                    self.add(i, col.field, str(value))
                    value = None
                elif text is None and col.required:
                    self.add(i, col.field, REQUIRED)
                out.append(value)
            columns[col.field] = out
        self.typed = [{"_index": i, "_row": number, **{f: columns[f][i] for f in columns}}
                      for i, number in enumerate(raw.row_numbers)]

    def error_at(self, row: dict[str, Any], field: str, message: str) -> None:
        self.add(row["_index"], field, message)

    def duplicates(self, key: tuple[str, ...], field: str, rows: list[dict[str, Any]] | None = None,
                   *, extra: dict[int, Any] | None = None) -> None:
        """A key twice in the file: the later row is the error (which one to keep is the clerk's call).
        ``extra`` adds a resolved value (the county) to each row's key, by row index."""
        first: dict[tuple[Any, ...], int] = {}
        for row in rows if rows is not None else self.typed:
            values = tuple(row[f] for f in key)
            if any(v is None for v in values):
                continue
            if extra is not None:
                values = (extra.get(row["_index"]), *values)
            if values in first:
                self.error_at(row, field, f"与第{first[values]}行重复")
            else:
                first[values] = row["_row"]

    @property
    def good_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.typed if row["_index"] not in self.bad]

    def sorted_errors(self) -> list[RowError]:
        order = {col.field: i for i, col in enumerate(self.spec)}
        headers = {self.header(f): order[f] for f in order}
        return sorted(self.errors, key=lambda e: (e.row, headers.get(e.column, len(order)), e.message))
