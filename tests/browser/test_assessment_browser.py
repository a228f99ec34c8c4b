"""Real Chromium: a county manager runs an official household assessment and a what-if at a higher
income line, then compares them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_run_what_if_and_compare(page: Page, live_server, users, household_a, household_b):
    # household_a: (12000 + 3000 - 1000 + 200 + 2400) / 3 = 5533.33 → fails H-INC at 6000
    # household_b: 16600 / 2 = 8300 → meets at 6000, fails at 9000
    login(page, live_server, "county")
    page.get_by_role("banner").get_by_role("link", name="脱贫认定").click()
    page.get_by_label("年度").fill("2020")
    page.get_by_label("评估范围").select_option(f.COUNTY)
    page.get_by_role("button", name=re.compile("开始|评估|运行")).click()
    expect(page).to_have_url(re.compile(r"/assessment/runs/\d+/"))
    official = page.url
    expect(page.locator("main")).to_contain_text("乙户主")
    expect(page.locator("main")).to_contain_text("低于收入标准")
    page.get_by_role("banner").get_by_role("link", name="脱贫认定").click()
    page.get_by_label("年度").fill("2020")
    page.get_by_label("评估范围").select_option(f.COUNTY)
    page.get_by_label("模拟测算(不作为正式评估)").check()
    page.get_by_label("收入标准").first.fill("9000")
    page.get_by_role("button", name=re.compile("开始|评估|运行")).click()
    expect(page).to_have_url(re.compile(r"/assessment/runs/\d+/"))
    before = official.rstrip("/").rsplit("/", 1)[-1]
    after = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{live_server.url}/assessment/compare/?before={before}&after={after}")
    expect(page.locator("main")).to_contain_text(household_b.household.household_no)
    expect(page.locator("main")).not_to_contain_text(household_a.household.household_no)
