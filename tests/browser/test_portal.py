"""Real Chromium at 390 px: a villager opens the public portal, picks the county, township and village by their
names, sees what the village announces now (a registry notice and a project announcement), opens the
announcement, comes back and follows the self-query link, where a wrong code is refused five times and then
locked (even the right one), and an hour later the right name, ID tail and code show the household's statement;
no page scrolls sideways (390 px, and 360 px without JavaScript). With JavaScript off the village page reads the
same."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from sunshine.core.models import RateEvent
from sunshine.disclosure.statements import codes
from sunshine.disclosure.tests import portal_village
from sunshine.testing import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 390


def follow(page: Page, link: Locator) -> None:
    """Click a link and wait for the next page (measuring before it arrives would measure nothing)."""
    with page.expect_navigation():
        link.click()


def fits(page: Page, width: int = WIDTH) -> None:
    page.wait_for_load_state()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, (page.url, scroll)


def test_villager_finds_the_village_announcements_on_a_phone(browser: Browser, live_server, users):
    village = portal_village.build(users)
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/public/")
    fits(page)
    follow(page, page.get_by_test_id("counties").get_by_role("link", name="丰县", exact=True))
    fits(page)
    follow(page, page.get_by_test_id("children").get_by_role("link", name="测试甲镇"))
    fits(page)
    follow(page, page.get_by_test_id("children").get_by_role("link", name="甲一村"))
    fits(page)
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("丰县")
    now = page.get_by_test_id("now")
    expect(now.locator(f'[data-case="{village.case.pk}"]')).to_contain_text("王*明")
    expect(now.locator(f'[data-announcement="{village.current.pk}"]')).to_contain_text("甲一村道路硬化工程")
    village_url = page.url
    follow(page, now.get_by_role("link", name=re.compile("甲一村道路硬化工程")))
    expect(page).to_have_url(re.compile(f"/public/projects/announcements/{village.current.pk}/$"))
    fits(page)
    page.go_back()
    expect(page).to_have_url(village_url)
    follow(page, page.get_by_test_id("self-query").first)
    expect(page).to_have_url(re.compile("/public/statements/"))
    fits(page)
    # The household reads its own statement: refused with a wrong code, locked after 5 tries, then the right one.
    household = village.households[0]
    code = codes.ensure_codes([household.household_id], 2020)[household.household_id]
    tail = household.head_id_number[-6:]

    def ask(code_typed: str) -> None:
        page.get_by_label("户主姓名").fill(household.head_name)
        page.get_by_label("户主身份证号后6位").fill(tail)
        page.get_by_label("查询码").fill(code_typed)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()

    for wrong in [c for c in ("ABCDEFGH", "BCDEFGHJ", "CDEFGHJK", "DEFGHJKL", "EFGHJKLM", "FGHJKLMN") if c != code][:5]:
        ask(wrong)
        expect(page.get_by_test_id("refused")).to_be_visible()
        expect(page.get_by_test_id("statement")).to_have_count(0)
        fits(page)
    ask(code)
    expect(page.get_by_test_id("limited")).to_contain_text("尝试次数过多")
    expect(page.get_by_test_id("statement")).to_have_count(0)
    RateEvent.objects.update(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1, minutes=1))
    ask(code)
    expect(page.get_by_test_id("statement")).to_contain_text(household.head_name)
    assert household.head_id_number not in page.content() and code not in page.url
    fits(page)
    context.close()


def test_village_page_reads_the_same_without_javascript(browser: Browser, live_server, users):
    portal_village.build(users)
    texts = []
    for javascript in (True, False):
        context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="zh-CN",
                                      java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{live_server.url}/public/divisions/{f.VILLAGE_A}/")
        fits(page)
        texts.append(page.locator("main").inner_text())
        context.close()
    assert texts[0] == texts[1] and "王*明" in texts[1] and "甲一村道路硬化工程" in texts[1]


def test_portal_fits_a_360_px_phone_without_javascript(browser: Browser, live_server, users):
    village = portal_village.build(users)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    for url in ("/public/", f"/public/divisions/{f.COUNTY}/", f"/public/divisions/{f.TOWNSHIP_A}/",
                f"/public/divisions/{f.VILLAGE_A}/", f"/public/projects/announcements/{village.past.pk}/",
                f"/public/dividends/{f.VILLAGE_A}/2020/"):
        page.goto(live_server.url + url)
        fits(page, 360)
    context.close()
