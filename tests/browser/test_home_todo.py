"""Real Chromium: a village clerk's day starts with 我的待办 on the home page, and every item opens its page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.tests import factories as cf
from sunshine.monitoring.choices import EscalationLevel
from sunshine.monitoring.tests import factories as mf
from sunshine.workflow.tests import factories as wf

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_home_shows_the_to_do_and_each_item_opens(page: Page, live_server, users, household_a, household_b):
    today = timezone.localdate()
    run = cf.make_run(actor=users["county"])
    finding = cf.make_finding(run=run, household_year=household_a, deadline=today - dt.timedelta(days=2))
    rectify = cf.make_finding(run=run, household_year=household_a, rule="C-CAR", status=FindingStatus.CONFIRMED)
    cf.make_finding(run=run, household_year=household_b)  # another village's: never on this clerk's list
    warning = mf.make_warning(run=mf.make_run(actor=users["county"]), household_year=household_a, score=85,
                              deadline=today - dt.timedelta(days=18), escalation=EscalationLevel.TOWNSHIP)
    case = wf.open_exit(users["clerk"], household_a)

    login(page, live_server, "clerk_a")
    todo = page.get_by_test_id("todo")
    expect(todo).to_be_visible()
    # The to-do comes before the counts of the clerk's village (the to-do is parsed first: wait for the rest).
    expect(page.get_by_test_id("total")).to_be_visible()
    assert page.evaluate("""() => {
        const todo = document.querySelector('[data-testid=todo]');
        const total = document.querySelector('[data-testid=total]');
        return !!(todo.compareDocumentPosition(total) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    expect(todo).to_contain_text("逾期 2 天")
    expect(todo).to_contain_text("已升级至乡镇督办")
    items = todo.get_by_test_id("todo-item")
    expect(items).to_have_count(4)
    targets = {f"/comparison/findings/{finding.pk}/", f"/comparison/findings/{rectify.pk}/",
               f"/monitoring/warnings/{warning.pk}/", f"/cases/{case.pk}/"}
    hrefs = set(items.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == targets
    for href in sorted(hrefs):
        page.goto(f"{live_server.url}/")
        page.locator(f"[data-testid=todo-item][href='{href}']").click()
        expect(page).to_have_url(f"{live_server.url}{href}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert household_a.household.household_no in page.content()
