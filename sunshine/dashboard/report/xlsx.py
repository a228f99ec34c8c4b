"""The report pack as an Excel workbook: a sheet per table, a title row (division, year, refresh time), the
Chinese headers with the panes frozen under them, number formats (#,##0 counts, #,##0.00 yuan, 0.0% shares),
column widths and the total row. Figures are written as numbers, so the county's staff can add them up again."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.dashboard.report.tables import Format, Pack, Table

NUMBER_FORMATS = {Format.COUNT: "#,##0", Format.MONEY: "#,##0.00", Format.SHARE: "0.0%"}
TITLE_ROW, INFO_ROW, HEADER_ROW = 0, 1, 2
FONT = "宋体"


def subtitle(pack: Pack) -> str:
    when = (timezone.localtime(pack.refreshed_at).strftime("%Y-%m-%d %H:%M") if pack.refreshed_at
            else _("尚未刷新"))
    return _("%(division)s(%(code)s) %(year)s年度 · 数据更新时间 %(when)s") % {
        "division": pack.division.name, "code": pack.division.code, "year": pack.year, "when": when}


def _width(text: str) -> float:
    """Excel column width of a text: a CJK character is about two Latin ones wide."""
    return sum(2.1 if ord(ch) > 0x2E80 else 1.1 for ch in text)


class _Formats:
    def __init__(self, book: Any) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.info = book.add_format({**base, "font_color": "#555555"})
        self.header = book.add_format({**base, "bold": True, "bg_color": "#E8E8E8", "border": 1,
                                       "text_wrap": True, "align": "center"})
        self.note = book.add_format({**base, "italic": True, "font_color": "#555555"})
        self.cells = {(fmt, total): book.add_format({
            **base, "border": 1, "bold": total, **({"bg_color": "#F2F2F2"} if total else {}),
            **({"num_format": NUMBER_FORMATS[fmt]} if fmt in NUMBER_FORMATS else {})})
            for fmt in Format for total in (False, True)}


def _value(cell: Any) -> Any:
    return float(cell) if cell is not None and not isinstance(cell, str) else cell


def _sheet(book: Any, formats: _Formats, pack: Pack, table: Table, name: str) -> None:
    sheet = book.add_worksheet(name)
    last = len(table.columns) - 1
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, max(last, 1), f"{pack.division.name} {pack.year}年度 {table.title}",
                      formats.title)
    sheet.merge_range(INFO_ROW, 0, INFO_ROW, max(last, 1), subtitle(pack), formats.info)
    sheet.set_row(TITLE_ROW, 24)
    widths = [_width(c.header) for c in table.columns]
    for col, column in enumerate(table.columns):
        sheet.write_string(HEADER_ROW, col, column.header, formats.header)
    body = [*table.rows, *([table.total] if table.total else [])]
    for offset, cells in enumerate(body):
        row = HEADER_ROW + 1 + offset
        is_total = table.total is not None and offset == len(body) - 1
        for col, (cell, column) in enumerate(zip(cells, table.columns, strict=True)):
            sheet.write(row, col, _value(cell), formats.cells[(column.format, is_total)])
            shown = cell if isinstance(cell, str) else f"{float(cell):,.2f}" if cell is not None else ""
            widths[col] = max(widths[col], _width(shown))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width + 2, 9), 40))
    if table.note:
        sheet.write_string(HEADER_ROW + len(body) + 2, 0, table.note, formats.note)
    # Frozen under the header and right of the row labels: the division names stay in sight when scrolling.
    sheet.freeze_panes(HEADER_ROW + 1, 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(HEADER_ROW)
    sheet.fit_to_pages(1, 0)


def write(pack: Pack, out: Path | IO[bytes]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(out if isinstance(out, io.IOBase) else str(out), {"in_memory": True})
    book.set_properties({"title": pack.title, "company": _("阳光扶贫")})
    formats = _Formats(book)
    used: set[str] = set()
    for table in pack.tables:
        name = table.sheet[:31]
        n = 2
        while name in used:
            name = f"{table.sheet[:28]}{n}"
            n += 1
        used.add(name)
        _sheet(book, formats, pack, table, name)
    book.close()


def render(pack: Pack) -> bytes:
    buffer = io.BytesIO()
    write(pack, buffer)
    return buffer.getvalue()
