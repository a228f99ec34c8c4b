"""Real Chromium: a county manager opens a loan from the fund list, records an extension and then a renewal and
sees the interest subsidy change each time (the step chart living with the CSP); a village clerk opens the
dividend list of their village from a household page and sees only their village."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.funds.tests import credit_factories as cf
from sunshine.testing import factories as f

from .test_csp import RECORD_VIOLATIONS
from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_manager_records_extension_and_renewal_and_sees_the_subsidy_change(page: Page, live_server, users,
                                                                                  household_a):
    # 36,000 at 3.6%: 3.60 a day. Due 30 Jun 2020: 182 days of 2020 (a leap year) are subsidised.
    loan = cf.make_loan(household_year=household_a, amount="36000.00", rate="0.036", loan_date=dt.date(2020, 1, 1),
                        due_date=dt.date(2020, 6, 30), loan_no="DK2020-7")
    page.add_init_script(RECORD_VIOLATIONS)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "county")
    page.get_by_role("banner").get_by_role("link", name="资金").click()
    page.get_by_test_id("loans-link").click()
    page.get_by_test_id("loans").get_by_role("link", name="DK2020-7").click()
    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/$"))
    expect(page.get_by_test_id("subsidy-2020")).to_have_text("655.20")
    expect(page.get_by_test_id("outstanding-chart")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not page.evaluate("window.__csp || []") and not refused

    extension = page.get_by_test_id("extension-form")
    extension.get_by_label("展期到期日").fill("2020-12-31")
    extension.get_by_label("展期原因").fill("受灾,延期还款")
    extension.get_by_test_id("extend").click()
    expect(page.get_by_test_id("subsidy-2020")).to_have_text("1,317.60")   # all 366 days
    expect(page.get_by_test_id("events")).to_contain_text("展期至 2020-12-31")

    renewal = page.get_by_test_id("renewal-form")
    renewal.get_by_label("续贷贷款编号").fill("DK2020-7X")
    renewal.get_by_label("放款日期").fill("2020-10-01")
    renewal.get_by_label("到期日期").fill("2021-09-30")
    renewal.get_by_test_id("renew").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DK2020-7X")
    page.get_by_test_id("loan").get_by_role("link", name="DK2020-7").click()
    expect(page).to_have_url(re.compile(rf"/loans/{loan.pk}/$"))
    expect(page.get_by_test_id("subsidy-2020")).to_have_text("986.40")    # 1 Jan – 30 Sep: 274 days
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "settled")
    expect(page.get_by_test_id("events")).to_contain_text("DK2020-7X")
    expect(page.get_by_test_id("renewal-form")).to_have_count(0)


def test_village_clerk_sees_the_dividend_list_of_their_village_only(page: Page, live_server, users, household_a,
                                                                     household_b):
    cf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A, f.VILLAGE_B), ratio="0.5", income={2020: "100.00"},
                  asset_no="ZC-GF-9")
    mine, theirs = household_a.household.household_no, household_b.household.household_no
    login(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}/households/{mine}/")
    section = page.get_by_test_id("household-dividends")
    expect(section).to_contain_text("25.00")
    section.get_by_role("link", name="2020").click()
    expect(page).to_have_url(re.compile(r"/dividends/\?"))
    rows = page.get_by_test_id("dividends")
    expect(rows).to_contain_text(mine)
    expect(rows).not_to_contain_text(theirs)
    expect(rows).not_to_contain_text("甲户主")   # names masked for a village clerk
    page.goto(f"{live_server.url}/dividends/?division={f.VILLAGE_B}&year=2020")
    expect(page.locator("body")).not_to_contain_text(theirs)
    response = page.request.get(f"{live_server.url}/dividends/{f.VILLAGE_B}/2020/export/")
    assert response.status == 404


def test_credit_pages_fit_a_phone_under_the_policy(page: Page, live_server, users, household_a, household_b):
    loan = cf.make_loan(household_year=household_a, loan_date=dt.date(2020, 1, 1), due_date=dt.date(2021, 6, 30))
    cf.repay(loan, dt.date(2020, 5, 1), "1000.00")
    asset = cf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A, f.VILLAGE_B), income={2020: "100.00"})
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, live_server, "county")
    wide = {}
    for path in ("/loans/", f"/loans/{loan.pk}/", "/loans/portfolio/", "/assets/", f"/assets/{asset.pk}/",
                 f"/dividends/?division={f.VILLAGE_A}&year=2020", f"/public/dividends/{f.VILLAGE_A}/2020/",
                 f"/households/{household_a.household.household_no}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
        assert not page.evaluate("window.__csp || []"), path
    assert wide == {}
