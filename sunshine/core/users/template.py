"""The blank .xlsx for bulk account creation (`sunshine users template`, and the link on the bulk page).

Generated from the same declarations the reader uses (bulk.COLUMN_LABELS, rules.ROLE_LEVELS), so the template
cannot drift from what `sunshine users import` accepts. The first sheet — the one the import reads — holds only
the header row, so a downloaded template filled in imports as it is; the second sheet, 说明, explains each
column, gives an example row and lists the role codes with the levels each may be bound to."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.users.bulk import COLUMN_LABELS
from sunshine.core.users.rules import ROLE_LEVELS, levels_text

if TYPE_CHECKING:
    from sunshine.core.models import User

FILENAME = "批量创建账号模板.xlsx"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ("username", "full_name", "role", "division")
EXAMPLE_VILLAGE = "320321101001"  # when the acting user sees no village (a fresh install)


def _column_notes() -> dict[str, tuple[str, str]]:
    """Field → (必填/选填, what goes in it)."""
    return {
        "username": (_("必填"), _("登录用的用户名:字母、数字和 @ . + - _,最多150个字符,不能与已有账号重复")),
        "full_name": (_("选填"), _("本人姓名,最多40个字符,显示在页面右上角和操作记录中")),
        "role": (_("必填"), _("角色代码(如 village_clerk)或中文名称(如 村级录入),见下表")),
        "division": (_("必填"), _("所属区划的12位统计用区划代码,级别须与角色相符(村级录入填村的代码)。"
                                  "请把这一列设为文本,以免 Excel 把代码变成科学计数法")),
    }


def example_village(actor: User | None) -> str:
    """A village the acting user may staff, for the example row: the template shows a code that imports."""
    from sunshine.core.models import Division

    villages = Division.objects.filter(level=DivisionLevel.VILLAGE).order_by("code")
    if actor is not None and actor.division_id:
        villages = villages.filter(code__startswith=actor.division.prefix)
    return villages.values_list("code", flat=True).first() or EXAMPLE_VILLAGE


def template_xlsx(example_division: str = EXAMPLE_VILLAGE) -> bytes:
    """The template workbook's bytes."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    text = book.add_format({"num_format": "@"})  # codes stay text: 320321101001, not 3.20321E+11
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    accounts = book.add_worksheet(_("账号"))
    for column, field in enumerate(COLUMNS):
        accounts.write_string(0, column, COLUMN_LABELS[field], bold)
    accounts.set_column(0, 0, 18, text)
    accounts.set_column(1, 1, 12, text)
    accounts.set_column(2, 2, 18, text)
    accounts.set_column(3, 3, 16, text)
    accounts.freeze_panes(1, 0)

    notes = book.add_worksheet(_("说明"))
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 70, wrap)
    notes.set_column(3, 3, 18)
    row = 0
    notes.write_string(row, 0, _("在第一个工作表“账号”中每行填写一个账号,第一行表头不要改动;"
                                 "只要有一行有错,就不会创建任何账号。每个新账号得到一次性密码,首次登录时必须修改。"))
    row += 2
    for column, title in enumerate((_("列"), _("是否必填"), _("填写说明"), _("示例"))):
        notes.write_string(row, column, title, bold)
    example = {"username": "zhangsan01", "full_name": _("张三"), "role": Role.VILLAGE_CLERK.value,
               "division": example_division}
    for field, (required, description) in _column_notes().items():
        row += 1
        notes.write_string(row, 0, COLUMN_LABELS[field])
        notes.write_string(row, 1, required)
        notes.write_string(row, 2, description)
        notes.write_string(row, 3, example[field])
    row += 2
    notes.write_string(row, 0, _("示例行(复制到“账号”工作表时请换成真实信息):"))
    row += 1
    for column, field in enumerate(COLUMNS):
        notes.write_string(row, column, COLUMN_LABELS[field], bold)
    row += 1
    for column, field in enumerate(COLUMNS):
        notes.write_string(row, column, example[field])
    row += 2
    for column, title in enumerate((_("角色代码"), _("角色名称"), _("可用于的区划级别"))):
        notes.write_string(row, column, title, bold)
    for role in ROLE_LEVELS:
        row += 1
        notes.write_string(row, 0, role.value)
        notes.write_string(row, 1, str(role.label))
        notes.write_string(row, 2, levels_text(role))
    book.close()
    return buffer.getvalue()
