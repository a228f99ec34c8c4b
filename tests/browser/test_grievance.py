"""Real Chromium at 390 px: the grievance pages fit a phone, and a web report walks through the public form
(county first, then the place) to its query code, which then shows the progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sunshine.grievance.choices import State
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 390


def width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_staff_pages_fit_a_phone(page: Page, live_server, users):
    g, _ = gf.register(users["county"])
    gf.walk(g, users, State.INVESTIGATING)
    page.set_viewport_size({"width": WIDTH, "height": 800})
    login(page, live_server, "county")
    for path in ("/grievances/", "/grievances/new/", f"/grievances/{g.pk}/", "/grievances/stats/"):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        assert width(page) <= WIDTH, (path, width(page))


def test_a_web_report_and_its_progress_on_a_phone(page: Page, live_server, region):
    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.goto(f"{live_server.url}/public/grievances/")
    page.locator("select[name=county]").select_option(f.COUNTY)
    page.get_by_role("button", name="下一步").click()
    assert width(page) <= WIDTH
    page.get_by_label("反映类别").select_option("funds")
    page.get_by_label("所涉乡镇或村").select_option(f.VILLAGE_A)
    page.get_by_label("反映事项(一句话)").fill("补贴被截留")
    page.get_by_label("具体内容").fill("村里有人冒领补贴")
    page.get_by_label("匿名反映").check()
    page.get_by_role("button", name="提交").click()
    code = page.get_by_test_id("code").inner_text()
    assert len(code) == 8 and code not in page.url
    page.get_by_role("link", name="凭查询码查询办理进度").click()
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("state")).to_have_text("登记")
    assert code not in page.url and width(page) <= WIDTH
