"""Files → RawTable: every cell as stripped text (None when empty), headers mapped to English fields.

.xlsx/.xls via python-calamine (Rust, fast), .csv via the csv module after detecting the encoding
(UTF-8 with or without BOM, else GB18030, which is what Chinese Excel writes), .parquet via pyarrow.
Types are not interpreted here beyond turning Excel's numbers and dates into the text a clerk sees;
validate.py does the rest, so every format goes through the same rules.

Two guards from sunshine.core.spreadsheet: an .xlsx whose cells reach beyond the configured size is refused
before calamine builds its grid (TransferFileError); and a csv/xlsx text cell our exports wrote with a leading
single quote against formula injection (``'=HYPERLINK(…)``) reads back without that one quote — only when
the rest begins with =, +, -, @, tab or CR (or more quotes and then one of those), so any other text that
begins with a quote is kept as written. Parquet cells are read as they are (exports do not quote them)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import math
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

from sunshine.core.spreadsheet import SheetTooLarge, check_xlsx_size, unquote_cell
from sunshine.engine.heap import gc_paused
from sunshine.registry.transfer.columns import NO, YES
from sunshine.registry.transfer.model import RawTable, TransferFileError

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv", ".parquet")
# Excel keeps 15 significant digits: a longer number typed into a cell (an 18-digit ID) has lost its last
# digits. Such a cell is passed on in exponent form so that validation reports it instead of reading a
# wrong but well-formed number.
EXACT_DIGITS = 10**15
HEADER_SEARCH_ROWS = 10   # title rows ("XX县建档立卡户信息表") may precede the headers


class HeaderSpec(Protocol):
    """What the readers need of a file's declaration: registry tables and department datasets both have it."""

    @property
    def header_lookup(self) -> dict[str, str]: ...

    @property
    def sheet_names(self) -> Sequence[str]: ...


def read_table(path: str | Path, columns: HeaderSpec, *, display_name: str | None = None) -> RawTable:
    """Read the file at ``path`` as a table of ``columns`` (HOUSEHOLDS, MEMBERS or VILLAGES).

    ``display_name`` is the name errors carry (an uploaded file's original name); default the basename.
    Raises TransferFileError when the file cannot be read at all."""
    path = Path(path)
    name = display_name or path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TransferFileError(f"{name}: 不支持的文件类型“{suffix}”,应为 .xlsx、.csv 或 .parquet 文件")
    if not path.is_file():
        raise TransferFileError(f"{name}: 文件不存在")
    with gc_paused():
        if suffix == ".csv":
            shared: dict[str | None, str | None] = {}
            return table_from_rows(name, "", _csv_rows(path, name, shared), columns, unquote=True, shared=shared)
        if suffix == ".parquet":
            return _read_parquet(path, name, columns)
        sheet, rows = _excel_rows(path, name, columns)
        return table_from_rows(name, sheet, rows, columns, unquote=True)


def cell_text(value: Any, *, exact_ints: bool = False) -> str | None:
    """A typed cell (Excel or Parquet) as the text the data dictionary expects."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int):
        if not exact_ints and abs(value) >= EXACT_DIGITS:
            return f"{value:.15g}".replace("e+", "E+")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if abs(value) >= EXACT_DIGITS:
            return f"{value:.15g}".replace("e+", "E+")
        if value.is_integer():
            return str(int(value))
        # 15 significant digits, as Excel shows and keeps them: a formula's 1234.5600000000002 is 1234.56.
        text = f"{value:.15g}"
        return text if "e" not in text else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip() or None


# ---- CSV ----

def detect_encoding(path: Path, name: str) -> str:
    """utf-8-sig (UTF-8 with or without BOM) if the whole file decodes as UTF-8, else gb18030 (a superset of
    GBK/GB2312). Checked in chunks, so a large file is never held twice in memory."""
    with path.open("rb") as fh:
        start = fh.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise TransferFileError(f"{name}: 文件为UTF-16编码,请在Excel中另存为“CSV UTF-8(逗号分隔)”")
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(path: Path, name: str, shared: dict[str | None, str | None]) -> Iterable[Sequence[str | None]]:
    """The file's rows, each cell stripped, "" as None and equal cells one object (``shared``, see
    table_from_rows). All in C: with a Python expression per cell (``v.strip() or None``) this was a third of
    reading a province's 2.3 M member rows."""
    encoding = detect_encoding(path, name)
    shared.setdefault("", None)   # so that sharing turns an empty cell into None
    share, strip = shared.setdefault, str.strip
    try:
        with path.open(encoding=encoding, newline="") as fh:
            for row in csv.reader(fh):
                stripped = list(map(strip, row))
                yield list(map(share, stripped, stripped))
    except UnicodeDecodeError as exc:
        raise TransferFileError(f"{name}: 无法识别文件编码,应为UTF-8或GB18030(GBK)编码的CSV文件") from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TransferFileError(f"{name}: 有单元格内容过长(超过{csv.field_size_limit()}个字符),"
                                    "请检查文件是否损坏或引号未配对") from exc
        raise TransferFileError(f"{name}: CSV格式错误:{exc}") from exc


# ---- Excel ----

def _excel_rows(path: Path, name: str, spec: HeaderSpec) -> tuple[str, Iterable[Sequence[str | None]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    if path.suffix.lower() != ".xls":  # .xls is not a zip and is bounded by its format (65,536 × 256)
        try:
            check_xlsx_size(path, name)
        except SheetTooLarge as exc:
            raise TransferFileError(str(exc)) from exc
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet_name = pick_sheet(book.sheet_names, spec)
        sheet = book.get_sheet_by_name(sheet_name)
    except (CalamineError, OSError, ValueError) as exc:
        raise TransferFileError(f"{name}: 无法读取Excel文件({exc.__class__.__name__}),文件可能已损坏或加密") from exc

    def rows() -> Iterable[Sequence[str | None]]:
        # iter_rows starts at the sheet's first row, empty or not, so position + 1 is the row Excel shows;
        # rows become Python objects one at a time.
        try:
            for row in sheet.iter_rows():
                # Most cells are text: handled inline, the others by cell_text (a third of the time).
                yield [(v.strip() or None) if v.__class__ is str else cell_text(v) for v in row]
        finally:
            book.close()
    return sheet_name, rows()


def pick_sheet(sheet_names: Sequence[str], spec: HeaderSpec) -> str:
    """The sheet named for this table (户信息 / households …) if there is one, else the first sheet."""
    if not sheet_names:
        raise TransferFileError("工作簿中没有工作表")
    wanted = {n.lower() for n in spec.sheet_names}
    for sheet in sheet_names:
        if sheet.strip().lower() in wanted:
            return sheet
    return sheet_names[0]


# ---- Parquet ----

def _read_parquet(path: Path, name: str, spec: HeaderSpec) -> RawTable:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise TransferFileError(f"{name}: 无法读取Parquet文件:{exc}") from exc
    headers = list(table.column_names)
    # Parquet columns are whole; convert column by column (strings stay strings, int64 IDs stay exact).
    values: list[list[str | None]] = []
    for i in range(table.num_columns):
        column = table.column(i)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            # Trim and turn "" into null in Arrow, so Python only sees finished cells.
            column = pc.utf8_trim_whitespace(column)
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
            values.append(column.to_pylist())
        else:
            values.append([cell_text(v, exact_ints=True) for v in column.to_pylist()])
    rows = [headers, *zip(*values, strict=True)] if values else [headers]
    return table_from_rows(name, "", rows, spec)


# ---- common ----

def normalise_header(text: str | None) -> str:
    # A template may mark required columns with *; Excel may leave a BOM or full-width spaces.
    return (text or "").replace("\ufeff", "").replace("\u3000", " ").strip().rstrip("*").strip()


def _find_header(rows: list[Sequence[str | None]], lookup: dict[str, str]) -> int:
    """Index of the row with the most known headers among the first rows (0 if none has any)."""
    best, best_hits = 0, 0
    for i, row in enumerate(rows):
        hits = sum(1 for v in row if v and (lookup.get(normalise_header(v)) or
                                            lookup.get(normalise_header(v).lower())))
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def table_from_rows(name: str, sheet: str, rows: Iterable[Sequence[str | None]], spec: HeaderSpec, *,
                    unquote: bool = False, shared: dict[str | None, str | None] | None = None) -> RawTable:
    """``unquote``: undo the exports' formula guard in data cells (csv and xlsx; see the module docstring).
    ``shared``: the rows' cells are shared already, through this dictionary (text → the one object for it)."""
    lookup = spec.header_lookup
    iterator = iter(rows)
    head: list[Sequence[str | None]] = []
    for row in iterator:
        head.append(row)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    header_index = _find_header(head, lookup)
    header_cells = head[header_index] if head else []

    fields: list[str] = []
    headers: dict[str, str] = {}
    positions: list[int] = []
    unknown: list[str] = []
    duplicate: list[str] = []
    for position, raw in enumerate(header_cells):
        text = normalise_header(raw)
        if not text:
            continue
        field = lookup.get(text) or lookup.get(text.lower())
        if field is None:
            unknown.append(text)
        elif field in headers:
            duplicate.append(text)
        else:
            fields.append(field)
            headers[field] = text
            positions.append(position)

    # Equal cells share one string object (是/否, enumerations, years repeat on every row): 350,000 rows then
    # take hundreds of megabytes less. map() with setdefault does this at C speed.
    if shared is None:
        shared = {}
        share = shared.setdefault
        iterator = (list(map(share, row, row)) for row in iterator)
        head = [list(map(share, row, row)) for row in head]
    kept: list[Sequence[str | None]] = []
    numbers: list[int] = []
    number = header_index + 1   # spreadsheet row of the header
    width = len(header_cells)
    padding = [None] * width
    for row in itertools.chain(head[header_index + 1:], iterator):
        number += 1
        if not any(row):
            continue  # a blank line or an empty formatted row, not a record
        if len(row) < width:
            row = [*row, *padding[len(row):]]
        kept.append(row)
        numbers.append(number)
    # Column by column (RawTable keeps its cells so): one pass over the rows per known column, at C speed.
    columns: dict[str, Sequence[str | None]] = {
        field: list(map(itemgetter(position), kept)) for field, position in zip(fields, positions, strict=True)}
    del kept
    if unquote:
        _unquote(columns, shared)
    return RawTable(file=name, sheet=sheet, fields=fields, headers=headers, columns=columns, row_numbers=numbers,
                    unknown_headers=unknown, duplicate_headers=duplicate, header_row=header_index + 1)


def _unquote(columns: dict[str, Sequence[str | None]], distinct: dict[str | None, str | None]) -> None:
    """Replace the cells an export wrote as '=… by their text. Looked for among the distinct cell texts (one
    pass over them, no work per cell); columns are rewritten only when a file has such cells at all."""
    changed = {text: unquote_cell(text) for text in distinct if text and text[0] == "'"}
    changed = {text: plain for text, plain in changed.items() if plain != text}
    if not changed:
        return
    for field, values in columns.items():
        if not changed.keys().isdisjoint(values):
            columns[field] = list(map(changed.get, values, values))
