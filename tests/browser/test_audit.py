"""Real Chromium: a county supervisor opens 访问日志 from the menu, filters the log, checks its integrity and
exports it; the export is itself in the log, and the county's log only (issue 12, "Audit")."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, Role
from sunshine.core.models import AccessLog
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_filters_verifies_and_exports(page: Page, live_server, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # this test's own checkpoint
    far = f.make_user("county_far", Role.COUNTY_MANAGER, "320322000000")
    log_access(user=users["county"], action=AccessAction.VIEW_FULL, object_type="household", object_ref="READ-1")
    log_access(user=users["clerk"], action=AccessAction.EXPORT, object_type="registry_year",
               object_ref="=HYPERLINK(1)")
    log_access(user=far, action=AccessAction.EXPORT, object_type="registry_year", object_ref="FAR-1")

    login(page, live_server, "supervisor")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="访问日志").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("访问日志")
    table = page.get_by_test_id("access-log")
    expect(table).to_contain_text("READ-1")
    expect(table).not_to_contain_text("FAR-1")  # another county's
    expect(table).to_contain_text("登录")  # the supervisor's own sign-in just now

    page.get_by_label("操作").select_option(label="导出")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("=HYPERLINK(1)")
    expect(table).to_contain_text("年度建档立卡数据")

    page.get_by_test_id("verify").click()
    expect(page.locator(".messages")).to_contain_text("访问日志完整")
    expect(page.get_by_test_id("chain-status")).to_contain_text("完好")

    page.get_by_label("操作").select_option(label="导出")
    page.get_by_role("button", name="查询").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = (tmp_path / "log.csv")
    download.save_as(text)
    rows = list(csv.reader(io.StringIO(text.read_text(encoding="utf-8-sig"))))
    assert [r[8] for r in rows[1:]] == ["'=HYPERLINK(1)"]  # formula-safe, the filter applied
    assert AccessLog.objects.filter(user=users["supervisor"], action=AccessAction.EXPORT,
                                    object_type="access_log").count() == 1
