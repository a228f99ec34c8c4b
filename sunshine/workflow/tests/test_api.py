"""The cases API: a village clerk cannot approve a county step (403), no step can be skipped (409), scope (404),
ID numbers masked by role, the exit guard shown with its run, objections handled."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sunshine.registry import choices as rc
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import Step
from sunshine.workflow.models import Case
from sunshine.workflow.tests.helpers import make_meet, official_run, walk

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def exit_case(users, household_a):
    make_meet(users, household_a)
    official_run(users)
    return services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)


def test_open_list_and_read_with_masking(client, users, household_a, household_b):
    client.force_login(users["clerk"])
    response = post(client, "/api/cases", {"case_type": "exit", "year": 2020,
                                           "household_no": household_a.household.household_no, "reason": "收入达标"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["step"] == "household" and body["awaiting_role"] == "村级录入" and body["may_act"] is True
    assert [s["state"] for s in body["steps"]][:2] == ["current", "pending"]
    head_id = household_a.head_id_number
    assert body["id_number"] != head_id and body["id_number"].startswith(head_id[:6])
    assert household_a.head_id_number not in response.content.decode()
    assert body["eligibility"]["ok"] is False and "正式评估" in body["eligibility"]["message"]
    # The same household again: a clear 422.
    again = post(client, "/api/cases", {"case_type": "exit", "year": 2020,
                                        "household_no": household_a.household.household_no})
    assert again.status_code == 422 and "已有办理中" in again.json()["detail"][0]["message"]
    # Village B's household is not found for clerk A.
    other = post(client, "/api/cases", {"case_type": "exit", "year": 2020,
                                        "household_no": household_b.household.household_no})
    assert other.status_code == 404
    listed = client.get("/api/cases").json()
    assert listed["count"] == 1 and listed["items"][0]["household_no"] == household_a.household.household_no
    assert client.get("/api/cases?awaiting=true").json()["count"] == 1
    client.force_login(users["township"])
    assert client.get("/api/cases?awaiting=true").json()["count"] == 0
    client.force_login(users["county"])
    full = client.get(f"/api/cases/{body['id']}").json()
    assert full["id_number"] == household_a.head_id_number


def test_clerk_cannot_approve_a_county_step_and_no_step_can_be_skipped(client, users, exit_case):
    client.force_login(users["clerk"])
    url = f"/api/cases/{exit_case.pk}/advance"
    response = post(client, url, {"step": "county_approval", "decision": "approve"})
    assert response.status_code == 403 and "县级管理" in response.json()["detail"]
    skip = post(client, url, {"step": "cadre", "decision": "approve"})
    assert skip.status_code == 409 and "步骤不能跳过" in skip.json()["detail"]
    assert Case.objects.get(pk=exit_case.pk).current_step == 0 and not exit_case.actions.exists()
    ok = post(client, url, {"step": "household", "decision": "approve", "note": "已签字"})
    assert ok.status_code == 200 and ok.json()["step"] == "cadre"
    # The same form sent twice: the second is stale.
    assert post(client, url, {"step": "household", "decision": "approve"}).status_code == 409
    case = walk(users, Case.objects.get(pk=exit_case.pk), Step.COUNTY_APPROVAL)
    response = post(client, url, {"step": "county_approval", "decision": "approve"})
    assert response.status_code == 403
    client.force_login(users["township"])
    assert post(client, url, {"step": "county_approval", "decision": "approve"}).status_code == 403
    client.force_login(users["clerk_b"])
    assert post(client, url, {"step": "county_approval", "decision": "approve"}).status_code == 404
    assert client.get(f"/api/cases/{case.pk}").status_code == 404
    client.force_login(users["county"])
    response = post(client, url, {"step": "county_approval", "decision": "approve"})
    assert response.status_code == 200 and response.json()["step"] == "announcement"
    detail = response.json()
    assert detail["actions"][-1]["assessment_run_id"] == detail["eligibility"]["run_id"]


def test_exit_guard_through_the_api(client, users, household_a):
    make_meet(users, household_a)
    child = household_a.members.exclude(relation=rc.Relation.HEAD).first()
    from sunshine.registry import services as registry

    registry.update_member(actor=users["clerk"], member=child, medical_insured=False)
    # Assessed only after the notice (a failing result at opening or before the notice refuses earlier).
    case = walk(users, services.open_case(actor=users["clerk"], case_type="exit", year=2020,
                                          household=household_a.household), Step.COUNTY_APPROVAL)
    run = official_run(users)
    client.force_login(users["county"])
    detail = client.get(f"/api/cases/{case.pk}").json()
    assert detail["eligibility"]["ok"] is False and detail["eligibility"]["run_id"] == run.pk
    assert detail["eligibility"]["criteria"]["H-MED"] == "fail"
    response = post(client, f"/api/cases/{case.pk}/advance", {"step": "county_approval", "decision": "approve"})
    assert response.status_code == 422 and "基本医疗有保障 未通过" in response.json()["detail"][0]["message"]


def test_objection_handled_through_the_api(client, users, exit_case):
    case = walk(users, exit_case, Step.VILLAGE_NOTICE, start=dt.date.today())
    objection = services.submit_objection(case=case, name="李某", contact="13912345678", content="该户收入不实,有异议")
    client.force_login(users["clerk"])
    detail = client.get(f"/api/cases/{case.pk}").json()
    assert detail["status"] == "on_hold" and detail["objections"][0]["contact"] != "13912345678"
    client.force_login(users["clerk_b"])
    assert post(client, f"/api/cases/objections/{objection.pk}/handle",
                {"upheld": False, "resolution": "越权"}).status_code == 404
    client.force_login(users["clerk"])
    response = post(client, f"/api/cases/objections/{objection.pk}/handle", {"upheld": True, "resolution": "属实"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress" and response.json()["step"] == "appraisal"
    assert response.json()["division_code"] == f.VILLAGE_A
