"""The comparison API: scoped runs and findings, masking by role, verify and rectify with their errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.comparison.tests import factories as cf
from sunshine.core.ids import FULL_ID_PATTERN
from sunshine.core.models import AccessLog, ApiToken
from sunshine.testing import factories as f


@pytest.fixture
def run(users):
    return cf.make_run(actor=users["county"], rules=["C-DEAD"], loads=[cf.make_load("deaths")])


@pytest.fixture
def findings(run, household_a, household_b):
    return {
        "a": cf.make_finding(run=run, household_year=household_a, evidence=[
            {"身份证号": household_a.head_id_number, "姓名": "甲户主", "身份证号哈希": "cd" * 32,
             "出生日期": "1970-05-17"}]),
        "b": cf.make_finding(run=run, household_year=household_b),
        "late": cf.make_finding(run=run, household_year=household_a, head=True, rule="C-NOMED",
                                deadline=dt.date.today() - dt.timedelta(days=1)),
    }


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_runs_are_scoped_and_the_summary_counts_what_the_reader_sees(client, users, run, findings):
    run_b = cf.make_run(actor=users["county"], division=f.VILLAGE_B)
    client.force_login(users["clerk"])
    assert [r["id"] for r in client.get("/api/comparison/runs").json()["items"]] == [run.pk]
    summary = client.get(f"/api/comparison/runs/{run.pk}").json()
    assert (summary["total"], summary["new"], summary["whole"]) == (2, 2, False)
    assert {r["code"]: r["count"] for r in summary["by_rule"]} == {"C-DEAD": 1, "C-NOMED": 1}
    assert summary["loads"][0]["dataset"] == "deaths" and summary["loads"][0]["as_of"] == "2020-12-31"
    assert client.get(f"/api/comparison/runs/{run_b.pk}").status_code == 404
    client.force_login(users["county"])
    summary = client.get(f"/api/comparison/runs/{run.pk}").json()
    assert summary["total"] == 3 and summary["by_county"] == [{"code": f.COUNTY, "name": "丰县", "count": 3}]
    assert len(client.get("/api/comparison/runs").json()["items"]) == 2


def test_findings_list_filters_and_masks(client, users, findings, run):
    client.force_login(users["clerk"])
    data = client.get("/api/comparison/findings").json()
    assert data["count"] == 2 and {i["id"] for i in data["items"]} == {findings["a"].pk, findings["late"].pk}
    assert not FULL_ID_PATTERN.search(json.dumps(data, ensure_ascii=False))
    overdue = client.get("/api/comparison/findings?overdue=true").json()["items"]
    assert [(i["id"], i["overdue"]) for i in overdue] == [(findings["late"].pk, True)]
    assert [i["id"] for i in client.get("/api/comparison/findings?rule=C-DEAD").json()["items"]] == [
        findings["a"].pk]
    assert client.get(f"/api/comparison/findings?division={f.VILLAGE_B}").json()["count"] == 0
    assert client.get(f"/api/comparison/findings?run={run.pk}&status=pending").json()["count"] == 2
    assert client.get("/api/comparison/findings?rule=NOPE").status_code == 422
    client.force_login(users["county"])
    items = client.get(f"/api/comparison/findings?division={f.VILLAGE_B}").json()["items"]
    assert [i["id_number"] for i in items] == [findings["b"].id_number]
    assert AccessLog.objects.filter(user=users["county"], action="api_read", object_type="finding_list").exists()


def test_finding_detail_masks_fields_and_evidence_by_role(client, users, findings, household_a):
    url = f"/api/comparison/findings/{findings['a'].pk}"
    client.force_login(users["township"])
    data = client.get(url).json()
    text = json.dumps(data, ensure_ascii=False)
    assert household_a.head_id_number not in text and findings["a"].id_number not in text
    evidence = data["evidence"][0]
    assert evidence["身份证号"] == household_a.head_id_number[:6] + "********" + household_a.head_id_number[14:]
    assert evidence["身份证号哈希"] == "cd" * 32 and evidence["出生日期"] == "****-**-**"
    assert data["can_act"] is True and data["events"][0]["action"] == "raised"
    assert [o["run_id"] for o in data["occurrences"]] == [findings["a"].first_run_id]
    client.force_login(users["supervisor"])
    data = client.get(url).json()
    assert data["evidence"][0]["身份证号"] == household_a.head_id_number and data["can_act"] is False
    assert AccessLog.objects.filter(user=users["supervisor"], object_type="finding").exists()


def test_verify_and_rectify(client, users, findings):
    finding = findings["a"]
    client.force_login(users["clerk"])
    url = f"/api/comparison/findings/{finding.pk}"
    response = post(client, url + "/verify", {"confirmed": True, "note": "入户核实属实"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["events"][-1] | {"at": None} == {
        "id": response.json()["events"][-1]["id"], "at": None, "user": "clerk_a", "action": "verify",
        "action_label": "核实", "from_status": "pending", "to_status": "confirmed", "note": "入户核实属实",
        "run_id": None, "attachment_url": None}
    response = post(client, url + "/rectify", {"note": "已销户"})
    assert response.status_code == 200 and response.json()["status"] == "rectified"
    assert list(FindingEvent.objects.filter(finding=finding).values_list("action", flat=True)) == [
        "raised", "verify", "rectify"]


def test_errors_are_chinese_and_change_nothing(client, users, findings):
    finding = findings["a"]
    client.force_login(users["clerk"])
    url = f"/api/comparison/findings/{finding.pk}"
    response = post(client, url + "/rectify", {"note": "抢先"})
    assert response.status_code == 422
    message = "只有核实属实的发现可以整改,该发现当前为“待核实”"
    assert response.json()["detail"] == [{"field": "status", "message": message}]
    response = post(client, url + "/verify", {"confirmed": True, "note": "  "})
    assert response.status_code == 422 and response.json()["detail"][0]["message"] == "请填写核实情况说明"
    assert post(client, url + "/verify", {"note": "缺结论"}).status_code == 422
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.PENDING


def test_scope_and_read_only_roles(client, users, findings):
    b = findings["b"]
    client.force_login(users["clerk"])
    assert client.get(f"/api/comparison/findings/{b.pk}").status_code == 404
    assert post(client, f"/api/comparison/findings/{b.pk}/verify", {"confirmed": True, "note": "越权"}
                ).status_code == 404
    assert post(client, f"/api/comparison/findings/{b.pk}/rectify", {"note": "越权"}).status_code == 404
    for who in ("supervisor", "analyst"):
        client.force_login(users[who])
        response = post(client, f"/api/comparison/findings/{findings['a'].pk}/verify",
                        {"confirmed": False, "note": "越权"})
        assert response.status_code == 403 and "只能查看" in response.json()["detail"]
    assert Finding.objects.filter(status=FindingStatus.PENDING).count() == 3


def test_bearer_token_works_without_csrf(client, users, findings):
    _, raw = ApiToken.issue(users["county"], "脚本")
    response = post(client, f"/api/comparison/findings/{findings['b'].pk}/verify",
                    {"confirmed": False, "note": "数据有误"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
