"""What every spreadsheet the system writes or reads must respect: one place, used by every export and reader.

Formula injection (OWASP "CSV injection"): a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula when the file is opened in Excel or LibreOffice (``=HYPERLINK(…)`` sends
data away, ``=cmd|…`` starts programs). Every csv/xlsx export therefore writes such a text with one leading
single quote (:func:`safe_cell`), which spreadsheets show as text. Plain numbers (``-12.5``, ``+86…``) are not
formulas and stay as they are. The readers undo exactly that quote (:func:`unquote_cell`), so export → import
gives the original text back. A text that already begins with quotes followed by one of those characters gets
one quote more, so the rule is reversible for every text: ``'=x`` is written ``''=x`` and read back as ``'=x``.
Parquet files are not opened by spreadsheets: they are written and read unchanged.

Oversized sheets: calamine builds a dense grid from the first to the last cell of a sheet, so one cell at
XFD1048576 in a 2 KB file asks for 16,384 × 1,048,576 cells (512 GB) and kills the process.
:func:`check_xlsx_size` reads the worksheet XML from the zip in a stream, without building anything, and
refuses a sheet whose cells reach beyond ``SUNSHINE_XLSX_MAX_COLUMNS`` columns (default 200) or
``SUNSHINE_XLSX_MAX_ROWS`` rows (default 1,048,576, Excel's own limit). The declared ``<dimension>`` is not
trusted either way: a lying small one hides a far cell, and a large one left by formatting costs calamine
nothing (it skips empty cells, and so does this check).

Error messages show at most :data:`SHOWN_CHARS` characters of a cell (:func:`shorten`): a 1 GB cell must not
become a 1 GB message on stderr, in a report or on a page."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

# ---- formula injection -------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# First characters worth a closer look (the quote: a text already quoted must get one more); for hot loops:
# ``safe_cell(v) if v[:1] in RISKY_FIRST else v``.
RISKY_FIRST = frozenset("=+-@\t\r'")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
# A plain decimal number, as Excel reads it: not a formula, left unchanged (money -12.50, phone +86…).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# The same rules for pyarrow (RE2) on whole columns.
QUOTED_PATTERN = r"^'+[=+\-@\t\r]"


def safe_cell(value: Any) -> Any:
    """``value`` as an export cell: a text that a spreadsheet would run as a formula gets one leading ``'``.
    Numbers, None and other texts are returned unchanged."""
    if value.__class__ is str and value and value[0] in "=+-@\t\r'" and _NEEDS_QUOTE.match(value) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Any) -> list[Any]:
    """:func:`safe_cell` of every cell of a row."""
    return [safe_cell(v) for v in row]


def unquote_cell(text: str) -> str:
    """The text an export wrote through :func:`safe_cell`: one leading ``'`` removed when the rest begins
    with quotes and then ``=``, ``+``, ``-``, ``@``, tab or CR; any other text unchanged."""
    if text[:1] == "'" and _QUOTED.match(text):
        return text[1:]
    return text


# ---- long values in messages ---------------------------------------------------------------------------

SHOWN_CHARS = 80


def shorten(value: str, limit: int = SHOWN_CHARS) -> str:
    """At most ``limit`` characters of ``value``, then …(共N字符) when it was longer."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}…(共{len(value)}字符)"


_CONTROLS = {code: 0x2400 + code for code in range(32) if chr(code) not in "\t\n\r"}


def visible_controls(text: str) -> str:
    """C0 control characters (NUL …) as their visible symbols (␀ …): for messages stored or shown."""
    return text.translate(_CONTROLS)


# ---- oversized sheets ----------------------------------------------------------------------------------

DEFAULT_MAX_COLUMNS = 200
DEFAULT_MAX_ROWS = 1_048_576
_CHUNK = 1 << 20
_PROLOGUE = 4096
_DESCRIPTION_BYTES = 16 << 20
_OVERLAP = 256
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
class SheetTooLarge(ValueError):
    """The sheet reaches beyond the configured size; str(exc) is the Chinese message."""


def column_number(letters: str) -> int:
    """A1-style column letters → 1-based column number (A=1, XFD=16384)."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(number: int) -> str:
    """1-based column number → letters (1=A, 200=GR)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _limits() -> tuple[int, int]:
    from django.conf import settings

    if not settings.configured:  # a script without Django settings: the defaults
        return DEFAULT_MAX_COLUMNS, DEFAULT_MAX_ROWS
    return (int(getattr(settings, "SUNSHINE_XLSX_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)),
            int(getattr(settings, "SUNSHINE_XLSX_MAX_ROWS", DEFAULT_MAX_ROWS)))


def _columns_beyond(limit: int) -> str:
    """A regular expression for column letters (1–3 letters) naming a column after ``limit``."""
    letters = column_letters(limit)
    options = []
    if len(letters) < 3:
        options.append(f"[A-Z]{{{len(letters) + 1}}}")
        if len(letters) == 1:
            options.append("[A-Z]{3}")
    # Same length, greater: a greater letter at the first position that differs, anything after.
    for i, ch in enumerate(letters):
        if ch < "Z":
            after = "[A-Z]" * (len(letters) - i - 1)
            options.append(f"{letters[:i]}[{chr(ord(ch) + 1)}-Z]{after}")
    return "(?:" + "|".join(options) + ")" if options else "(?!)"


def _sheet_parts(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) of every worksheet, in the workbook's order; member names alone if the
    workbook's own description cannot be read (calamine would then fail on it anyway)."""
    names = [n for n in book.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
             and "/_rels/" not in n]
    # Expat (≥ 2.4 here) refuses entity-expansion bombs and ElementTree never fetches external entities;
    # the two small parts are size-checked before they are read.
    try:
        if any(book.getinfo(part).file_size > _DESCRIPTION_BYTES
               for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
            raise KeyError("too large")
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))  # noqa: S314 - see above
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    except (KeyError, ElementTree.ParseError):
        return [(PurePosixPath(n).stem, n) for n in names]
    targets = {}
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        targets[rel.get("Id")] = member
    found: list[tuple[str, str]] = []
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        member = targets.get(sheet.get(f"{_REL_NS}id", ""))
        if member in names:
            found.append((sheet.get("name", member), member))
    named = {m for _, m in found}
    return found + [(PurePosixPath(n).stem, n) for n in names if n not in named]


def check_xlsx_size(path: str | Path, name: str, *, max_columns: int | None = None,
                    max_rows: int | None = None) -> None:
    """Raise :class:`SheetTooLarge` when a worksheet of the .xlsx/.xlsm at ``path`` has a cell with content
    beyond ``max_columns`` columns or ``max_rows`` rows (defaults from the settings). A file that is not a
    zip is left to the reader, which reports it."""
    default_columns, default_rows = _limits()
    max_columns = max_columns or default_columns
    max_rows = max_rows or default_rows
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with book:
        for sheet, member in _sheet_parts(book):
            extent = _sheet_extent(book, member, max_columns, max_rows)
            if extent is not None:
                raise SheetTooLarge(
                    f"{name}: 工作表“{sheet}”的数据范围过大(有内容的单元格达到 {extent}),"
                    f"最多允许 {max_columns} 列、{max_rows} 行。请删除表格右侧或下方多余的内容后重新上传")


def _far_reference(max_columns: int, max_rows: int) -> re.Pattern[bytes]:
    """An r="…" attribute naming a column after ``max_columns`` or a row number with at least as many digits
    as ``max_rows`` (checked exactly in Python: such rows are rare). Matches nothing in an ordinary sheet."""
    digits = len(str(max_rows))
    return re.compile(rf'r="(?:({_columns_beyond(max_columns)})(\d+)|([A-Z]{{0,3}})(\d{{{digits},}}))"'.encode())


def _element_at(data: bytes, position: int) -> tuple[str, bool]:
    """The local name of the element whose start tag holds ``position``, and whether it is self-closing."""
    start, end = data.rfind(b"<", 0, position), data.find(b">", position)
    if start < 0 or end < 0:
        return "", False
    name = data[start + 1:end].split(None, 1)[0].split(b":")[-1].rstrip(b"/")
    return name.decode("ascii", "replace"), data[end - 1:end] == b"/"


def _sheet_extent(book: zipfile.ZipFile, member: str, max_columns: int, max_rows: int) -> str | None:
    """The reference of a cell with content beyond the limits (e.g. "XFD1048576"), or None.

    One streaming pass in 1 MB chunks, cut just before a "<" so that no tag is split: one regex that matches
    only far references (each match checked in Python), and two byte counts that tell whether any cell lacks
    its reference (``<c>`` placed by position, which no usual writer does). Only then, or for a sheet
    written with namespace prefixes (``<x:c>``), the exact but slower walk of :func:`_positional_extent`
    runs. A 400 MB sheet (350,000 rows × 22 columns) takes about two seconds; calamine takes seven to read it."""
    far = _far_reference(max_columns, max_rows)
    cells = referenced = 0
    pending = b""
    first = True
    try:
        with book.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                data = pending + chunk
                if first:
                    first = False
                    if b"<worksheet" not in data[:_PROLOGUE]:
                        return _positional_extent(book, member, max_columns, max_rows)
                cut = data.rfind(b"<")
                if cut <= 0:  # a very long text without tags: keep only what could be part of a reference
                    pending = data[-_OVERLAP:] if len(data) > _CHUNK else data
                    continue
                data, pending = data[:cut], data[cut:]
                found = _far_cell(data, far, max_columns, max_rows)
                if found:
                    return found
                cells += data.count(b"<c")
                referenced += data.count(b'<c r="')
            found = _far_cell(pending, far, max_columns, max_rows)
            if found:
                return found
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None  # a damaged part: calamine reports the file as unreadable
    # "<c" also counts <col>, <cols>, <cfRule>…: a few such elements only send a sheet to the exact walk.
    if cells - referenced > max_columns:
        return _positional_extent(book, member, max_columns, max_rows)
    return None


def _far_cell(data: bytes, far: re.Pattern[bytes], max_columns: int, max_rows: int) -> str | None:
    for match in far.finditer(data):
        name, empty = _element_at(data, match.start())
        if empty or name not in ("c", "row"):
            continue  # a formatted but empty cell costs calamine nothing; r="…" in other tags is not a cell
        if match.group(1):
            if name == "c":
                return (match.group(1) + match.group(2)).decode()
        elif int(match.group(4)) > max_rows:
            return (match.group(3) + match.group(4)).decode() if name == "c" else f"第{int(match.group(4))}行"
    return None


def _positional_extent(book: zipfile.ZipFile, member: str, max_columns: int, max_rows: int) -> str | None:
    """The exact walk for cells without references (which Excel and the usual libraries never write): rows
    and cells are counted as calamine places them."""
    row, column = 0, 0
    try:
        with book.open(member) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):  # noqa: S314
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "start" and tag == "row":
                    ref = element.get("r")
                    row = int(ref) if ref and ref.isdigit() else row + 1
                    column = 0
                elif event == "start" and tag == "c":
                    ref = element.get("r")
                    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref or "")
                    column = column_number(match.group(1)) if match else column + 1
                elif event == "end" and tag == "c":
                    has_content = len(element) > 0 or bool(element.text)
                    if has_content and (column > max_columns or row > max_rows):
                        return f"{column_letters(column)}{row}"
                    element.clear()
                elif event == "end" and tag == "row":
                    element.clear()
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return None


def write_records(path: Path, records: Iterable[dict[str, Any]], header: Sequence[str],
                  to_row: Callable[[dict[str, Any]], list[Any]], *, sheet: str = "Sheet1",
                  streamed_json: bool = False) -> int:
    """The one writer of the CLI's ``--out`` files: .json with the records as they are (the English keys of the
    contracts; ``streamed_json`` writes one record a line without holding them all), .csv (UTF-8 with BOM, for
    Excel) and .xlsx under the Chinese ``header`` with ``to_row`` giving each record's cells, formula-safe.
    Returns the number of rows written."""
    import csv
    import json

    suffix = path.suffix.lower()
    count = 0
    if suffix == ".json" and streamed_json:
        with path.open("w", encoding="utf-8") as fh:
            fh.write("[")
            for record in records:
                fh.write(",\n" if count else "\n")
                fh.write(json.dumps(record, ensure_ascii=False))
                count += 1
            fh.write("\n]\n" if count else "]\n")
        return count
    if suffix == ".json":
        items = list(records)
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return len(items)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for count, record in enumerate(records, start=1):  # noqa: B007 - the count is the result
                writer.writerow(safe_row(to_row(record)))
        return count
    if suffix != ".xlsx":
        raise ValueError(f"输出文件应为 .json、.csv、.xlsx 之一: {path.name}")
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    page = book.add_worksheet(sheet[:31])
    page.write_row(0, 0, list(header))
    for count, record in enumerate(records, start=1):  # noqa: B007
        page.write_row(count, 0, safe_row(to_row(record)))
    book.close()
    return count


def labelled_row(headers: dict[str, str], words: dict[str, dict[str, str]] | None = None
                 ) -> Callable[[dict[str, Any]], list[Any]]:
    """``to_row`` for records whose keys are ``headers``' keys: None as empty, enumerations in Chinese ``words``."""
    words = words or {}

    def to_row(record: dict[str, Any]) -> list[Any]:
        out = []
        for key in headers:
            value = record[key]
            known = words.get(key)
            out.append("" if value is None else known.get(value, value) if known else value)
        return out

    return to_row
