"""/api/funds: funds with their reconciliation, one fund's trail, payments search (masked for masked roles)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from sunshine.funds.tests.project_factories import make_project
from sunshine.funds.tests.trail_factories import allocate, make_fund, pay, spend
from sunshine.testing import factories as f

D = Decimal


@pytest.fixture
def money(users, household_a, household_b):
    county = users["county"]
    project = make_project(actor=county, division=f.VILLAGE_A, status="implementing")
    fund = make_fund(amount="800000.00", fund_no="ZJ-API-1")
    make_fund(amount="50000.00", fund_no="ZJ-API-2", source="social")
    allocate(fund, project, "500000.00")
    spend(project, "120000.00")
    paid_a = pay(household_year=household_a, fund=fund, project=project, amount="2000.00")
    paid_b = pay(household_year=household_b, fund=fund, project=project, amount="3000.00")
    return {"fund": fund, "project": project, "paid_a": paid_a, "paid_b": paid_b}


def test_fund_list_and_trail(client: Client, users, money):
    client.force_login(users["county"])
    data = client.get("/api/funds?year=2020").json()
    assert data["count"] == 2
    assert D(data["total"]["issued"]) == D("850000.00") and D(data["total"]["idle"]) == D("350000.00")
    assert {s["source"] for s in data["by_source"]} == {"central", "social"}
    row = next(i for i in data["items"] if i["fund_no"] == "ZJ-API-1")
    assert D(row["sums"]["spent"]) == D("125000.00") and row["sums"]["reconciles"] is True
    trail = client.get(f"/api/funds/{money['fund'].pk}").json()
    assert trail["fund_no"] == "ZJ-API-1" and len(trail["projects"]) == 1
    project = trail["projects"][0]
    assert project["project_no"] == money["project"].project_no
    assert D(project["sums"]["unspent"]) == D("375000.00") and project["payment_count"] == 2
    assert project["household_count"] == 2
    assert client.get("/api/funds?source=social").json()["count"] == 1


def test_payments_search_masked_and_scoped(client: Client, users, money, household_a):
    client.force_login(users["county"])
    data = client.get("/api/funds/payments", {"id_number": household_a.head_id_number}).json()
    assert [i["payment_no"] for i in data["items"]] == [money["paid_a"].payment_no]
    assert data["items"][0]["id_number"] == household_a.head_id_number and D(data["total_amount"]) == D("2000")
    assert client.get("/api/funds/payments", {"id_number": "12345"}).status_code == 422
    client.force_login(users["clerk"])
    data = client.get("/api/funds/payments").json()
    assert [i["payment_no"] for i in data["items"]] == [money["paid_a"].payment_no]  # village A only
    assert data["items"][0]["id_number"] != household_a.head_id_number
    assert "*" in data["items"][0]["id_number"]
    assert client.get(f"/api/funds/payments/{money['paid_b'].pk}").status_code == 404
    assert client.get(f"/api/funds/{money['fund'].pk}").status_code == 404
    assert client.get("/api/funds").json()["count"] == 0


def test_findings_api_lists_funds_findings_with_subject_key_and_amount(client: Client, users, money):
    """Funds findings share the findings table: the findings API must list them (it answered 500 before)."""
    client.force_login(users["county"])
    client.post("/funds/check/", {"year": 2020, "division_code": f.COUNTY})
    response = client.get("/api/comparison/findings", {"kind": "funds"})
    assert response.status_code == 200, response.content[:500]
    items = {(i["rule"], i["key"]): i for i in response.json()["items"]}
    delay = items["F-DELAY", "ZJ-API-1"]
    assert (delay["subject"], D(delay["amount"])) == ("fund", D("300000.00"))
    assert client.get("/api/comparison/findings", {"kind": "comparison"}).json()["count"] == 0
    assert client.get("/api/comparison/findings", {"rule": "F-DELAY"}).json()["count"] == 2  # both funds idle
    assert client.get(f"/api/comparison/findings/{delay['id']}").status_code == 200
