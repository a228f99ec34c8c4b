"""Real Chromium: a village clerk opens a finding from the list, verifies it as 属实 with a note and a scanned
attachment, then marks it 已整改; the history shows both steps and the attachment opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.comparison.tests import factories as cf

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_clerk_verifies_then_rectifies_a_finding(page: Page, live_server, users, household_a, household_b,
                                                  tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    run = cf.make_run(actor=users["county"], rules=["C-DEAD"])
    finding = cf.make_finding(run=run, household_year=household_a)
    cf.make_finding(run=run, household_year=household_b)  # another village: not listed
    scan = tmp_path / "入户核实表.png"
    scan.write_bytes(PNG)

    login(page, live_server, "clerk_a")
    page.get_by_role("banner").get_by_role("link", name="数据比对").click()
    page.get_by_role("link", name="比对发现", exact=True).click()
    table = page.get_by_test_id("findings")
    expect(table.get_by_role("row")).to_have_count(2)  # header + the village's one finding
    expect(table).to_contain_text("待核实")
    masked = finding.id_number[:6] + "********" + finding.id_number[14:]
    expect(table).to_contain_text(masked)
    table.get_by_role("link", name="已死亡人员仍在册").click()
    expect(page).to_have_url(re.compile(rf"/comparison/findings/{finding.pk}/$"))
    expect(page.get_by_test_id("registry-side")).to_contain_text(household_a.household.household_no)
    expect(page.get_by_test_id("evidence")).to_contain_text("死亡日期")
    assert finding.id_number not in page.content()

    verify = page.get_by_test_id("verify")
    verify.get_by_label("属实", exact=True).check()
    verify.get_by_label("核实情况说明").fill("入户核实:户主已于2020年3月去世")
    verify.get_by_label("附件").set_input_files(str(scan))
    verify.get_by_role("button", name="提交核实结果").click()
    expect(page.get_by_test_id("status")).to_have_text("核实属实")
    expect(page.get_by_test_id("verify")).to_have_count(0)

    rectify = page.get_by_test_id("rectify")
    rectify.get_by_label("整改情况说明").fill("已办理标注去世并核减")
    rectify.get_by_role("button", name="标记为已整改").click()
    expect(page.get_by_test_id("status")).to_have_text("已整改")
    expect(page.get_by_test_id("rectify")).to_have_count(0)

    history = page.get_by_test_id("history").get_by_role("listitem")
    expect(history).to_have_count(3)  # raised, verified, rectified
    expect(history.nth(1)).to_contain_text("核实")
    expect(history.nth(1)).to_contain_text("待核实 → 核实属实")
    expect(history.nth(1)).to_contain_text("入户核实:户主已于2020年3月去世")
    expect(history.nth(1)).to_contain_text("clerk_a")
    expect(history.nth(2)).to_contain_text("核实属实 → 已整改")
    expect(history.nth(2)).to_contain_text("已办理标注去世并核减")

    link = page.get_by_test_id("attachment")
    expect(link).to_contain_text("入户核实表")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "image/png" and response.body() == PNG
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RECTIFIED
    event = FindingEvent.objects.get(finding=finding, action="verify")
    assert (settings.MEDIA_ROOT / event.attachment.name).read_bytes() == PNG
