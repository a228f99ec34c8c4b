"""The access log as csv (UTF-8 with BOM, for Excel) or xlsx, for the audit page and `sunshine audit export`.

Every text cell goes through the formula-safe writer (sunshine.core.spreadsheet.safe_row): a logged object
reference or query such as ``=HYPERLINK(…)`` stays text. ID numbers and phones are masked for readers whose
role may not see them (sunshine.core.scope.show_text). Rows are streamed: the xlsx in constant memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.core.auditlog.labels import object_type_label
from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog, User
from sunshine.core.scope import show_text
from sunshine.core.spreadsheet import safe_row

FORMATS = ("csv", "xlsx")
CHUNK = 2000


def headers() -> list[str]:
    return [_("序号"), _("时间"), _("用户名"), _("姓名"), _("角色"), _("所属区划"), _("操作"), _("对象类型"),
            _("对象"), _("说明"), _("来源地址"), _("本条哈希")]


def table_row(reader: User | None, row: AccessLog) -> list[Any]:
    """One row as exported; ``reader`` None (the command line, run by the server's operator) sees all."""
    account = row.user
    shown = (lambda text: text) if reader is None else (lambda text: show_text(reader, text))
    return [
        row.seq, timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"), row.username,
        account.full_name if account else "", "、".join(account.role_labels()) if account else "",
        row.division_code, str(AccessAction(row.action).label) if row.action in AccessAction.values else row.action,
        object_type_label(row.object_type), shown(row.object_ref), shown(row.detail), row.ip_address or "",
        row.row_hash,
    ]


def rows_of(reader: User | None, rows: Iterable[AccessLog]) -> Iterator[list[Any]]:
    for row in rows:
        yield safe_row(table_row(reader, row))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(reader: User | None, rows: Iterable[AccessLog]) -> Iterator[str]:
    """The csv, line by line (for a streaming response)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers())
    for values in rows_of(reader, rows):
        yield writer.writerow(values)


def write_csv(reader: User | None, rows: Iterable[AccessLog], out: IO[str]) -> None:
    for line in csv_lines(reader, rows):
        out.write(line)


def write_xlsx(reader: User | None, rows: Iterable[AccessLog], path: Path | str) -> int:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    sheet = book.add_worksheet(_("访问日志"))
    sheet.write_row(0, 0, headers())
    count = 0
    for count, values in enumerate(rows_of(reader, rows), start=1):
        for column, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(count, column, value)
            else:
                sheet.write(count, column, value)
    book.close()
    return count
