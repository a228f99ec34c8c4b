"""Real Chromium at 390 px: the assistance pages (cadres, a cadre, coverage, teams) and the household page with
its 帮扶责任人 section have no horizontal scroll — issue 16."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from sunshine.assistance.models import Visit
from sunshine.assistance.tests.helpers import make_cadre, pair, team
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assistance_pages_fit_a_phone(page: Page, live_server, users, household_a):
    cadre = make_cadre(name="王帮扶", unit="江苏省徐州市丰县农业农村局驻村帮扶工作组" * 2)
    pair(cadre, household_a.household)
    Visit.objects.create(cadre=cadre, household=household_a.household, date=dt.date(2020, 12, 1),
                         notes="家中老人住院治疗,已申请医疗救助" * 10, measures="落实产业奖补" * 10)
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=2020, weak_village=True)
    team(cadre, f.VILLAGE_A)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "county")
    urls = ["/assistance/cadres/", f"/assistance/cadres/{cadre.pk}/", "/assistance/coverage/",
            f"/assistance/coverage/{f.TOWNSHIP_A}/", "/assistance/teams/", household_a.household.get_absolute_url()]
    wide = {}
    for url in urls:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200 and "/login/" not in page.url, url
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[url] = width
    assert wide == {}
    page.goto(f"{live_server.url}{household_a.household.get_absolute_url()}")
    assert "王帮扶" in page.locator("[data-testid=assistance]").inner_text()
