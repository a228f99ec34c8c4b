"""The blank bulk-creation template (page link and `sunshine users template`): downloaded, filled with two rows
and imported, it creates both accounts; its 说明 sheet explains every column and lists every role code."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.testing import factories as f

ROWS = [["wang_cun", "王村", "village_clerk", f.VILLAGE_A], ["li_zhen", "李镇", "乡镇审核", f.TOWNSHIP_A]]


def fill(blank: bytes, rows: list[list[str]]) -> bytes:
    """What an operator does in Excel: type rows under the header of the first sheet, save."""
    book = openpyxl.load_workbook(io.BytesIO(blank))
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_from_the_bulk_page_filled_with_two_rows_imports_cleanly(users):
    client = Client()
    client.force_login(users["county"])
    page = client.get("/users/bulk/").content.decode()
    assert 'href="/users/bulk/template/"' in page
    response = client.get("/users/bulk/template/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["账号", "说明"]
    assert [c.value for c in book["账号"][1]] == ["用户名", "姓名", "角色", "区划代码"]
    assert book["账号"].max_row == 1  # header only: nothing to delete before importing
    notes = "\n".join(str(v) for row in book["说明"].iter_rows(values_only=True) for v in row if v)
    for role in Role:
        assert role.value in notes and str(role.label) in notes
    for column in ("用户名", "姓名", "角色", "区划代码", "必填", "选填"):
        assert column in notes
    assert f.VILLAGE_A in notes  # the example row uses a village of the manager's county

    upload = SimpleUploadedFile("users.xlsx", fill(response.content, ROWS))
    result = client.post("/users/bulk/", {"file": upload})
    assert result.status_code == 200
    assert "已批量创建 2 个账号" in result.content.decode()
    wang, li = User.objects.get(username="wang_cun"), User.objects.get(username="li_zhen")
    assert wang.roles == [Role.VILLAGE_CLERK] and wang.division_id == f.VILLAGE_A and wang.full_name == "王村"
    assert li.roles == [Role.TOWNSHIP_REVIEWER] and li.division_id == f.TOWNSHIP_A
    assert wang.must_change_password and li.must_change_password


def test_template_is_for_user_managers_only(users):
    client = Client()
    client.force_login(users["clerk"])
    assert client.get("/users/bulk/template/").status_code == 403


def test_cli_template_then_import(users, tmp_path: Path):
    blank = tmp_path / "模板.xlsx"
    out = io.StringIO()
    call_command("users", "template", "--out", str(blank), "--user", "admin", stdout=out)
    assert "已生成模板" in out.getvalue()
    filled = tmp_path / "users.xlsx"
    filled.write_bytes(fill(blank.read_bytes(), ROWS))
    out = io.StringIO()
    call_command("users", "import", str(filled), "--user", "admin", stdout=out, stderr=io.StringIO())
    assert "已创建 2 个账号" in out.getvalue()
    assert set(User.objects.filter(username__in=["wang_cun", "li_zhen"]).values_list("username", flat=True)) == {
        "wang_cun", "li_zhen"}
