"""Real Chromium at 390×800 without JavaScript: the public notice (the village list and a village's page, and
the objection form) has no horizontal scroll; one 提出异议 button per row leads to the case's form; after
submitting, a reload shows the page again without creating a second objection (post/redirect/get)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sunshine.testing import factories as f
from sunshine.workflow.models import Objection
from sunshine.workflow.tests import factories as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_notice_fits_390_and_objection_is_post_redirect_get(browser: Browser, live_server, users):
    households = [f.make_household(users["county"], village=f.VILLAGE_A, head_name=name, members=2)
                  for name in ("王小明", "欧阳建国")]
    cases = [wf.to_notice(users["clerk"], wf.open_exit(users["clerk"], hy,
                                                       reason="人均可支配收入稳定超过收入标准,“两不愁三保障”均已实现"))
             for hy in households]
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/public/notices/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.get_by_role("link", name="甲一村").click()
    expect(page.get_by_test_id("issuer")).to_contain_text("12317")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows = page.get_by_test_id("notice-list").locator("[data-case]")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.get_by_role("link", name="提出异议")).to_have_count(1)
    rows.first.get_by_role("link", name="提出异议").click()
    form = page.get_by_test_id(f"objection-{cases[0].pk}")
    # The click only starts the navigation: measuring before the form is there can hit a document without a root.
    expect(form).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    form.get_by_label("联系方式").fill("13700001111")
    form.get_by_label("异议内容").fill("该户家中新购小轿车,收入可能不实")
    form.get_by_role("button", name="提交异议").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.reload()
    expect(page.get_by_test_id("notice-list")).to_contain_text("异议处理中")
    assert Objection.objects.count() == 1
    context.close()
