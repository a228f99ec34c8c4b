"""Real Chromium at 390 px: a county manager (the disclosure officer) uploads a policy document written in the
test, then finds it by a word of its body on the staff library and on the public library (no login, no
JavaScript), the hit highlighted in the snippet, and no page scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sunshine.library.models import PolicyDocument

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WORD = "猕猴桃"


def test_county_manager_uploads_and_finds_it_staff_and_public(browser: Browser, live_server, users, tmp_path):
    path = tmp_path / "猕猴桃产业扶贫实施办法.txt"
    path.write_text(f"第一条 为发展{WORD}特色产业,带动低收入农户增收,制定本办法。\n第二条 扶贫小额信贷优先支持种植户。",
                    encoding="gb18030")
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/library/")
    page.get_by_test_id("upload").click()
    form = page.get_by_test_id("upload-form")
    form.get_by_label("文件", exact=True).set_input_files(str(path))
    form.get_by_label("标题").fill("某县特色产业扶贫实施办法")
    form.get_by_label("文号").fill("某政办发〔2020〕8号")
    form.get_by_label("发布日期").fill("2020-05-01")
    form.get_by_role("button", name="上传并入库").click()
    expect(page.get_by_test_id("policy-body")).to_contain_text(WORD)
    assert PolicyDocument.objects.get().created_by == users["county"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{live_server.url}/library/")
    page.get_by_test_id("policy-search").get_by_label("检索词").fill(WORD)
    page.get_by_test_id("policy-search").get_by_role("button", name="检索").click()
    results = page.get_by_test_id("policy-results")
    expect(results.get_by_role("link", name="某县特色产业扶贫实施办法")).to_be_visible()
    expect(results.get_by_test_id("snippet").locator("mark")).to_have_text(WORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    public = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False, locale="zh-CN")
    page = public.new_page()
    page.goto(f"{live_server.url}/public/policies/")
    page.get_by_label("检索词").fill(WORD)
    page.get_by_role("button", name="检索").click()
    results = page.get_by_test_id("policy-results")
    expect(results.get_by_test_id("snippet").locator("mark")).to_have_text(WORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    results.get_by_role("link", name="某县特色产业扶贫实施办法").click()
    expect(page.get_by_test_id("policy-body")).to_contain_text(WORD)
    expect(page.get_by_test_id("status")).to_have_text("有效")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    public.close()
