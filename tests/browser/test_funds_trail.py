"""Real Chromium: the county manager follows a fund from the fund list down its trail to a project and a household
paid from it, opens the household page, and comes back up from its 资金到户 section to the same fund."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from sunshine.funds.tests.project_factories import make_project
from sunshine.funds.tests.trail_factories import allocate, make_fund, pay, spend
from sunshine.testing import factories as f

from .test_csp import RECORD_VIOLATIONS
from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_fund_down_to_a_household_and_back(page: Page, live_server, users, household_a):
    project = make_project(actor=users["county"], division=f.VILLAGE_A, status="implementing", name="甲村产业奖补",
                           category="industry", budget=Decimal("300000"))
    fund = make_fund(amount="500000.00", fund_no="ZJ2020-88", document_no="丰财农〔2020〕88号")
    allocate(fund, project, "300000.00")
    spend(project, "100000.00", payee="丰县农业服务公司")
    payment = pay(household_year=household_a, fund=fund, project=project, item="industry_award", amount="5000.00")
    household_no = household_a.household.household_no

    page.add_init_script(RECORD_VIOLATIONS)  # the inline SVG charts must live with the site's CSP
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "county")
    page.get_by_role("banner").get_by_role("link", name="资金").click()
    expect(page).to_have_url(re.compile(r"/funds/$"))
    expect(page.get_by_test_id("by-source")).to_contain_text("500,000.00")
    expect(page.get_by_test_id("totals-chart")).to_be_visible()
    page.get_by_test_id("funds").get_by_role("link", name="ZJ2020-88").click()

    expect(page).to_have_url(re.compile(rf"/funds/{fund.pk}/$"))
    expect(page.get_by_test_id("fund-sums")).to_contain_text("200,000.00")  # idle
    expect(page.get_by_test_id("reconciles")).to_be_visible()
    expect(page.get_by_test_id("fund-chart")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not page.evaluate("window.__csp || []") and not refused
    trail = page.get_by_test_id("project-trail")
    expect(trail).to_contain_text("甲村产业奖补")
    expect(trail).to_contain_text("丰县农业服务公司")
    expect(trail.get_by_test_id("trail-payments")).to_contain_text(payment.payment_no)
    trail.get_by_role("link", name=household_no).click()

    expect(page).to_have_url(re.compile(rf"/households/{household_no}/$"))
    section = page.get_by_test_id("household-payments")
    expect(section).to_contain_text(payment.payment_no)
    expect(section).to_contain_text("产业奖补")
    expect(section).to_contain_text("5,000.00")
    section.get_by_role("link", name="ZJ2020-88").click()
    expect(page).to_have_url(re.compile(rf"/funds/{fund.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("ZJ2020-88")
    page.wait_for_load_state("networkidle")
    assert not page.evaluate("window.__csp || []") and not refused
