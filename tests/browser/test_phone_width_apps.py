"""Real Chromium at 390 px: the comparison, monitoring, assessment and policy pages have no horizontal scroll
(wide tables scroll inside their own box, long text wraps) — issue 11."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from sunshine.assessment.services import run_assessment
from sunshine.comparison.tests import factories as cf
from sunshine.monitoring.sampling.draw import draw_sample
from sunshine.monitoring.tests import factories as mf
from sunshine.policy.models import PolicyStandard
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE_EVIDENCE = [{"身份证号": f.new_id(), "姓名": "张三", "出生日期": "1950-01-01", "性别": "男",
                  "区划代码": "320321101001", "死亡日期": "2020-03-01", "注销原因": "死亡" * 20,
                  "户籍地址": "江苏省徐州市丰县某某镇某某村某某组" * 3, "数据批次": "第1版"}]


def test_pages_fit_a_phone(page: Page, live_server, users, household_a):
    standard = PolicyStandard.objects.first()
    run = cf.make_run(actor=users["county"], rules=["C-DEAD", "C-CAR"], parameters=standard.parameters,
                      loads=[cf.make_load("deaths", as_of=dt.date(2020, 12, 31))], seconds=2.5,
                      counts={"seconds_by_rule": {"C-DEAD": 0.25}})
    finding = cf.make_finding(run=run, household_year=household_a, evidence=WIDE_EVIDENCE,
                              explanation="档案记载" * 40)
    monitoring_run = mf.make_run(actor=users["county"])
    warning = mf.make_warning(run=monitoring_run, household_year=household_a, explanation="收入下降" * 40)
    assessment = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY,
                                official=False, overrides={"income_line": 6500})
    draw = draw_sample(actor=users["county"], year=2020, size=1, seed=5)

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "county")
    urls = ["/comparison/", f"/comparison/runs/{run.pk}/", "/comparison/findings/",
            f"/comparison/findings/{finding.pk}/", "/comparison/datasets/", "/monitoring/", "/monitoring/overdue/",
            f"/monitoring/warnings/{warning.pk}/", "/monitoring/monitored/", "/monitoring/samples/",
            f"/monitoring/samples/{draw.pk}/", "/assessment/", f"/assessment/runs/{assessment.pk}/",
            "/policy/standards/"]
    wide = {}
    for url in urls:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200 and "/login/" not in page.url, url
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[url] = width
    assert wide == {}
