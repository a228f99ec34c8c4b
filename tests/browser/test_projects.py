"""Real Chromium: a project walks from 申报 to 验收, each step signed by its role (village clerk proposes, township
reviews, county vets, approves, implements, completes and accepts). 实施 is refused while the approval
announcement is still running and allowed once it has run; the announcement is on the public site without
login, someone leaves an objection there, and the county sees it on the project page and handles it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sunshine.funds.models import Announcement, Project

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def sign(page: Page, step: str, button: str, note: str = "") -> None:
    section = page.get_by_test_id(f"step-{step}")
    if note:
        section.get_by_label("意见").fill(note)
    section.get_by_role("button", name=button).click()


def test_project_from_proposal_to_acceptance(page: Page, live_server, users, household_a, browser):
    today = timezone.localdate()
    # The village clerk proposes a project of the village.
    login(page, live_server, "clerk_a")
    page.get_by_role("banner").get_by_role("link", name="项目库").click()
    page.get_by_role("link", name="申报项目").click()
    form = page.get_by_test_id("project-form")
    expect(form.get_by_label("建设地点")).to_have_value("320321101001")
    form.get_by_label("项目编号").fill("XM2020-001")
    form.get_by_label("项目名称").fill("甲村村道硬化工程")
    form.get_by_label("项目类别").select_option(label="基础设施")
    form.get_by_label("年度").fill("2020")
    form.get_by_label("预算金额(元)").fill("500000")
    form.get_by_label("建设内容").fill("硬化村道2公里")
    form.get_by_label("申报说明").fill("村民代表会议通过")
    form.get_by_role("button", name="提交申报").click()
    expect(page.get_by_test_id("status")).to_have_text("申报")
    project = Project.objects.get(project_no="XM2020-001")
    url = f"{live_server.url}/projects/{project.pk}/"
    expect(page).to_have_url(url)
    expect(page.get_by_test_id("step-vetted")).to_have_count(0)  # the clerk does not review
    logout(page)

    # The township reviews it.
    login(page, live_server, "township_a")
    page.goto(url)
    expect(page.get_by_test_id("step-in_library")).to_have_count(0)
    sign(page, "vetted", "论证通过", "论证可行")
    expect(page.get_by_test_id("status")).to_have_text("论证")
    logout(page)

    # The county vets, approves and publishes the approval announcement.
    login(page, live_server, "county")
    page.goto(url)
    sign(page, "in_library", "审核入库", "同意入库")
    expect(page.get_by_test_id("status")).to_have_text("入库")
    sign(page, "approved", "批复立项", "同意立项")
    expect(page.get_by_test_id("status")).to_have_text("批复")
    page.get_by_test_id("announce").click()
    announce = page.get_by_test_id("announce-form")
    expect(announce.get_by_label("公示开始")).to_have_value(today.isoformat())
    expect(announce.get_by_label("公示天数")).to_have_value("10")
    announce.get_by_role("button", name="发布公告").click()
    expect(page.get_by_test_id("announcement")).to_contain_text("公示中")

    # 实施 is refused while the announcement runs (its last day included).
    end = today + dt.timedelta(days=9)
    refusal = f"立项公告公示期至{end.year}年{end.month}月{end.day}日结束"
    expect(page.get_by_test_id("step-implementing").get_by_test_id("refusal")).to_contain_text(refusal)
    sign(page, "implementing", "开始实施")
    expect(page.get_by_role("alert").first).to_contain_text(refusal)
    expect(page.get_by_test_id("status")).to_have_text("批复")
    # While it runs, anyone reads the announcement without logging in and objects to it.
    public = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740})
    visitor = public.new_page()
    visitor.goto(f"{live_server.url}/public/projects/")
    visitor.get_by_role("link", name="甲村村道硬化工程立项公告").click()
    expect(visitor.get_by_test_id("title")).to_have_text("甲村村道硬化工程立项公告")
    expect(visitor.get_by_test_id("announcement")).to_contain_text("硬化村道2公里")
    visitor.get_by_label("异议").check()
    visitor.get_by_label("意见内容").fill("村道走向占了我家承包地")
    visitor.get_by_label("联系电话(可不填)").fill("13700001111")
    visitor.get_by_role("button", name="提交").click()
    expect(visitor.get_by_test_id("thanks")).to_contain_text("感谢您的意见")
    assert "13700001111" not in visitor.content()
    public.close()

    # Ten days later… (the announcement's period moved back: it ended yesterday.)
    notice = Announcement.objects.get(project=project)
    start = today - dt.timedelta(days=10)
    Announcement.objects.filter(pk=notice.pk).update(start_date=start, end_date=start + dt.timedelta(days=9))
    # It stays public after its period, on the county's page.
    page.goto(f"{live_server.url}/public/projects/{project.county_id}/")
    expect(page.locator(f'[data-announcement="{notice.pk}"]')).to_have_attribute("data-state", "past")

    page.goto(url)
    expect(page.get_by_test_id("open-objections")).to_be_visible()
    comment = page.get_by_test_id("comment")
    expect(comment).to_contain_text("村道走向占了我家承包地")
    comment.get_by_label("处理情况").fill("已调整走向,避开承包地")
    comment.get_by_role("button", name="标记已处理").click()
    expect(page.get_by_test_id("handled")).to_contain_text("已调整走向")
    expect(page.get_by_test_id("open-objections")).to_have_count(0)

    sign(page, "implementing", "开始实施", "开工")
    expect(page.get_by_test_id("status")).to_have_text("实施")
    sign(page, "completed", "完工", "已完工")
    expect(page.get_by_test_id("status")).to_have_text("完工")
    accept = page.get_by_test_id("step-accepted")
    accept.get_by_label("验收日期").fill(today.isoformat())
    accept.get_by_label("绩效评价", exact=True).select_option(label="全部达到")
    accept.get_by_label("绩效评价说明").fill("道路通车,受益80户")
    accept.get_by_role("button", name="验收").click()
    expect(page.get_by_test_id("status")).to_have_text("验收")
    expect(page.get_by_test_id("performance")).to_contain_text("全部达到")
    expect(page.get_by_test_id("announce")).to_have_text("发布结果公告")
    steps = page.get_by_test_id("timeline").get_by_test_id("transition")
    expect(steps).to_have_count(7)
    expect(steps.first).to_contain_text("村民代表会议通过")
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))


def test_project_pages_fit_a_phone_and_public_pages_work_without_javascript(page: Page, live_server, users,
                                                                           household_a, browser):
    from sunshine.funds.choices import ProjectStatus
    from sunshine.funds.models import AnnouncementComment
    from sunshine.funds.tests.project_factories import announce, make_project

    today = timezone.localdate()
    project = make_project(actor=users["county"], division="320321101001", status=ProjectStatus.APPROVED,
                           name="甲村光伏扶贫电站建设项目" * 3, content="建设内容" * 60, implementer="县发改委" * 10)
    notice = announce(project, start=today, actor=users["county"])
    AnnouncementComment.objects.create(announcement=notice, kind="objection", text="意见" * 80)
    wide = {}
    public = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, java_script_enabled=False)
    visitor = public.new_page()
    for url in ("/public/projects/", "/public/projects/320321000000/", f"/public/projects/announcements/{notice.pk}/"):
        response = visitor.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, url
        if visitor.evaluate("document.documentElement.scrollWidth") > 360:
            wide[url] = visitor.evaluate("document.documentElement.scrollWidth")
    # Without JavaScript the form still posts (post/redirect/get).
    visitor.get_by_label("意见内容").fill("支持该项目")
    visitor.get_by_role("button", name="提交").click()
    expect(visitor.get_by_test_id("thanks")).to_be_visible()
    public.close()

    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server, "county")
    for url in ("/projects/", f"/projects/{project.pk}/", f"/projects/{project.pk}/announce/", "/projects/new/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200 and "/login/" not in page.url, url
        if page.evaluate("document.documentElement.scrollWidth") > 360:
            wide[url] = page.evaluate("document.documentElement.scrollWidth")
    assert wide == {}


def test_project_pages_have_no_csp_violation(browser, live_server, users, household_a):
    from sunshine.funds.choices import ProjectStatus
    from sunshine.funds.tests.project_factories import announce, make_project

    from .test_csp import CspWatch

    project = make_project(actor=users["county"], division="320321101001", status=ProjectStatus.APPROVED)
    notice = announce(project, start=timezone.localdate(), actor=users["county"])
    watch = CspWatch(browser, live_server.url)
    for path in ("/public/projects/", f"/public/projects/{project.county_id}/",
                 f"/public/projects/announcements/{notice.pk}/"):
        watch.open(path)
        watch.check(path)
    assert watch.page.locator("style, [style]").count() == 0
    watch.login("county")
    for path in ("/projects/", f"/projects/{project.pk}/", f"/projects/{project.pk}/announce/", "/projects/new/"):
        watch.open(path)
        watch.check(path)
    watch.close()
