"""Real Chromium at 390×800 without JavaScript: a villager opens the benefits-statement self-query, is refused
with a wrong code five times, is then locked out (even with the right answer), and an hour later (the failures
moved back in the database) reads the household's statement with the head's name, the last 6 of the head's ID
and the code. No horizontal scroll on any step."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from sunshine.core.models import RateEvent
from sunshine.disclosure.statements import codes
from sunshine.disclosure.tests.statement_fixtures import every_benefit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def _ask(page: Page, name: str, tail: str, code: str) -> None:
    page.get_by_label("户主姓名").fill(name)
    page.get_by_label("户主身份证号后6位").fill(tail)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()


def test_self_query_refuses_locks_and_then_shows_the_statement(browser: Browser, live_server, users, household_a):
    every_benefit(users["county"], household_a)
    code = codes.ensure_codes([household_a.household_id], 2020)[household_a.household_id]
    tail = household_a.head_id_number[-6:]
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/public/statements/")
    _fits(page)
    wrong = [c for c in ("ABCDEFGH", "BCDEFGHJ", "CDEFGHJK", "DEFGHJKL", "EFGHJKLM") if c != code]
    for attempt in wrong[:5]:
        _ask(page, "甲户主", tail, attempt)
        expect(page.get_by_test_id("refused")).to_contain_text("查询信息不正确")
        expect(page.get_by_test_id("statement")).to_have_count(0)
        _fits(page)
    _ask(page, "甲户主", tail, code)            # the right answer, but the tries are used up
    expect(page.get_by_test_id("limited")).to_contain_text("尝试次数过多")
    expect(page.get_by_test_id("statement")).to_have_count(0)
    _fits(page)
    RateEvent.objects.update(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1, minutes=1))
    page.goto(f"{live_server.url}/public/statements/?code={code}")
    expect(page.get_by_label("查询码")).to_have_value(code)
    page.get_by_label("户主姓名").fill("甲户主")
    page.get_by_label("户主身份证号后6位").fill(tail)
    page.get_by_role("button", name="查询").click()
    statement = page.get_by_test_id("statement")
    expect(statement).to_contain_text("甲户主")
    expect(page.get_by_test_id("grand-total")).to_contain_text("11,610.00")
    expect(statement).to_contain_text("12317")
    assert household_a.head_id_number not in page.content() and code not in page.url and tail not in page.url
    _fits(page)
    context.close()
