"""A status edit is impossible for a village clerk through every path (issue 11): the edit page has no
status field and ignores a tampered one, the member pages send member changes to a 自然变更 case, the new
household link opens an entry case, and the API refuses the PATCH naming the case to open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.testing import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()


def _unchanged(household_year: HouseholdYear) -> None:
    row = HouseholdYear.objects.get(pk=household_year.pk)
    assert (row.status, row.exit_year, row.identified_year) == (c.HouseholdStatus.IN_POVERTY, None, 2016)


def test_a_clerk_cannot_change_a_status_through_any_path(page: Page, live_server, users, household_a):
    no = household_a.household.household_no
    login(page, live_server, "clerk_a")

    # The edit page: status and years read-only, with the cases that change them.
    page.goto(f"{live_server.url}/households/{no}/2020/edit/")
    form = page.locator("form.form")
    for name in ("y-status", "y-exit_year", "y-identified_year"):
        expect(form.locator(f'[name="{name}"]')).to_have_count(0)
    fixed = page.get_by_test_id("procedure-fields")
    expect(fixed).to_contain_text("未脱贫")
    expect(fixed.get_by_role("link", name=re.compile("标注脱贫"))).to_have_attribute(
        "href", re.compile(r"/cases/new/\?case_type=exit&household_no="))

    # A tampered form (the fields put back by hand) saves the rest and leaves the status alone.
    page.evaluate("""() => {
        const form = document.querySelector('form.form');
        for (const [name, value] of [['y-status', 'exited'], ['y-exit_year', '2020'], ['y-identified_year', '2019']]) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
        }
    }""")
    page.get_by_label("主要致贫原因").select_option(label="缺土地")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("basic")).to_contain_text("缺土地")
    expect(page.locator("h1 .status")).to_have_text("未脱贫")
    _unchanged(household_a)

    # The API: PATCH refused with a Chinese message naming the case to open.
    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    response = page.request.patch(f"{live_server.url}/api/households/{no}/2020",
                                  data={"status": "exited", "exit_year": 2020},
                                  headers={"X-CSRFToken": csrf, "Referer": live_server.url})
    assert response.status == 422, response.text()
    assert "标注脱贫" in response.text()
    child = household_a.members.exclude(relation=c.Relation.HEAD).first()
    response = page.request.patch(f"{live_server.url}/api/members/{child.pk}", data={"member_status": "deceased"},
                                  headers={"X-CSRFToken": csrf, "Referer": live_server.url})
    assert response.status == 422 and "自然变更" in response.text()
    _unchanged(household_a)
    assert MemberYear.objects.get(pk=child.pk).member_status == c.MemberStatus.ACTIVE

    # Members: no status on the member form; adding one leads to a 自然变更 case.
    page.goto(f"{live_server.url}/members/{child.pk}/edit/")
    expect(page.locator('[name="member_status"]')).to_have_count(0)
    page.goto(f"{live_server.url}/households/{no}/?year=2020")
    page.get_by_role("link", name=re.compile("成员增减")).click()
    expect(page).to_have_url(re.compile(r"/cases/new/\?case_type=change"))

    # A new household is an entry case.
    page.goto(f"{live_server.url}/households/")
    page.get_by_test_id("new-household").click()
    expect(page).to_have_url(re.compile(r"/cases/new/\?case_type=entry"))
