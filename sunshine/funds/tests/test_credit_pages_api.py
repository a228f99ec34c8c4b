"""/api/funds/loans and /api/funds/assets: scope (404 for another village or county), masking, the engine's
numbers (subsidy per year, dividends), and /api/funds/{id} still reaching the fund trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sunshine.funds.tests import credit_factories as cf
from sunshine.funds.tests.trail_factories import make_fund
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
OTHER_COUNTY = "320322000000"


def test_loan_api_lists_and_details_masked_and_scoped(client: Client, users, household_a, household_b):
    mine = cf.make_loan(household_year=household_a, amount="36000.00", rate="0.036", loan_date=dt.date(2020, 1, 1),
                        due_date=dt.date(2020, 6, 30), loan_no="DK-API-1")
    cf.repay(mine, dt.date(2020, 3, 1), "6000.00")
    theirs = cf.make_loan(household_year=household_b)
    elsewhere = cf.make_loan(county=OTHER_COUNTY)
    client.force_login(users["clerk"])
    data = client.get("/api/funds/loans").json()
    assert [x["loan_no"] for x in data["items"]] == ["DK-API-1"]
    assert data["items"][0]["id_number"] != household_a.head_id_number and data["items"][0]["outstanding"] == "30000.00"
    assert data["items"][0]["status"] == "overdue_long"
    detail = client.get(f"/api/funds/loans/{mine.pk}").json()
    assert detail["subsidy"][0] == {"year": 2020, "subsidy": "582.00"}
    assert {x["subsidy"] for x in detail["subsidy"][1:]} == {"0.00"}   # overdue days are not subsidised
    assert [i["outstanding"] for i in detail["intervals"]] == ["36000.00", "30000.00"]
    assert household_a.head_id_number not in str(detail)
    assert client.get(f"/api/funds/loans/{theirs.pk}").status_code == 404
    client.force_login(users["county"])
    assert client.get(f"/api/funds/loans/{elsewhere.pk}").status_code == 404
    assert client.get("/api/funds/loans/1x").status_code in (404, 422)
    body = client.get(f"/api/funds/loans/{mine.pk}").json()
    assert body["id_number"] == household_a.head_id_number
    assert client.get("/api/funds/loans?status=settled").json()["count"] == 0
    assert client.get("/api/funds/loans?status=bad").status_code == 422


def test_asset_api_and_dividends(client: Client, users, household_a, household_b):
    asset = cf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A, f.VILLAGE_B), ratio="0.5",
                          income={2020: "100.00"}, asset_no="ZC-API")
    elsewhere = cf.make_asset(division=OTHER_COUNTY)
    client.force_login(users["county"])
    items = client.get("/api/funds/assets").json()["items"]
    assert [a["asset_no"] for a in items] == ["ZC-API"] and items[0]["income"] == {"2020": "100.00"}
    rows = client.get(f"/api/funds/assets/{asset.pk}/dividends").json()["items"]
    got = {(r["household_no"], r["division_code"]): r["amount"] for r in rows}
    assert got == {(household_a.household.household_no, f.VILLAGE_A): "25.00",
                   (household_b.household.household_no, f.VILLAGE_B): "25.00",
                   (None, f.VILLAGE_A): "25.00", (None, f.VILLAGE_B): "25.00"}
    assert client.get(f"/api/funds/assets/{elsewhere.pk}/dividends").status_code == 404
    client.force_login(users["clerk"])   # only village A's part of a shared asset
    rows = client.get(f"/api/funds/assets/{asset.pk}/dividends").json()["items"]
    assert {r["division_code"] for r in rows} == {f.VILLAGE_A}


def test_fund_trail_route_still_answers_beside_loans(client: Client, users):
    fund = make_fund()
    client.force_login(users["county"])
    assert client.get(f"/api/funds/{fund.pk}").json()["fund_no"] == fund.fund_no
    assert client.get("/api/funds/loans").status_code == 200
