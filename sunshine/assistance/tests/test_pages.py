"""The assistance pages, scoped by the reader's division: the cadre list with load, a cadre's page, coverage by
township with drill-down, the work teams of weak villages; the cadre on the household, warning and finding
pages, the phone masked for masked roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from sunshine.assistance import selectors
from sunshine.assistance.check.services import run_check
from sunshine.assistance.models import Visit
from sunshine.assistance.tests.helpers import make_cadre, pair, team
from sunshine.comparison.models import Finding
from sunshine.core.choices import Role
from sunshine.monitoring.models import EarlyWarning
from sunshine.monitoring.runs import run_monitoring_for
from sunshine.monitoring.tests.test_runs import exited
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

PHONE, MASKED = "13912345678", "139****5678"


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def scene(users, household_a, household_b):
    cadre = make_cadre(division=f.COUNTY, name="王帮扶", unit="县财政局", phone=PHONE)
    pair(cadre, household_a.household)
    Visit.objects.create(cadre=cadre, household=household_a.household, date=dt.date(2020, 12, 1),
                         notes="家中老人住院", measures="申请医疗救助")
    village_cadre = make_cadre(division=f.VILLAGE_B, name="乙村干部")
    pair(village_cadre, household_b.household, end=dt.date(2020, 6, 30))
    return {"cadre": cadre, "village_cadre": village_cadre}


def test_cadre_list_shows_load_in_scope(client, users, scene):
    body = login(client, users["county"]).get("/assistance/cadres/?year=2020").content.decode()
    assert "王帮扶" in body and "乙村干部" in body and PHONE in body
    row = body.split(f'data-cadre="{scene["cadre"].cadre_no}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="load">1<' in row and "2020-12-01" in row
    # a clerk of village B sees its own cadre, not the county cadre of village A's household
    body = login(client, users["clerk_b"]).get("/assistance/cadres/").content.decode()
    assert "乙村干部" in body and "王帮扶" not in body


def test_cadre_page_is_scoped_and_masks_the_phone(client, users, scene):
    url = f"/assistance/cadres/{scene['cadre'].pk}/"
    body = login(client, users["clerk"]).get(url).content.decode()
    assert "王帮扶" in body and MASKED in body and PHONE not in body
    assert "家中老人住院" in body
    assert login(client, users["clerk_b"]).get(url).status_code == 404
    assert PHONE in login(client, users["county"]).get(url).content.decode()


def test_household_page_shows_its_cadre_and_last_visits(client, users, scene, household_a, household_b):
    body = login(client, users["clerk"]).get(household_a.household.get_absolute_url()).content.decode()
    section = body.split('data-testid="assistance"', 1)[1].split("</section>", 1)[0]
    assert "王帮扶" in section and "县财政局" in section and MASKED in section and PHONE not in section
    assert "2020-12-01" in section and "申请医疗救助" in section
    body = login(client, users["clerk_b"]).get(household_b.household.get_absolute_url()).content.decode()
    assert 'data-testid="no-cadre"' in body   # the pairing ended


def test_coverage_by_township_and_drill_into_villages(client, users, scene):
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=2020, weak_village=False)
    body = login(client, users["county"]).get("/assistance/coverage/?year=2020").content.decode()
    row_a = body.split(f'data-division="{f.TOWNSHIP_A}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="paired">1<' in row_a and "100.0%" in row_a
    assert 'data-testid="visited">1<' in row_a      # 2020-12-01 is within 90 days of 2020-12-31
    row_b = body.split(f'data-division="{f.TOWNSHIP_B}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="paired">0<' in row_b
    assert f"/assistance/coverage/{f.TOWNSHIP_A}/" in body
    body = login(client, users["county"]).get(f"/assistance/coverage/{f.TOWNSHIP_A}/?year=2020").content.decode()
    assert f'data-division="{f.VILLAGE_A}"' in body and f'data-division="{f.VILLAGE_A2}"' in body
    assert login(client, users["clerk"]).get(f"/assistance/coverage/{f.TOWNSHIP_B}/").status_code == 404
    body = login(client, users["clerk"]).get("/assistance/coverage/?year=2020").content.decode()
    assert f'data-division="{f.VILLAGE_A}"' in body


def test_teams_of_weak_villages(client, users, scene):
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=2020, weak_village=True)
    VillageYear.objects.create(village_id=f.VILLAGE_A2, year=2020, weak_village=True)
    VillageYear.objects.create(village_id=f.VILLAGE_B, year=2020, weak_village=False)
    team(make_cadre(name="张书记"), f.VILLAGE_A)
    body = login(client, users["township"]).get("/assistance/teams/?year=2020").content.decode()
    assert "张书记" in body and f'data-village="{f.VILLAGE_B}"' not in body
    assert body.index(f'data-village="{f.VILLAGE_A2}"') < body.index(f'data-village="{f.VILLAGE_A}"')
    assert "其中 1 个没有第一书记" in body


def test_warning_and_finding_pages_show_the_cadre(client, users):
    county = users["county"]
    household_year = exited(county, wage="1000")
    account = f.make_user("cadre1", Role.CADRE, f.VILLAGE_A)
    pair(make_cadre(user=account, name="李帮扶"), household_year.household)
    run_monitoring_for(actor=county, year=2020)
    warning = EarlyWarning.objects.get()
    body = login(client, users["clerk"]).get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert 'data-testid="cadre"' in body and "李帮扶" in body
    # the cadre sees the warning assigned to them
    assert "李帮扶" in login(client, account).get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    run_check(actor=county, year=2020, check_date=dt.date(2020, 12, 31))
    finding = Finding.objects.filter(rule="R-NOVISIT", household=household_year.household).get()
    body = login(client, users["clerk"]).get(f"/comparison/findings/{finding.pk}/").content.decode()
    assert 'data-testid="cadre"' in body and "李帮扶" in body


def test_selectors_of_a_cadres_own_households(users, household_a, household_b):
    account = f.make_user("cadre1", Role.CADRE, f.VILLAGE_A)
    cadre = make_cadre(user=account)
    today = timezone.localdate()
    pair(cadre, household_a.household)
    pair(cadre, household_b.household, start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=1))
    assert list(selectors.my_households(account)) == [household_a.household]
    assert set(selectors.households_of(cadre, on=today - dt.timedelta(days=2))) == {
        household_a.household, household_b.household}
    assert not selectors.my_households(users["clerk"]).exists()
    assert selectors.is_cadre_of(account, household_a.household)
    assert not selectors.is_cadre_of(account, household_b.household)
    assert list(selectors.visible_cadres(account)) == [cadre]
