"""Assessment pages: run list and start form, one run's results (scoped, filtered), what-if comparison and the
section on the household page."""

from __future__ import annotations

import pytest

from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import run_assessment
from sunshine.testing import factories as f


@pytest.fixture
def county_run(users, household_a, household_b):
    return run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY)


def test_nav_link_and_run_list(client, users, county_run):
    client.force_login(users["clerk"])
    body = client.get("/assessment/").content.decode()
    assert "脱贫认定" in body and f"/assessment/runs/{county_run.pk}/" in body


def test_clerk_sees_only_his_village_rows_of_a_county_run(client, users, county_run, household_a, household_b):
    client.force_login(users["clerk"])
    response = client.get(f"/assessment/runs/{county_run.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert household_a.household.household_no in body and "甲户主" in body
    assert household_b.household.household_no not in body and "乙户主" not in body
    assert household_a.head_id_number not in body  # ID numbers are never shown
    client.force_login(users["county"])
    body = client.get(f"/assessment/runs/{county_run.pk}/").content.decode()
    assert household_b.household.household_no in body and "js-2018-2020-v1" in body


def test_run_outside_scope_is_404(client, users, household_b):
    run = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_B)
    client.force_login(users["clerk"])
    assert client.get(f"/assessment/runs/{run.pk}/").status_code == 404
    assert client.get(f"/assessment/compare/?before={run.pk}&after={run.pk}").status_code == 404
    assert f"/assessment/runs/{run.pk}/" not in client.get("/assessment/").content.decode()


def test_filters_by_result_and_criterion(client, users, county_run, household_a):
    client.force_login(users["county"])
    row = county_run.household_results.get(household=household_a.household)
    no = household_a.household.household_no
    url = f"/assessment/runs/{county_run.pk}/"
    assert no in client.get(url, {"result": row.result}).content.decode()
    other = "meets" if row.result != "meets" else "fails"
    assert no not in client.get(url, {"result": other}).content.decode()
    state = row.criteria["H-INC"]
    assert no in client.get(url, {"criterion": "H-INC", "state": state}).content.decode()
    other_state = "pass" if state != "pass" else "fail"
    assert no not in client.get(url, {"criterion": "H-INC", "state": other_state}).content.decode()


def test_clerk_runs_a_what_if_but_not_an_official_run(client, users, household_a):
    client.force_login(users["clerk"])
    data = {"kind": "households", "year": "2020", "standard_version": "", "division_code": ""}
    response = client.post("/assessment/", data)
    assert response.status_code == 200 and "模拟测算" in response.content.decode()
    assert not AssessmentRun.objects.exists()
    response = client.post("/assessment/", {**data, "what_if": "on", "p_income_line": "5000"})
    run = AssessmentRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assessment/runs/{run.pk}/"
    assert not run.official and run.overrides == {"income_line": 5000} and run.division_id == f.VILLAGE_A


def test_official_run_with_overrides_is_refused(client, users, household_a):
    client.force_login(users["county"])
    response = client.post("/assessment/", {"kind": "households", "year": "2020", "p_income_line": "5000"})
    assert response.status_code == 200 and not AssessmentRun.objects.exists()
    response = client.post("/assessment/", {"kind": "households", "year": "2020", "division_code": f.VILLAGE_A})
    assert response.status_code == 302 and AssessmentRun.objects.get().official


def test_compare_shows_changed_households_by_county(client, users, county_run, household_a, household_b):
    what_if = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY,
                             official=False, overrides={"income_line": 999999})
    client.force_login(users["clerk"])
    body = client.get("/assessment/compare/", {"before": county_run.pk, "after": what_if.pk}).content.decode()
    changed = county_run.household_results.get(household=household_a.household).result != "fails"
    assert (household_a.household.household_no in body) == changed
    assert household_b.household.household_no not in body
    assert client.get("/assessment/compare/").status_code == 200


def test_household_page_shows_latest_official_result(client, users, household_a):
    client.force_login(users["clerk"])
    url = f"/households/{household_a.household.household_no}/?year=2020"
    assert "本年度尚无正式评估结果" in client.get(url).content.decode()
    run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A, official=False,
                   overrides={"income_line": 999999})
    assert "本年度尚无正式评估结果" in client.get(url).content.decode()
    run = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A)
    result = run.household_results.get()
    body = client.get(url).content.decode()
    assert f"/assessment/runs/{run.pk}/" in body and result.explanation in body and "js-2018-2020-v1" in body
    assert "收入" in body and "住房安全有保障" in body


def test_compare_lists_changed_parameters(client, users, county_run):
    what_if = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY,
                             official=False, overrides={"income_line": 7000})
    client.force_login(users["county"])
    body = client.get("/assessment/compare/", {"before": county_run.pk, "after": what_if.pk}).content.decode()
    assert "收入标准(元/人·年)" in body and "7,000.00" in body and "income_line" not in body


@pytest.mark.parametrize("kind", ["villages", "counties"])
def test_village_and_county_runs_render(client, users, household_a, kind):
    run = run_assessment(actor=users["county"], kind=kind, year=2020, division_code=f.COUNTY)
    client.force_login(users["county"])
    response = client.get(f"/assessment/runs/{run.pk}/")
    assert response.status_code == 200
    criterion = "V-INC" if kind == "villages" else "K-HH"
    assert client.get(f"/assessment/runs/{run.pk}/", {"criterion": criterion, "state": "pass"}).status_code == 200
    client.force_login(users["clerk"])
    assert client.get(f"/assessment/runs/{run.pk}/").status_code == 200
    assert client.get("/assessment/compare/", {"before": run.pk, "after": run.pk}).status_code == 200
