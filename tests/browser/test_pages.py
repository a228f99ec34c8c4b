"""Real Chromium through Playwright: login, drill-down, search, the household page, phone width.
pytest-playwright saves a screenshot of every failing test under var/test-results/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.dashboard.refresh import refresh
from sunshine.registry import services
from sunshine.testing import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_login_refuses_bad_password_then_lands_on_own_division(page: Page, live_server, users, household_a):
    page.goto(f"{live_server.url}/households/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("用户名").fill("township_a")
    page.get_by_label("密码").fill("wrong-password-123")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    page.get_by_label("用户名").fill("township_a")
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/households/$"))
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("todo")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("测试甲镇")


def test_drill_down_from_county_to_village_with_counts(page: Page, live_server, users, household_a, household_b):
    refresh(year=2020)  # the counts are the pre-aggregated indicators (issue 17), computed as after an import
    login(page, live_server, "county")
    expect(page.get_by_role("heading", level=1)).to_contain_text("丰县")
    expect(page.get_by_test_id("total")).to_have_text("2")
    page.get_by_role("link", name="测试甲镇").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("测试甲镇")
    row = page.get_by_test_id("children").get_by_role("row").filter(has_text="甲一村")
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    row.get_by_role("link", name="甲一村").click()
    expect(page.get_by_test_id("total")).to_have_text("1")
    page.get_by_role("link", name="查看农户名单").click()
    expect(page.get_by_test_id("households")).to_contain_text("甲户主")
    expect(page.get_by_test_id("households")).not_to_contain_text("乙户主")


def test_search_by_name_and_id_with_masking(page: Page, live_server, users, household_a, household_b):
    login(page, live_server, "township_a")
    page.goto(f"{live_server.url}/households/")
    expect(page.get_by_test_id("result-count")).to_contain_text("共 1 户")
    page.get_by_placeholder("姓名、身份证号或户编号").fill("乙户主")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("households")).to_contain_text("没有符合条件的农户")  # B is outside scope
    page.get_by_placeholder("姓名、身份证号或户编号").fill(household_a.head_id_number)
    page.get_by_role("button", name="查询").click()
    table = page.get_by_test_id("households")
    expect(table).to_contain_text("甲户主")
    masked = household_a.head_id_number[:6] + "********" + household_a.head_id_number[-4:]
    expect(table).to_contain_text(masked)
    assert household_a.head_id_number not in page.content()


def test_household_page_shows_members_income_indicators_and_history(page: Page, live_server, users, household_a):
    services.update_household_year(actor=users["clerk"], household_year=household_a, phone="13912345678")
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/households/{household_a.household.household_no}/?year=2020")
    expect(page.get_by_role("heading", level=1)).to_contain_text("甲户主")
    expect(page.get_by_test_id("members").get_by_role("row")).to_have_count(4)  # header + 3 members
    # (12000 + 3000 - 1000 + 200 + 2400 - 0) / 3 members
    expect(page.get_by_test_id("per-capita")).to_have_text("5,533.33")
    expect(page.get_by_test_id("indicators")).to_contain_text("在册成员均已参保")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("clerk_a")
    expect(history).to_contain_text("联系电话")


def test_edit_form_refuses_bad_id_then_saves(page: Page, live_server, users, household_a):
    login(page, live_server, "clerk_a")
    child = household_a.members.exclude(relation="head").select_related("person").first()  # added by a case
    good = f.new_id(child.person.birth_date, male=child.person.gender == "male")
    page.goto(f"{live_server.url}/members/{child.pk}/edit/")
    page.get_by_label("姓名").fill("新成员")
    page.get_by_label("身份证号").fill(good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("身份证号")
    page.get_by_label("身份证号").fill(good)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("members")).to_contain_text("新成员")
    expect(page.get_by_test_id("history")).to_contain_text("新成员")


@pytest.mark.parametrize("width", [375, 1280])
def test_pages_fit_the_screen(page: Page, live_server, users, household_a, width):
    page.set_viewport_size({"width": width, "height": 800})
    login(page, live_server, "county")
    for path in ("/", "/households/", f"/households/{household_a.household.household_no}/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} overflows by {overflow}px at {width}px"
