"""Real Chromium: an exit case walks every step with a user of each role. The village clerk opens it from the
household page and signs the village steps (a scanned signature page on the first), which opens the public
notice; an anonymous visitor files an objection on the public site, which holds the case; the clerk dismisses
it; once the notice period is over the clerk confirms the notice; the township reviewer rejects once, the clerk
signs again, the township approves; the county manager approves and announces. The household is then 已脱贫
and the timeline shows every signature."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.assessment.services import run_assessment
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseStatus, ObjectionStatus, Step
from sunshine.workflow.models import Case, CaseStep, Objection
from sunshine.workflow.tests import factories as wf

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sign(page: Page, decision: str, note: str, scan: str | None = None) -> None:
    form = page.get_by_test_id("step-form")
    form.get_by_label(decision, exact=True).check()
    form.get_by_label("意见").fill(note)
    if scan:
        form.get_by_label("签字页扫描件").set_input_files(scan)
    form.get_by_role("button", name="签署").click()


def current(page: Page, step: str) -> None:
    expect(page.get_by_test_id("timeline").locator(f'li[data-step="{step}"]')).to_have_attribute(
        "data-state", "current")


def switch_user(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    login(page, live_server, username)


def test_exit_case_walks_every_step(page: Page, live_server, users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # (12000 + 3000 - 1000 + 200 + 2400) / 2 = 8300 a head: meets the standard of 2020.
    household = f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明", members=2)
    run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A)
    no = household.household.household_no
    scan = tmp_path / "户主签字页.png"
    scan.write_bytes(PNG)

    # The clerk opens the case from the household page.
    login(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}/households/{no}/")
    page.get_by_test_id("household-cases").get_by_role("link", name="发起标注脱贫").click()
    expect(page.get_by_label("户编号")).to_have_value(no)
    page.get_by_label("申请理由").fill("家庭收入稳定超过标准,两不愁三保障均已实现")
    page.get_by_role("button", name="发起").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(household=household.household)
    expect(page.get_by_test_id("eligibility")).to_contain_text("可以审定")
    current(page, Step.HOUSEHOLD)

    # The village steps; the household's confirmation carries the scanned signature page.
    sign(page, "同意", "户主申请并签字确认", scan=str(scan))
    current(page, Step.CADRE)
    sign(page, "同意", "帮扶责任人入户核实后签字")
    current(page, Step.APPRAISAL)
    sign(page, "同意", "村民代表大会评议通过,23票同意")
    current(page, Step.VILLAGE_COMMITTEE)
    sign(page, "同意", "村两委会议确认")
    current(page, Step.VILLAGE_NOTICE)
    expect(page.get_by_test_id("notice-period")).to_be_visible()
    link = page.get_by_test_id("attachment")
    expect(link).to_contain_text("户主签字页")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.body() == PNG

    # An anonymous visitor objects on the public site.
    visitor = page.context.browser.new_context(locale="zh-CN")
    public = visitor.new_page()
    public.goto(f"{live_server.url}/public/notices/")
    public.get_by_role("link", name="甲一村").click()
    listing = public.get_by_test_id("notice-list")
    expect(listing).to_contain_text("王*明")
    expect(listing).not_to_contain_text("王小明")
    assert household.head_id_number not in public.content()
    listing.locator(f'[data-case="{case.pk}"]').get_by_role("link", name="提出异议").click()
    form = public.get_by_test_id(f"objection-{case.pk}")
    form.get_by_label("联系方式").fill("13700001111")
    form.get_by_label("异议内容").fill("该户家中新购小轿车,收入可能不实")
    form.get_by_role("button", name="提交异议").click()
    expect(public.get_by_test_id("thanks")).to_be_visible()
    visitor.close()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ON_HOLD

    # The clerk sees the held case and dismisses the objection.
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("异议待处理")
    expect(page.get_by_test_id("step-form")).to_have_count(0)
    handle = page.get_by_test_id("handle-objection")
    handle.get_by_label("异议不成立", exact=True).check()
    handle.get_by_label("处理意见").fill("经核实车辆为亲属所有,异议不成立")
    handle.get_by_role("button", name="处理异议").click()
    expect(page.get_by_test_id("status")).to_have_text("办理中")
    assert Objection.objects.get(case=case).status == ObjectionStatus.DISMISSED

    # Before the period is over the notice cannot be confirmed; once it is, it can.
    sign(page, "同意", "公示无异议")
    expect(page.get_by_role("alert").first).to_contain_text("公示期满后")
    wf.end_notice(case)
    page.goto(f"{live_server.url}/cases/{case.pk}/")  # not a reload: that would post the form again
    sign(page, "同意", "公示期满,异议已处理")
    current(page, Step.TOWNSHIP_REVIEW)

    # The township reviewer rejects once: back to the village notice.
    switch_user(page, live_server, "township_a")
    page.get_by_role("banner").get_by_role("link", name="识别退出").click()
    page.get_by_test_id("awaiting").get_by_role("link", name="标注脱贫").click()
    sign(page, "退回", "请补充公示照片")
    current(page, Step.VILLAGE_NOTICE)

    switch_user(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}/cases/")
    page.get_by_test_id("awaiting").get_by_role("link", name="标注脱贫").click()
    sign(page, "同意", "已补充公示照片")
    current(page, Step.TOWNSHIP_REVIEW)

    switch_user(page, live_server, "township_a")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    sign(page, "同意", "乡镇审核通过")
    current(page, Step.COUNTY_APPROVAL)

    # The county manager approves (on the assessment shown) and announces.
    switch_user(page, live_server, "county")
    page.goto(f"{live_server.url}/cases/")
    page.get_by_test_id("awaiting").get_by_role("link", name="标注脱贫").click()
    expect(page.get_by_test_id("eligibility")).to_contain_text("达标")
    sign(page, "同意", "县级审定同意退出")
    current(page, Step.ANNOUNCEMENT)
    sign(page, "同意", "已在县政府网站公告")
    expect(page.get_by_test_id("status")).to_have_text("已批准")
    expect(page.get_by_test_id("step-form")).to_have_count(0)
    expect(page.get_by_test_id("registry-changes")).to_contain_text("已脱贫")

    # Every signature is on the timeline: 4 village steps, the notice twice, the township twice, 2 county.
    signatures = page.get_by_test_id("timeline").get_by_test_id("signature")
    expect(signatures).to_have_count(10)
    rejected = page.get_by_test_id("timeline").locator('[data-decision="reject"]')
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("请补充公示照片")
    expect(rejected).to_contain_text("township_a")
    for who in ("clerk_a", "township_a", "county"):
        expect(page.get_by_test_id("timeline")).to_contain_text(who)
    assert CaseStep.objects.filter(case=case).count() == 10

    page.goto(f"{live_server.url}/households/{no}/")
    expect(page.locator(".pagehead .status")).to_have_text("已脱贫")
    expect(page.get_by_test_id("household-cases")).to_contain_text("已批准")
    assert HouseholdYear.objects.get(household=household.household, year=2020).status == rc.HouseholdStatus.EXITED
    page.screenshot(path=str(tmp_path / "workflow-household.png"), full_page=True)
