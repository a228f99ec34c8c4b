"""JSON API: token and session authentication, CSRF, error bodies, the divisions router and the docs."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from sunshine.core.models import AccessLog, ApiToken, User
from sunshine.testing import factories as f

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a well-formed 32-character CSRF secret


def bearer(user: User) -> Client:
    _, raw = ApiToken.issue(user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def new_household_body(village: str = f.VILLAGE_A) -> dict:
    return {
        "household_no": "API-AUTH-1", "village_code": village, "year": 2020, "status": "in_poverty",
        "head": {"name": "令牌户主", "id_number": f.new_id()},
    }


# --- authentication ---


@pytest.mark.parametrize("url", ["/api/households", "/api/members", "/api/divisions",
                                 f"/api/divisions/{f.COUNTY}", "/api/households/X/2020"])
def test_without_credentials_every_route_answers_401(db, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或接口令牌无效"}


def test_post_without_credentials_is_401_not_a_csrf_error(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/households", data=json.dumps(new_household_body()),
                           content_type="application/json")
    assert response.status_code == 401


def test_bearer_token_authenticates(users, household_a):
    response = bearer(users["clerk"]).get("/api/households")
    assert response.status_code == 200
    assert [h["household_no"] for h in response.json()["items"]] == [household_a.household.household_no]


def test_unknown_malformed_and_revoked_tokens_are_refused(users, household_a):
    token, raw = ApiToken.issue(users["clerk"])
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/households").status_code == 200
    token.revoked = True
    token.save()
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/households").status_code == 401
    assert Client(headers={"Authorization": "Bearer sun_not-a-token"}).get("/api/households").status_code == 401
    assert Client(headers={"Authorization": "Bearer "}).get("/api/households").status_code == 401
    assert Client(headers={"Authorization": f"Token {raw}"}).get("/api/households").status_code == 401


def test_token_of_an_inactive_user_is_refused(users):
    _, raw = ApiToken.issue(users["clerk"])
    users["clerk"].is_active = False
    users["clerk"].save()
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/divisions").status_code == 401


@pytest.mark.parametrize("role", ["clerk", "county"])
def test_session_authenticates(users, household_a, role):
    client = Client()
    client.force_login(users[role], backend=MODEL_BACKEND)
    response = client.get(f"/api/households/{household_a.household.household_no}")
    assert response.status_code == 200
    assert response.json()["head_name"] == "甲户主"
    assert AccessLog.objects.filter(user=users[role]).count() == (1 if role == "county" else 0)


def test_a_body_that_is_not_json_is_refused_in_chinese(users):
    response = bearer(users["clerk"]).post("/api/households", data="not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_format_errors_name_the_field_in_chinese(users):
    body = new_household_body() | {"status": "rich", "head": {"id_number": f.new_id()}}
    response = bearer(users["clerk"]).post("/api/households", data=json.dumps(body),
                                           content_type="application/json")
    assert response.status_code == 422
    detail = {e["field"]: e for e in response.json()["detail"]}
    assert set(detail) == {"status", "name"}
    assert detail["status"]["message"].startswith("取值不在允许范围内,可选值:")
    assert detail["name"] == {"field": "name", "message": "必填字段", "loc": ["body", "payload", "head", "name"]}


# A new household enters the registry only through an entry case; a phone change is an ordinary write.
def phone_patch(household_a) -> tuple[str, str]:
    return (f"/api/households/{household_a.household.household_no}/{household_a.year}",
            json.dumps({"phone": "13900000000"}))


def test_session_writes_need_the_csrf_token(users, household_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"], backend=MODEL_BACKEND)
    url, body = phone_patch(household_a)
    refused = client.patch(url, data=body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    client.cookies["csrftoken"] = CSRF
    accepted = client.patch(url, data=body, content_type="application/json", headers={"X-CSRFToken": CSRF})
    assert accepted.status_code == 200, accepted.content


def test_token_writes_need_no_csrf_token(users, household_a):
    _, raw = ApiToken.issue(users["clerk"])
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    url, body = phone_patch(household_a)
    response = client.patch(url, data=body, content_type="application/json")
    assert response.status_code == 200, response.content


def test_a_user_without_a_division_sees_nothing(users, household_a):
    nobody = User.objects.create(username="nobody", roles=["county_manager"])
    client = bearer(nobody)
    assert client.get("/api/households").json()["count"] == 0
    assert client.get("/api/members").json()["count"] == 0
    assert client.get("/api/divisions").json()["count"] == 0
    assert client.get(f"/api/households/{household_a.household.household_no}").status_code == 404
    assert client.get(f"/api/divisions/{f.COUNTY}").status_code == 404


# --- divisions ---


def test_divisions_are_listed_within_scope(users):
    clerk = bearer(users["clerk"]).get("/api/divisions").json()
    assert [d["code"] for d in clerk["items"]] == [f.VILLAGE_A]
    assert clerk["items"][0] == {
        "code": f.VILLAGE_A, "name": "甲一村", "level": "village", "parent_code": f.TOWNSHIP_A,
        "is_northern": clerk["items"][0]["is_northern"], "is_key_county": False,
    }
    county = bearer(users["county"])
    children = county.get(f"/api/divisions?parent={f.COUNTY}").json()
    assert [d["code"] for d in children["items"]] == [f.TOWNSHIP_A, f.TOWNSHIP_B]
    villages = county.get("/api/divisions?level=village").json()
    assert [d["code"] for d in villages["items"]] == [f.VILLAGE_A, f.VILLAGE_A2, f.VILLAGE_B]
    paged = county.get("/api/divisions?level=village&page=2&page_size=2").json()
    assert (paged["count"], [d["code"] for d in paged["items"]]) == (3, [f.VILLAGE_B])
    assert county.get("/api/divisions?q=乙").json()["count"] == 2  # 测试乙镇, 乙一村
    assert county.get("/api/divisions?level=hamlet").status_code == 422


def test_division_detail_counts_households_by_status(users, household_a, household_b):
    f.make_household(users["county"], village=f.VILLAGE_A2, status="exited", exit_year=2019)
    body = bearer(users["county"]).get(f"/api/divisions/{f.COUNTY}?year=2020").json()
    assert body["counts"] == {"in_poverty": 2, "exited": 1, "returned": 0, "closed": 0, "total": 3}
    by_code = {ch["code"]: ch["counts"] for ch in body["children"]}
    assert by_code[f.TOWNSHIP_A]["total"] == 2
    assert by_code[f.TOWNSHIP_B] == {"in_poverty": 1, "exited": 0, "returned": 0, "closed": 0, "total": 1}
    assert body["year"] == 2020
    empty = bearer(users["county"]).get(f"/api/divisions/{f.COUNTY}?year=2019").json()
    assert empty["counts"]["total"] == 0


def test_division_detail_outside_scope_is_404(users):
    clerk = bearer(users["clerk"])
    assert clerk.get(f"/api/divisions/{f.VILLAGE_A}").status_code == 200
    response = clerk.get(f"/api/divisions/{f.VILLAGE_B}")
    assert response.status_code == 404
    assert response.json()["detail"] == "区划不存在或不在您的管辖范围内"
    assert clerk.get(f"/api/divisions/{f.COUNTY}").status_code == 404


# --- docs ---


def test_openapi_schema_loads_and_lists_enumerations(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/households/{household_no}/{year}/members" in schema["paths"]
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    status = schema["components"]["schemas"]["HouseholdListItemOut"]["properties"]["status"]
    assert status["enum"] == ["in_poverty", "exited", "returned", "closed"]


def test_docs_page_loads_its_assets_locally(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    for asset in assets:  # every one ships with the installed packages
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn" not in html.lower()


def test_full_reads_are_logged_masked_reads_are_not(users, household_a):
    number = household_a.household.household_no
    bearer(users["clerk"]).get(f"/api/households/{number}")
    assert not AccessLog.objects.exists()
    bearer(users["county"]).get(f"/api/households/{number}")
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_type, log.object_ref) == (users["county"], "view_full", "household",
                                                                       number)
