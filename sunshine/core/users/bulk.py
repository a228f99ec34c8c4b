"""Bulk creation of accounts from an .xlsx file: one row per user with 用户名, 姓名, 角色, 区划代码.

All or nothing: every row is checked first (the same rules as one account at a time, see services), and a
file with any bad row creates no account; the error report lists row, column, value and what is allowed.
Each account created gets a one-time password, shown once, to be changed at the first login."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sunshine.core.models import Division, User
from sunshine.core.spreadsheet import SheetTooLarge, check_xlsx_size, shorten, unquote_cell, visible_controls
from sunshine.core.users import services
from sunshine.core.users.rules import ROLE_LEVELS, UnknownRole, level_error, parse_role

# Header (as written in the file, Chinese or English) → field.
HEADERS = {"用户名": "username", "username": "username", "姓名": "full_name", "full_name": "full_name",
           "角色": "role", "role": "role", "区划代码": "division", "division": "division",
           "division_code": "division"}
COLUMN_LABELS = {"username": "用户名", "full_name": "姓名", "role": "角色", "division": "区划代码"}
REQUIRED = ("username", "role", "division")
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10


class BulkFileError(ValueError):
    """A file that cannot be read at all; the message says why, in Chinese."""


@dataclass(frozen=True)
class RowError:
    row: int       # as the spreadsheet shows it
    column: str    # the column's Chinese header
    value: str
    message: str   # says what is allowed

    ERROR_HEADERS = ("行", "列", "值", "说明")


@dataclass(frozen=True)
class BulkResult:
    created: list[services.Created]
    errors: list[RowError]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number: 320321101001.0 → 320321101001
    return unquote_cell(str(value).strip())


def read_rows(path: str | Path, name: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """(spreadsheet row number, cells by field) of every non-empty data row, and header errors."""
    from python_calamine import CalamineError, CalamineWorkbook

    if not str(name).lower().endswith((".xlsx", ".xlsm")):
        raise BulkFileError(_("%(name)s:不支持的文件类型,应为 .xlsx 文件") % {"name": shorten(name)})
    try:
        check_xlsx_size(path, name, max_columns=50, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS + 1)
    except SheetTooLarge as exc:
        raise BulkFileError(str(exc)) from exc
    try:
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_name(book.sheet_names[0]).to_python() if book.sheet_names else []
    except (CalamineError, OSError, ValueError, IndexError) as exc:
        raise BulkFileError(_("%(name)s:无法读取Excel文件,文件可能已损坏或加密") % {"name": shorten(name)}) from exc
    return _table(rows)


def _table(rows: Sequence[Sequence[Any]]) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    header_at = next((i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                      if any(_text(v) in HEADERS for v in row)), None)
    if header_at is None:
        return [], [RowError(1, "", "", _("找不到表头:第一行应为 用户名、姓名、角色、区划代码"))]
    columns: dict[int, str] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(rows[header_at]):
        field = HEADERS.get(_text(cell).lower()) or HEADERS.get(_text(cell))
        if field is None:
            continue
        if field in columns.values():
            errors.append(RowError(header_at + 1, _text(cell), _text(cell), _("这一列重复了")))
        columns[index] = field
    for field in REQUIRED:
        if field not in columns.values():
            errors.append(RowError(header_at + 1, COLUMN_LABELS[field], "",
                                   _("缺少必填列“%(column)s”") % {"column": COLUMN_LABELS[field]}))
    data: list[tuple[int, dict[str, str]]] = []
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = {field: _text(row[i]) if i < len(row) else "" for i, field in columns.items()}
        if any(cells.values()):
            data.append((offset, cells))
    return data, errors


def _error(row: int, field: str, value: str, message: str) -> RowError:
    return RowError(row, COLUMN_LABELS[field], visible_controls(shorten(value)), message)


def check_rows(actor: User, rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Typed rows ready to create, and every error (all rows are checked, not only up to the first bad one)."""
    ready: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows = list(rows)
    existing = set(User.objects.filter(username__in=[c.get("username", "") for _, c in rows])
                   .values_list("username", flat=True))
    divisions = {d.code: d for d in Division.objects.filter(code__in=[c.get("division", "") for _, c in rows])}
    for number, cells in rows:
        username, full_name = cells.get("username", ""), cells.get("full_name", "")
        row_errors: list[RowError] = []
        if not username:
            row_errors.append(_error(number, "username", "", _("必填")))
        elif username in existing:
            row_errors.append(_error(number, "username", username, _("用户名已存在")))
        elif username in seen:
            row_errors.append(_error(number, "username", username,
                                     _("与第 %(row)d 行的用户名重复") % {"row": seen[username]}))
        else:
            try:
                User._meta.get_field("username").run_validators(username)
                if len(username) > 150:
                    raise ValidationError(_("不能超过150个字符"))
            except ValidationError:
                row_errors.append(_error(number, "username", username,
                                         _("用户名只能包含字母、数字和 @ . + - _,最多150个字符")))
            seen[username] = number
        if len(full_name) > 40:
            row_errors.append(_error(number, "full_name", full_name, _("姓名最多40个字符")))
        role = None
        try:
            role = parse_role(cells.get("role", ""))
        except UnknownRole as exc:
            row_errors.append(_error(number, "role", cells.get("role", ""), str(exc)))
        code = cells.get("division", "")
        division = divisions.get(code)
        if division is None:
            row_errors.append(_error(number, "division", code,
                                     _("区划代码不存在,应为系统中已有的12位统计用区划代码")))
        elif role is not None:
            if division.level not in ROLE_LEVELS[role]:
                row_errors.append(_error(number, "division", code, level_error(role, division)))
            elif not services.may_assign(actor, [role], division):
                row_errors.append(_error(number, "role", cells.get("role", ""),
                                         _("您不能在这个区划授予这个角色(县级管理只能在本县内授予村级录入、乡镇审核、县级管理)")))
        errors += row_errors
        if not row_errors:
            ready.append({"row": number, "username": username, "full_name": full_name, "roles": [role],
                          "division": division})
    return ready, errors


def bulk_create(actor: User, path: str | Path, name: str) -> BulkResult:
    """Create every account of the file, or none when any row is bad."""
    rows, errors = read_rows(path, name)
    ready, row_errors = check_rows(actor, rows)
    errors += row_errors
    if not errors and not ready:
        errors.append(RowError(2, "", "", _("文件中没有账号数据")))
    if len(rows) > MAX_ROWS:
        errors.append(RowError(MAX_ROWS + 2, "", "", _("一次最多导入 %(n)d 个账号") % {"n": MAX_ROWS}))
    if errors:
        return BulkResult([], errors)
    created: list[services.Created] = []
    with transaction.atomic():
        for spec in ready:
            row = spec.pop("row")
            try:
                created.append(services.create_user(actor, reason=_("批量创建账号"), **spec))
            except (services.UserChangeError, PermissionDenied) as exc:  # a rule the row checks did not foresee
                messages = exc.messages if isinstance(exc, services.UserChangeError) else [str(exc)]
                transaction.set_rollback(True)
                return BulkResult([], [_error(row, "username", spec["username"], ";".join(messages))])
    return BulkResult(created, [])
