"""The unit list of a draw as CSV (UTF-8 with BOM, for Excel) or XLSX, ID numbers as the reader may see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sunshine.core.models import User
from sunshine.core.scope import show_id_number
from sunshine.core.spreadsheet import safe_row
from sunshine.monitoring.models import SampleDraw, SampleUnit
from sunshine.monitoring.sampling import selectors
from sunshine.monitoring.sampling.draw import stratum_parts
from sunshine.registry.choices import HouseholdStatus

FORMATS = ("csv", "xlsx")
HEADERS = ["户编号", "所在村", "县(区)代码", "抽样年度状态", "权数", "户主姓名", "户主身份证号", "走访日期", "信息准确",
           "错退", "走访记录", "走访人"]
STATUS_LABELS = dict(HouseholdStatus.choices)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def rows(reader: User, draw: SampleDraw, units: Iterable[SampleUnit]) -> Iterator[list[Any]]:
    units = list(units)
    heads = selectors.heads(draw, [u.household_id for u in units])
    for unit in units:
        county, status = stratum_parts(unit.stratum)
        name, number = heads.get(unit.household_id, ("", ""))
        yield [unit.household.household_no, unit.household.village.name, county, STATUS_LABELS.get(status, status),
               round(unit.weight, 4), name, show_id_number(reader, number),
               unit.visited_on.isoformat() if unit.visited_on else "", _yes_no(unit.data_correct),
               _yes_no(unit.wrongly_exited), unit.note,
               (unit.visitor.full_name or unit.visitor.username) if unit.visitor else ""]


def render(reader: User, draw: SampleDraw, fmt: str) -> tuple[bytes, int]:
    """The file's bytes and its number of rows."""
    # Formula injection: a note or name such as =HYPERLINK(…) is written as text (core.spreadsheet).
    data = [safe_row(row) for row in rows(reader, draw, selectors.units(reader, draw))]
    if fmt == "csv":
        text = io.StringIO()
        out = csv.writer(text)
        out.writerow(HEADERS)
        out.writerows(data)
        return text.getvalue().encode("utf-8-sig"), len(data)
    if fmt != "xlsx":
        raise ValueError(f"导出格式应为 {'、'.join(FORMATS)} 之一")
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet(f"{draw.year}年度抽样核查"[:31])
    page.write_row(0, 0, HEADERS)
    for i, row in enumerate(data, start=1):
        page.write_row(i, 0, row)
    book.close()
    return buffer.getvalue(), len(data)
