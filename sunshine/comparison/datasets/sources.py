"""A dataset file → its header and batches of text cells (trimmed; empty → null), numbered as a spreadsheet
shows them.

Every format goes through the registry's readers (sunshine.registry.transfer.readers) for what they decide:
which row holds the headers, how headers map to fields, how a typed cell (Excel, Parquet) reads as text.
Large CSV and Parquet files are then read in batches by pyarrow instead of as Python rows: a CSV that pyarrow
cannot read the same way (a blank line, a row longer than the header, a line break inside a cell) raises
FastPathUnavailable, and the caller starts again on the registry's reader."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.comparison.datasets.spec import DatasetSpec
from sunshine.core.spreadsheet import QUOTED_PATTERN, unquote_cell
from sunshine.registry.transfer.model import RawTable, TransferFileError
from sunshine.registry.transfer.readers import (
    HEADER_SEARCH_ROWS,
    SUFFIXES,
    cell_text,
    detect_encoding,
    normalise_header,
    read_table,
    table_from_rows,
)

BATCH_ROWS = 262_144
CSV_BLOCK_BYTES = 16 << 20
SNIFF_BYTES = 4 << 20


class FastPathUnavailable(Exception):
    """pyarrow cannot read this CSV exactly as the registry's reader does; read it that way instead — or, when
    ``encoding`` is set, with pyarrow again in that encoding (the start of the file looked like UTF-8)."""

    def __init__(self, message: str, encoding: str | None = None) -> None:
        super().__init__(message)
        self.encoding = encoding


@dataclass(frozen=True)
class TextBatch:
    rows: np.ndarray                     # int64 spreadsheet row numbers
    cells: dict[str, pa.StringArray]     # field → text (null when empty), for the fields the file has

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Source:
    file: str
    sheet: str
    header_row: int
    headers: dict[str, str]              # field → header as written
    unknown: list[str]
    duplicates: list[str]
    batches: Iterator[TextBatch]
    fast: bool = False
    total_rows: int = 0                  # for progress, when known
    total_bytes: int = 0                 # for progress of a CSV read by blocks

    def fraction(self, rows_done: int, batches_done: int) -> float:
        """How much of the file has been read, 0–1 (an estimate for CSV)."""
        if self.total_rows:
            return min(1.0, rows_done / self.total_rows)
        if self.total_bytes:
            return min(0.99, batches_done * CSV_BLOCK_BYTES / self.total_bytes)
        return 0.0


def open_source(path: Path, spec: DatasetSpec, name: str, *, fast: bool = True,
                encoding: str | None = None) -> Source:
    """The file's header and a lazy stream of its rows. Raises TransferFileError when it cannot be read.
    ``encoding``: of a CSV, when known (else guessed from its start)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TransferFileError(f"{name}: 不支持的文件类型“{suffix}”,应为 .xlsx、.csv 或 .parquet 文件")
    if not path.is_file():
        raise TransferFileError(f"{name}: 文件不存在")
    if fast and suffix == ".parquet":
        return _parquet_source(path, spec, name)
    if fast and suffix == ".csv":
        return _csv_source(path, spec, name, encoding or _sniff_encoding(path, name))
    return _raw_source(read_table(path, spec, display_name=name))


# ---- through the registry's reader (xlsx; any CSV pyarrow cannot take) ----

def _raw_source(raw: RawTable) -> Source:
    def batches() -> Iterator[TextBatch]:
        for start in range(0, len(raw.rows), BATCH_ROWS):
            chunk = raw.rows[start:start + BATCH_ROWS]
            cells = {f: pa.array(list(map(itemgetter(f), chunk)), type=pa.string()) for f in raw.fields}
            yield TextBatch(np.asarray(raw.row_numbers[start:start + BATCH_ROWS], dtype=np.int64), cells)
        raw.rows.clear()  # read once: free the cells as soon as they are typed

    return Source(raw.file, raw.sheet, raw.header_row, dict(raw.headers), list(raw.unknown_headers),
                  list(raw.duplicate_headers), batches(), total_rows=len(raw.rows))


def _positions(raw: RawTable, header_cells: list[str | None]) -> dict[str, int]:
    """Field → column position, as the reader chose them (the first column naming a field)."""
    normalised = [normalise_header(c) for c in header_cells]
    return {f: normalised.index(text) for f, text in raw.headers.items()}


# ---- text columns from Arrow ----

def _trimmed(column: pa.Array) -> pa.Array:
    """Strings trimmed, "" → null (as the readers do)."""
    column = pc.utf8_trim_whitespace(column)
    filled = pc.fill_null(pc.greater(pc.binary_length(column), 0), False)
    if column.offset or filled.offset:
        return pc.if_else(filled, column, pa.scalar(None, pa.string()))
    # The same offsets and characters under a validity bitmap that marks empty strings null: no copy
    # (comparing every cell with "" costs more than the whole CSV parse).
    return pa.Array.from_buffers(pa.string(), len(column), [filled.buffers()[1], *column.buffers()[1:]])


def _unquoted(column: pa.Array) -> pa.Array:
    """The export's formula guard undone, as the registry's CSV reader does (core.spreadsheet.unquote_cell):
    one leading quote dropped before =, +, -, @, tab or CR. Checked first with a cheap prefix test: almost
    no column has such a cell."""
    if not pc.any(pc.starts_with(column, "'")).as_py():
        return column
    quoted = pc.fill_null(pc.match_substring_regex(column, QUOTED_PATTERN), False)
    return pc.if_else(quoted, pc.utf8_slice_codeunits(column, 1), column)


def _blank(columns: list[pa.Array], n: int) -> np.ndarray:
    """True where every cell of the row is empty (a blank or merely formatted row: not a record)."""
    blank = np.ones(n, dtype=bool)
    for column in columns:
        blank &= pc.is_null(column).to_numpy(zero_copy_only=False)
    return blank


def _batch(columns: list[pa.Array], rows: np.ndarray, positions: dict[str, int]) -> TextBatch:
    keep = ~_blank(columns, len(rows))
    if keep.all():
        return TextBatch(rows, {f: columns[i] for f, i in positions.items()})
    mask = pa.array(keep)
    return TextBatch(rows[keep], {f: columns[i].filter(mask) for f, i in positions.items()})


# ---- CSV via pyarrow ----

def _head(path: Path, name: str, encoding: str) -> list[list[str | None]]:
    """The first rows as the registry's CSV reader gives them, without reading the whole file."""
    try:
        with path.open(encoding="utf-8-sig" if encoding == "utf8" else encoding, newline="") as fh:
            return [[(unquote_cell(t) if (t := v.strip()) else None) for v in row]
                    for row in itertools.islice(csv.reader(fh), HEADER_SEARCH_ROWS)]
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, name, encoding, exc) from exc
    except csv.Error as exc:
        raise FastPathUnavailable(str(exc)) from exc


def _not_utf8(path: Path, name: str, encoding: str, exc: Exception) -> FastPathUnavailable:
    """What to do when a file whose start looked like UTF-8 turns out not to be: read it again as GB18030
    when the whole file says so (the registry's detection), else by the registry's reader."""
    if encoding == "utf8" and detect_encoding(path, name) == "gb18030":
        return FastPathUnavailable(str(exc), encoding="gb18030")
    return FastPathUnavailable(str(exc))


def _csv_source(path: Path, spec: DatasetSpec, name: str, encoding: str) -> Source:
    import pyarrow.csv as pacsv

    head = _head(path, name, encoding)
    raw = table_from_rows(name, "", head, spec)  # the reader's header rules, on the first rows
    width = len(head[raw.header_row - 1]) if head else 0
    positions = _positions(raw, list(head[raw.header_row - 1])) if head else {}
    names = [f"c{i}" for i in range(width)]
    expected = [(number, row) for number, row in zip(raw.row_numbers, raw.rows, strict=True)]

    def batches() -> Iterator[TextBatch]:
        if not width:
            return
        try:
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(encoding=encoding,
                                               skip_rows=raw.header_row, column_names=names,
                                               block_size=CSV_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(ignore_empty_lines=False, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
            number = raw.header_row
            checked = False
            for record_batch in reader:
                n = record_batch.num_rows
                rows = np.arange(number + 1, number + 1 + n, dtype=np.int64)
                number += n
                batch = _batch([_unquoted(_trimmed(c)) for c in record_batch.columns], rows, positions)
                if not checked:
                    _same_as_reader(batch, expected)
                    checked = True
                yield batch
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, name, encoding, exc) from exc
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc):
                raise _not_utf8(path, name, encoding, exc) from exc
            raise FastPathUnavailable(str(exc)) from exc

    return Source(name, "", raw.header_row, dict(raw.headers), list(raw.unknown_headers),
                  list(raw.duplicate_headers), batches(), fast=True, total_bytes=path.stat().st_size)


def _sniff_encoding(path: Path, name: str) -> str:
    """UTF-8 when the file's first megabytes decode as UTF-8, else GB18030. A file that turns out otherwise
    further on makes pyarrow fail, and it is read again in the encoding the registry's (whole-file) detection
    finds."""
    with path.open("rb") as fh:
        start = fh.read(SNIFF_BYTES)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return detect_encoding(path, name)  # raises the reader's message
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf8"


def _same_as_reader(batch: TextBatch, expected: list[tuple[int, dict[str, str | None]]]) -> None:
    """The first rows as pyarrow read them must be the rows the registry's reader saw (title rows or blank
    lines before the header could shift them)."""
    seen = {int(r): i for i, r in enumerate(batch.rows[:len(expected) + HEADER_SEARCH_ROWS])}
    for number, row in expected:
        i = seen.get(number)
        if i is None or any(batch.cells[f][i].as_py() != v for f, v in row.items()):
            raise FastPathUnavailable(f"row {number} differs")


# ---- Parquet ----

def _text_column(column: pa.Array) -> pa.Array:
    """A Parquet column as the text the reader would give (readers.cell_text of each distinct value)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _trimmed(column.cast(pa.string()))
    if pa.types.is_null(kind):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_integer(kind):
        return column.cast(pa.string())  # exact, as cell_text(exact_ints=True)
    uniques = pc.unique(column)
    texts = pa.array([cell_text(v, exact_ints=True) for v in uniques.to_pylist()], type=pa.string())
    return texts.take(pc.index_in(column, value_set=uniques))


def _parquet_source(path: Path, spec: DatasetSpec, name: str) -> Source:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise TransferFileError(f"{name}: 无法读取Parquet文件:{exc}") from exc
    header = list(parquet.schema_arrow.names)
    raw = table_from_rows(name, "", [header], spec)  # type: ignore[arg-type]
    positions = _positions(raw, header)

    def batches() -> Iterator[TextBatch]:
        number = 1
        try:
            for record_batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                n = record_batch.num_rows
                rows = np.arange(number + 1, number + 1 + n, dtype=np.int64)
                number += n
                yield _batch([_text_column(c) for c in record_batch.columns], rows, positions)
        except (pa.ArrowException, OSError) as exc:
            raise TransferFileError(f"{name}: 无法读取Parquet文件:{exc}") from exc

    return Source(name, "", raw.header_row, dict(raw.headers), list(raw.unknown_headers),
                  list(raw.duplicate_headers), batches(), total_rows=parquet.metadata.num_rows, fast=True)
