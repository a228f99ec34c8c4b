"""Real Chromium: a clerk uploads a members file with a bad ID; the job page shows the error row and
nothing is written; the corrected file imports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.registry.models import HouseholdYear
from sunshine.registry.transfer.export import export_year
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_reports_errors_then_imports(page: Page, live_server, users, household_a, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    paths = export_year(2020, tmp_path / "files", "csv", division=f.VILLAGE_A, unmasked=True)
    text = paths["members"].read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index("身份证号")
    good = rows[2][col]
    rows[2][col] = good[:-1] + ("1" if good[-1] != "1" else "2")  # break the check character of row 3
    bad = tmp_path / "members-bad.csv"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    bad.write_text(out.getvalue(), encoding="utf-8-sig")
    before = HouseholdYear.history.count()

    login(page, live_server, "clerk_a")
    page.get_by_role("link", name="导入导出", exact=True).click()
    page.get_by_label("户信息文件").set_input_files(str(paths["households"]))
    page.get_by_label("成员信息文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/transfer/jobs/\d+/"))
    body = page.locator("main")
    expect(body).to_contain_text("校验位")
    expect(body).to_contain_text("members-bad.csv")
    expect(page.get_by_role("cell", name="3", exact=True).first).to_be_visible()  # the spreadsheet row
    assert good not in page.content()  # the error table masks ID numbers
    assert HouseholdYear.history.count() == before  # nothing written

    page.get_by_role("link", name="导入导出", exact=True).click()
    page.get_by_label("户信息文件").set_input_files(str(paths["households"]))
    page.get_by_label("成员信息文件").set_input_files(str(paths["members"]))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("main")).to_contain_text("完成")
