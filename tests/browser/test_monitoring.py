"""Real Chromium: a village clerk opens a warning from the list, verifies it as 属实, records a measure (临时救助,
2000 元, a date), clears the risk with a reason, and the history shows every step; the household page lists the
warning with its measure."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from sunshine.monitoring.choices import WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure
from sunshine.monitoring.tests import factories as mf

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_verifies_helps_and_clears_a_warning(page: Page, live_server, users, household_a, household_b):
    run = mf.make_run(actor=users["county"])
    warning = mf.make_warning(run=run, household_year=household_a, codes=["M-UNSTABLE"], score=65,
                              contributions={"income_below_line": 45, "income_drop": 20})
    mf.make_warning(run=run, household_year=household_b)  # another village: not listed
    day = dt.date.today() - dt.timedelta(days=2)

    login(page, live_server, "clerk_a")
    page.get_by_role("banner").get_by_role("link", name="监测预警").click()
    table = page.get_by_test_id("warnings")
    expect(table.get_by_role("row")).to_have_count(2)  # header + the village's one warning
    expect(table).to_contain_text("待核实")
    expect(page.get_by_test_id("by-code").locator('[data-code="M-UNSTABLE"]')).to_contain_text("1")
    table.get_by_role("link", name="脱贫不稳定户").click()
    expect(page).to_have_url(re.compile(rf"/monitoring/warnings/{warning.pk}/$"))
    expect(page.get_by_test_id("subject")).to_contain_text(household_a.household.household_no)
    expect(page.get_by_test_id("score")).to_contain_text("收入低于监测线")
    expect(page.get_by_test_id("score-value")).to_have_text("65")

    verify = page.get_by_test_id("verify")
    verify.get_by_label("属实", exact=True).check()
    verify.get_by_label("核实情况说明").fill("入户核实:家中主要劳动力务工收入中断")
    verify.get_by_role("button", name="提交核实结果").click()
    expect(page.get_by_test_id("status")).to_have_text("已核实(属实)")
    expect(page.get_by_test_id("verify")).to_have_count(0)

    measure = page.get_by_test_id("measure")
    measure.get_by_label("措施类型").select_option(label="临时救助")
    measure.get_by_label("金额(元)").fill("2000")
    measure.get_by_label("措施日期").fill(day.isoformat())
    measure.get_by_label("措施说明").fill("发放临时救助金")
    measure.get_by_role("button", name="保存帮扶措施").click()
    expect(page.get_by_test_id("status")).to_have_text("帮扶中")
    measures = page.get_by_test_id("measures")
    expect(measures).to_contain_text("临时救助")
    expect(measures).to_contain_text("2,000.00")
    expect(measures).to_contain_text(day.isoformat())

    clear = page.get_by_test_id("clear")
    clear.get_by_label("风险消除理由").fill("已重新就业,收入高于监测线")
    clear.get_by_label("风险消除日期").fill(dt.date.today().isoformat())
    clear.get_by_role("button", name="确认风险消除").click()
    expect(page.get_by_test_id("status")).to_have_text("风险消除")
    expect(page.get_by_test_id("clear")).to_have_count(0)
    expect(page.get_by_test_id("measure")).to_have_count(0)

    history = page.get_by_test_id("history").get_by_role("listitem")
    expect(history).to_have_count(4)  # raised, verified, measure, cleared
    expect(history.nth(1)).to_contain_text("待核实 → 已核实(属实)")
    expect(history.nth(1)).to_contain_text("入户核实:家中主要劳动力务工收入中断")
    expect(history.nth(1)).to_contain_text("clerk_a")
    expect(history.nth(2)).to_contain_text("帮扶措施")
    expect(history.nth(2)).to_contain_text("临时救助 2000.00 元:发放临时救助金")
    expect(history.nth(3)).to_contain_text("帮扶中 → 风险消除")
    expect(history.nth(3)).to_contain_text("已重新就业,收入高于监测线")

    stored = EarlyWarning.objects.get(pk=warning.pk)
    assert stored.status == WarningStatus.CLEARED and stored.resolved_on == dt.date.today()
    assert list(Measure.objects.filter(warning=warning).values_list("kind", "amount", "date")) == [
        ("temporary_relief", Decimal("2000.00"), day)]

    page.get_by_test_id("subject").get_by_role("link", name=household_a.household.household_no).click()
    panel = page.get_by_test_id("household-warnings")
    expect(panel).to_contain_text("风险消除")
    expect(panel).to_contain_text("临时救助 2,000.00")
