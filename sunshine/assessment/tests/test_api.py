"""The assessment API: scoped run lists and results, starting runs (roles, validation)."""

from __future__ import annotations

import json

import pytest

from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import run_assessment
from sunshine.testing import factories as f


@pytest.fixture
def county_run(users, household_a, household_b):
    return run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY)


def post(client, body):
    return client.post("/api/assessment/runs", data=json.dumps(body), content_type="application/json")


def test_list_and_summary_are_scoped(client, users, county_run, household_b):
    run_b = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_B)
    client.force_login(users["clerk"])
    data = client.get("/api/assessment/runs").json()
    assert [r["id"] for r in data["items"]] == [county_run.pk]
    summary = client.get(f"/api/assessment/runs/{county_run.pk}").json()
    assert summary["standard_version"] == "js-2018-2020-v1" and summary["counts"]["total"] == 1
    assert client.get(f"/api/assessment/runs/{run_b.pk}").status_code == 404
    assert client.get(f"/api/assessment/runs/{run_b.pk}/households").status_code == 404
    client.force_login(users["county"])
    assert client.get(f"/api/assessment/runs/{county_run.pk}").json()["counts"]["total"] == 2


def test_household_results_filtered_and_scoped(client, users, county_run, household_a, household_b):
    client.force_login(users["clerk"])
    items = client.get(f"/api/assessment/runs/{county_run.pk}/households").json()["items"]
    assert [i["household_no"] for i in items] == [household_a.household.household_no]
    assert items[0]["head_name"] == "甲户主" and set(items[0]["criteria"]) >= {"H-INC", "H-HOUSE"}
    assert household_a.head_id_number not in json.dumps(items, ensure_ascii=False)
    other = "meets" if items[0]["result"] != "meets" else "fails"
    url = f"/api/assessment/runs/{county_run.pk}/households"
    assert client.get(url, {"result": other}).json()["count"] == 0
    assert client.get(url, {"result": items[0]["result"]}).json()["count"] == 1
    state = items[0]["criteria"]["H-INC"]
    assert client.get(url, {"criterion": "H-INC", "state": state}).json()["count"] == 1
    assert client.get(url, {"result": "bogus"}).status_code == 422


def test_start_runs(client, users, household_a):
    client.force_login(users["clerk"])
    assert post(client, {"kind": "households", "year": 2020}).status_code == 403
    assert post(client, {"kind": "households", "year": 2020, "division_code": f.VILLAGE_B,
                         "official": False}).status_code == 403
    response = post(client, {"kind": "households", "year": 2020, "official": False,
                             "overrides": {"income_line": 5000}})
    assert response.status_code == 201, response.content
    assert response.json()["overrides"] == {"income_line": 5000} and not response.json()["official"]
    response = post(client, {"kind": "households", "year": 2020, "official": False, "overrides": {"nope": 1}})
    assert response.status_code == 422
    client.force_login(users["county"])
    assert post(client, {"kind": "households", "year": 2020, "overrides": {"income_line": 5000}}).status_code == 422
    response = post(client, {"kind": "villages", "year": 2020})
    assert response.status_code == 201 and response.json()["official"]
    assert AssessmentRun.objects.count() == 2
