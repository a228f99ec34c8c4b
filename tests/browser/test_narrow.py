"""Real Chromium at 390 px: every page a village clerk and a county manager reach by following links from their
home page fits the phone (document.documentElement.scrollWidth <= 390) and none answers with a server error.
The menu folds behind its button and opens on a tap."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from sunshine.comparison.tests import factories as cf
from sunshine.monitoring.tests import factories as mf
from sunshine.workflow.tests import factories as wf

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
MAX_PAGES = 80
SKIP = ("/logout", "/export", "/download", "/api/", "/admin/", "/attachments/", "/template", "/errors", "/pdf/",
        "/photos/")


def links(page: Page, base: str) -> list[str]:
    # A link with the download attribute fetches a file (the cockpit's report pack), not a page to measure.
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#", 1)[0]
        parts = urlsplit(url)
        if not url.startswith(base) or any(s in parts.path for s in SKIP):
            continue
        out.append(url)
    return out


def crawl(page: Page, live_server) -> dict[str, int]:
    base = live_server.url
    # One visit per path: the same list with other filters has the same layout.
    queue, seen, wide = [f"{base}/"], set(), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if urlsplit(url).path in seen:
            continue
        seen.add(urlsplit(url).path)
        response = page.goto(url)
        assert response is not None and response.status < 500, f"{url} -> {response and response.status}"
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide[url.removeprefix(base)] = width
        queue += [link for link in links(page, base) if urlsplit(link).path not in seen]
    assert len(seen) >= 15, seen
    return wide


@pytest.fixture
def county_data(users, household_a, household_b):
    run = cf.make_run(actor=users["county"])
    cf.make_finding(run=run, household_year=household_a, explanation="档案记载" * 40)
    cf.make_finding(run=run, household_year=household_a, rule="C-CAR", deadline=dt.date(2020, 1, 1))
    mrun = mf.make_run(actor=users["county"])
    mf.make_warning(run=mrun, household_year=household_a, explanation="收入下降" * 40)
    wf.open_exit(users["clerk"], household_a)


@pytest.mark.parametrize("role", ["clerk", "county"])
def test_every_page_reached_from_home_fits_a_phone(page: Page, live_server, users, county_data, role):
    page.set_viewport_size({"width": WIDTH, "height": 800})
    login(page, live_server, users[role].username)
    assert crawl(page, live_server) == {}


def test_the_menu_folds_on_a_phone_and_marks_the_current_page(page: Page, live_server, users, county_data):
    page.set_viewport_size({"width": WIDTH, "height": 800})
    login(page, live_server, "clerk_a")
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu).to_be_hidden()
    page.get_by_text("菜单", exact=False).first.click()
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="监测预警").click()
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_text("监测预警")
    # A clerk's menu holds only what a clerk uses.
    expect(page.locator(".mainnav")).not_to_contain_text("政策标准")
    expect(page.locator(".mainnav")).not_to_contain_text("接口")


def test_file_inputs_read_in_chinese_in_an_english_browser(browser, live_server, users):
    context = browser.new_context(locale="en-US", viewport={"width": WIDTH, "height": 800})
    page = context.new_page()
    login(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}/transfer/")
    expect(page.get_by_text("选择文件").first).to_be_visible()
    expect(page.get_by_text("未选择文件").first).to_be_visible()
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": "户信息.csv", "mimeType": "text/csv", "buffer": "户编号\n".encode()}])
    expect(page.get_by_text("户信息.csv")).to_be_visible()
    context.close()
